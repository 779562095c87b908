"""Load encoders and tokenizers from a hub id or a local folder, with clear errors offline."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from ..errors import ConfigError, ModelLoadError

EAGER_MAX_LENGTH = 256
"""Prediction uses eager attention for bf16 on a CPU up to this many tokens (see prediction_attention)."""


def _looks_local(name: str) -> bool:
    return name.startswith((".", "/", "~")) or Path(name).expanduser().exists() or name.count("/") > 1


def _check_source(name: str | None) -> str:
    if not name:
        raise ModelLoadError("no model given: pass --model with a hub id or a local model folder")
    path = Path(name).expanduser()
    if _looks_local(name) and not path.is_dir():
        raise ModelLoadError(f"model folder {name} does not exist; pass an existing folder or a hub id to --model")
    return str(path) if path.is_dir() else name


def _hub_error(name: str, err: Exception) -> ModelLoadError:
    return ModelLoadError(
        f"could not load {name!r} ({type(err).__name__}: {str(err).splitlines()[0][:160]}); "
        "if the Hugging Face hub is unreachable, download the model elsewhere and pass its local folder to --model"
    )


def load_tokenizer(name: str | None) -> PreTrainedTokenizerBase:
    """Load the tokenizer of ``name`` (hub id or folder), padding on the right."""
    source = _check_source(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as err:
        raise _hub_error(source, err) from None
    tokenizer.padding_side = "right"
    return tokenizer


def load_encoder(name: str | None) -> PreTrainedModel:
    """Load the bare encoder (``AutoModel``) of ``name``: ELECTRA, BERT, RoBERTa or any other."""
    source = _check_source(name)
    try:
        encoder, info = AutoModel.from_pretrained(source, output_loading_info=True)
    except (OSError, ValueError) as err:
        raise _hub_error(source, err) from None
    # A pooler (BERT/RoBERTa's dense + tanh over [CLS]) counts only if its weights came from the checkpoint.
    encoder.electralab_pretrained_pooler = getattr(encoder, "pooler", None) is not None and not any(
        "pooler" in key for key in info.get("missing_keys", [])
    )
    return encoder


def prediction_attention(bf16_on_cpu: bool, max_length: int) -> str:
    """The attention implementation for prediction: ``eager`` for short bf16 sequences on a CPU, else ``auto``.

    Eager (plain matmul + softmax) is 1.7× faster than PyTorch's fused kernel for bf16 autocast on a CPU
    with sequences of at most ``EAGER_MAX_LENGTH`` tokens, at the same agreement with fp32. Training keeps
    ``model.attention=auto`` (the model's default): bf16 eager attention trains faster but worse (NSMC test
    accuracy 0.774 vs 0.823 with the fused kernel, same run otherwise; BENCHMARKS.md).
    """
    return "eager" if bf16_on_cpu and max_length <= EAGER_MAX_LENGTH else "auto"


def set_attention(model: PreTrainedModel, implementation: str) -> None:
    """Switch ``model`` to ``implementation`` (``sdpa``, ``eager``); ``auto`` leaves it as loaded.

    Raises:
        ConfigError: If the model does not offer that implementation.
    """
    encoder = model.base_model  # the encoder inside a classifier (ours or Hugging Face's); the model itself if bare
    if implementation == "auto" or encoder.config._attn_implementation == implementation:
        return
    try:
        encoder.set_attn_implementation(implementation)
    except (ValueError, ImportError) as err:
        raise ConfigError(
            f"model.attention={implementation}: {type(model).__name__} does not support it "
            f"({str(err).splitlines()[0][:120]}); use model.attention=auto"
        ) from None
