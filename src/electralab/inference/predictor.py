"""Batched prediction for a saved model: length-sorted batches, dynamic padding, results in input order.

The predictor runs the model; the model's task (:func:`electralab.tasks.task_for_model`) says how its
outputs become predictions and how they are scored.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from transformers import AutoConfig, PreTrainedModel, PreTrainedTokenizerBase

from .. import models  # noqa: F401  (registers electralab's models with the Auto classes)
from ..config import INFERENCE_PRECISIONS, WindowSettings
from ..engine.device import cpu_has_bf16
from ..errors import ConfigError, ModelLoadError
from ..models.loading import load_tokenizer, prediction_attention, set_attention
from ..tasks import task_for_model
from ..tasks.scoring import text_logits
from .onnx_backend import OnnxModel, is_onnx_folder
from .trained_head import load_trained_model

UNITS = ("word", "char", "token")
"""What a token-classification model's tags are read for at prediction time."""


class Predictor:
    """Wraps a trained model and its tokenizer for fast batched inference.

    Args:
        model: A model trained by electralab (or any sequence-classification model), or an ONNX export of one
            (:class:`~electralab.inference.onnx_backend.OnnxModel`, which runs at the precision it was exported in).
        tokenizer: Its tokenizer.
        max_length: Truncation length in tokens.
        precision: ``fp32``; ``bf16`` (autocast, on CPUs with bf16 support or CUDA; on a CPU with sequences of
            at most 256 tokens this switches the model to eager attention); or ``int8`` (dynamic quantisation
            of the linear layers, CPU only, applied to a copy of the model).
        windows: Cut long texts into overlapping windows and aggregate their logits; default: what the model
            was trained with (``long_documents`` in its config), else truncation.
        compile: Run the model through ``torch.compile`` (dynamic shapes). The first batches pay for the
            compilation (seconds to tens of seconds); it pays off on many thousands of texts.
        units: Token classification only: what a tag is read for. ``word`` (whitespace-separated words) or
            ``char`` (characters) read the first sub-token of each; ``token`` reads every sub-token, so an
            entity may start or end inside a word (as the Hugging Face pipeline's ``simple`` aggregation
            does). Default: what the model was trained on.
    """

    def __init__(
        self,
        model: PreTrainedModel | OnnxModel,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int = 128,
        precision: str = "fp32",
        windows: WindowSettings | None = None,
        compile: bool = False,
        units: str | None = None,
    ) -> None:
        if precision not in INFERENCE_PRECISIONS:
            raise ConfigError(f"precision={precision!r}: expected one of {', '.join(INFERENCE_PRECISIONS)}")
        if isinstance(model, OnnxModel):  # an exported graph: its precision is the export's, checked at load
            precision, compile = model.precision, False
        else:
            model = _prepared(model, precision, max_length)
        self.model = model
        self._forward = _NoBatchOfOne(torch.compile(model, dynamic=True)) if compile else model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.precision = precision
        self.windows = windows or WindowSettings.from_model_config(model.config)
        self.task = task_for_model(model.config)
        if units is not None and (units not in UNITS or not hasattr(model.config, "tag_units")):
            raise ConfigError(
                f"units={units!r}: expected one of {', '.join(UNITS)}, for a token-classification model only"
            )
        self.units = units
        self.label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.bf16 = precision == "bf16"
        self.folder: Path | None = None
        """The model folder this predictor was loaded from (its run config names the data format)."""

    @classmethod
    def from_folder(
        cls,
        folder: str | Path,
        max_length: int | None = None,
        precision: str = "fp32",
        compile: bool = False,
        units: str | None = None,
        force: bool = False,
    ) -> Predictor:
        """Load a saved electralab (or any sequence-classification) model folder, or its ONNX export.

        A folder without a trained head (a bare encoder) is refused unless ``force``: see :mod:`.trained_head`.
        """
        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise ModelLoadError(
                f"{folder} is not a model folder (no config.json); pass the run's model/ folder, e.g. runs/x/model"
            )
        config = AutoConfig.from_pretrained(folder)
        if is_onnx_folder(folder):  # exported by `electralab export`: run through ONNX Runtime
            model = OnnxModel(folder, config, precision, compile)
        else:
            auto_class = getattr(transformers, task_for_model(config).auto_model_class_name)
            model = load_trained_model(auto_class, folder, force)
        tokenizer = load_tokenizer(str(folder))
        if max_length is None:
            max_length = min(int(getattr(model.config, "max_seq_length", 512)), tokenizer.model_max_length)
        predictor = cls(model, tokenizer, max_length, precision, compile=compile, units=units)
        predictor.folder = folder
        return predictor

    def logits(self, texts: Sequence[str], text_pairs: Sequence[str] | None = None, batch_size: int = 64) -> np.ndarray:
        """Logits (N, num_labels) in the order of ``texts``; batches are formed by sorted length."""
        return text_logits(
            self.model,
            self.tokenizer,
            texts,
            text_pairs,
            self.max_length,
            self.windows,
            batch_size,
            bf16=self.precision == "bf16",
            forward=self._forward,
        )

    def predict(
        self, texts: Sequence[str], text_pairs: Sequence[str] | None = None, batch_size: int = 64
    ) -> list[dict[str, Any]]:
        """Label each text, with all ``probabilities``.

        Single-label: the predicted ``label`` and its ``score``. Multi-label: the predicted ``labels``, by
        the per-label thresholds saved in the model (tuned on dev), else the global threshold. Token
        classification: the ``entities`` with character offsets.
        """
        return self.task.predict_texts(self, list(texts), text_pairs, batch_size)

    def score(self, dataset: Any, batch_size: int = 64, source: str = "data") -> dict[str, Any]:
        """Full metrics on a labelled ``datasets.Dataset`` (``text`` [, ``text_pair``] and the task's labels)."""
        return self.task.score_dataset(self, dataset, batch_size, source)


def _prepared(model: PreTrainedModel, precision: str, max_length: int) -> PreTrainedModel:
    """A PyTorch model in eval mode, quantised for ``int8``, with the attention that suits ``precision``."""
    model = model.eval()
    device = next(model.parameters()).device
    if precision == "int8":
        if device.type != "cpu":
            raise ConfigError("precision=int8 (dynamic quantisation) runs on the CPU only; use bf16 on a GPU")
        with warnings.catch_warnings():  # torch.ao's eager API is deprecated in favour of torchao, still shipped
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    if precision == "bf16" and device.type == "cpu" and not cpu_has_bf16():
        raise ConfigError("precision=bf16: this CPU has no bf16 support; use fp32 or int8")
    set_attention(model, prediction_attention(precision == "bf16" and device.type == "cpu", max_length))
    return model


class _NoBatchOfOne:
    """A compiled model that never sees a batch of one row: such a row goes in twice and comes out once.

    ``torch.compile``'s dynamic shapes still specialise a size of one, so the first single text (the last batch of
    a file, one request) would compile a second graph (~25 s on 2 CPU cores, BENCHMARKS.md); in eval mode rows
    are independent, so the duplicated row changes nothing.
    """

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def __call__(self, **batch: Any) -> Any:
        rows = {value.shape[0] for value in batch.values() if isinstance(value, torch.Tensor)}
        if rows != {1}:
            return self.compiled(**batch)
        doubled = {k: torch.cat([v, v]) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        output = self.compiled(**doubled)
        for key, value in output.items():
            if isinstance(value, torch.Tensor):
                output[key] = value[:1]
        return output
