"""Typed config of an ELECTRA pretraining run, validated like :mod:`electralab.config`.

Built from the dataclass defaults, an optional YAML file, the CLI's flags and dotted ``key=value``
overrides (``train.max_steps=1000``). Unknown keys, wrong types and contradictions raise
:class:`~electralab.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError
from .parsing import apply_overrides, build_dataclass, load_yaml, merge

CONFIG_NAME = "pretrain_config.yaml"


@dataclass
class PretrainModelConfig:
    """Where the generator and discriminator come from."""

    discriminator: str | None = None
    """Hub id or folder of the discriminator: an ELECTRA discriminator, or any encoder AutoModel loads (wrapped)."""
    generator: str | None = None
    """Hub id or folder of an ElectraForMaskedLM generator; default: a fresh one sized from the discriminator."""
    from_scratch: str | None = None
    """Train from random weights: a named size (small, base) or an ElectraConfig JSON file/folder."""
    vocab: str | None = None
    """Tokenizer folder (e.g. from `electralab vocab build`); default: the discriminator's tokenizer."""
    generator_init: Literal["auto", "random", "discriminator"] = "auto"
    """A fresh generator's weights: a copy of the discriminator's lower layers (``discriminator``: its width,
    ``generator_fraction`` of its depth, a generator that starts out knowing the language) or random
    (``random``: ``generator_fraction`` of its width, its depth). ``auto``: the copy when adapting a pretrained
    discriminator whose layers can be copied (it fine-tuned better than a random generator after adapting MiniLM
    to IMDB: BENCHMARKS.md), random from scratch or when the layers cannot be copied."""
    generator_fraction: float | None = None
    """Size of a fresh generator as a fraction of the discriminator: of its depth when copied from it (default
    1/3), of its width when random (default 0.25, the paper's)."""
    attention: Literal["auto", "sdpa", "eager"] = "auto"
    """Attention kernel of both models: auto (the models' default), sdpa or eager."""

    def __post_init__(self) -> None:
        if (self.discriminator is None) == (self.from_scratch is None):
            raise ConfigError(
                "model: pass exactly one of --discriminator (model.discriminator) "
                "and --from-scratch (model.from_scratch)"
            )
        if self.from_scratch is not None and self.generator is not None:
            raise ConfigError("model.generator and model.from_scratch are both set: a scratch run builds its generator")
        if self.from_scratch is not None and self.vocab is None:
            raise ConfigError(
                "model.from_scratch needs a vocabulary: pass --vocab (a folder from `electralab vocab build`)"
            )
        if self.generator_fraction is not None and self.generator_fraction <= 0:
            raise ConfigError(f"model.generator_fraction={self.generator_fraction}: expected a number > 0 (e.g. 0.25)")
        if self.generator_init == "discriminator" and (self.generator is not None or self.from_scratch is not None):
            raise ConfigError(
                "model.generator_init=discriminator copies a pretrained discriminator's lower layers into a fresh "
                "generator: use it with --discriminator alone (not with --generator or --from-scratch)"
            )


@dataclass
class CorpusConfig:
    """The domain corpus and how it becomes fixed-length sequences."""

    paths: list[str] = field(default_factory=list)
    """Files, folders or glob patterns: .txt (plain text), .csv/.tsv, .jsonl/.json."""
    documents: Literal["line", "blank_line"] = "line"
    """Plain text: one document per line, or documents separated by blank lines."""
    text_column: str = "text"
    """Column holding the text in CSV/TSV/JSONL files."""
    max_length: int = 128
    """Tokens per packed sequence, [CLS] and [SEP] included."""
    streaming: bool = False
    """Read and tokenise lazily (datasets IterableDataset) for corpora larger than memory; needs train.max_steps."""

    def __post_init__(self) -> None:
        if self.max_length < 8:
            raise ConfigError(f"corpus.max_length={self.max_length}: expected at least 8 tokens")


@dataclass
class ObjectiveConfig:
    """The replaced-token-detection objective."""

    mask_prob: float = 0.15
    """Fraction of non-special tokens selected for the generator to predict."""
    mask_token_ratio: float = 0.85
    """Of the selected tokens, the fraction replaced by [MASK]; the rest stay unchanged (none are random)."""
    mlm_weight: float = 1.0
    """Weight of the generator's masked-LM loss."""
    rtd_weight: float = 50.0
    """Weight of the discriminator's replaced-token-detection loss."""
    temperature: float = 1.0
    """Sampling temperature of the generator's softmax."""

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_prob < 1.0:
            raise ConfigError(f"objective.mask_prob={self.mask_prob}: expected a probability in (0, 1)")
        if not 0.0 <= self.mask_token_ratio <= 1.0:
            raise ConfigError(f"objective.mask_token_ratio={self.mask_token_ratio}: expected a number in [0, 1]")
        if self.mlm_weight < 0 or self.rtd_weight < 0 or self.mlm_weight + self.rtd_weight == 0:
            raise ConfigError("objective.mlm_weight and objective.rtd_weight: expected >= 0, not both 0")
        if self.temperature <= 0:
            raise ConfigError(f"objective.temperature={self.temperature}: expected a number > 0")


@dataclass
class PretrainTrainConfig:
    """Optimisation and logging (defaults from the ELECTRA paper)."""

    max_steps: int = -1
    """Optimiser steps; > 0 overrides epochs (required with corpus.streaming)."""
    epochs: float = 1.0
    """Passes over the packed corpus when max_steps <= 0."""
    batch_size: int = 32
    """Sequences per device per step."""
    grad_accumulation: int = 1
    """Gradient accumulation steps."""
    learning_rate: float | None = None
    """Peak learning rate; default: adapting a pretrained discriminator 1e-4; from scratch the ELECTRA paper's,
    5e-4 for small discriminators (hidden < 768), 2e-4 otherwise."""
    warmup_steps: int | None = None
    """Linear warmup steps; default 10,000 capped at 10% of all steps."""
    weight_decay: float = 0.01
    """Decoupled weight decay, applied to tensors of rank >= 2 only."""
    adam_epsilon: float = 1e-6
    """AdamW epsilon."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0 disables)."""
    seed: int = 42
    """Seed for initialisation, masking and sampling."""
    gradient_checkpointing: bool = False
    """Recompute both models' layer activations in the backward pass: less memory for more compute."""
    precision: Literal["fp32", "bf16", "fp16", "auto"] = "fp32"
    """Mixed precision: bf16/fp16 where the hardware has it; auto picks bf16 on CUDA with bf16 support."""
    dropout_masks: Literal["auto", "torch"] = "auto"
    """How dropout draws its masks: auto — NumPy's SFC64 generator seeded by torch's on a CPU (same keep rate,
    cheaper to draw), torch's own on a GPU; torch — torch's own everywhere."""
    save_steps: int = 1000
    """Steps between checkpoints."""
    keep_checkpoints: int = 2
    """Checkpoints kept on disk."""
    logging_steps: int = 100
    """Steps between logs of the losses and the generator/discriminator diagnostics."""
    view_steps: int = 100
    """Steps between per-step views of what the generator replaced and the discriminator caught (0 disables)."""
    report_to: list[str] = field(default_factory=lambda: ["tensorboard"])
    """Trackers: tensorboard, wandb, mlflow (when installed), or [] for none."""
    progress_bar: bool = True
    """Show a progress bar."""

    def __post_init__(self) -> None:
        if self.epochs <= 0 and self.max_steps <= 0:
            raise ConfigError("train.epochs and train.max_steps are both <= 0: set one of them")
        if self.batch_size < 1 or self.grad_accumulation < 1:
            raise ConfigError("train.batch_size and train.grad_accumulation must be >= 1")
        if self.learning_rate is not None and self.learning_rate <= 0:
            raise ConfigError(f"train.learning_rate={self.learning_rate}: expected a number > 0 (or null)")
        if self.warmup_steps is not None and self.warmup_steps < 0:
            raise ConfigError(f"train.warmup_steps={self.warmup_steps}: expected an integer >= 0 (or null)")
        if self.save_steps < 1 or self.logging_steps < 1 or self.view_steps < 0:
            raise ConfigError("train.save_steps and train.logging_steps must be >= 1, train.view_steps >= 0")

    def resolved_learning_rate(self, hidden_size: int, from_scratch: bool) -> float:
        """The peak learning rate: the configured one, else 1e-4 adapting a pretrained discriminator, else the paper's.

        The paper's from-scratch 5e-4 made a fine-tuned MiniLM worse after adapting it to IMDB (BENCHMARKS.md).
        """
        if self.learning_rate is not None:
            return self.learning_rate
        if not from_scratch:
            return 1e-4
        return 5e-4 if hidden_size < 768 else 2e-4

    def resolved_warmup_steps(self, total_steps: int) -> int:
        """Warmup steps: the configured number, or 10,000 capped at 10% of ``total_steps``."""
        if self.warmup_steps is not None:
            return self.warmup_steps
        return min(10_000, int(0.1 * total_steps))


@dataclass
class PretrainConfig:
    """Everything a pretraining run needs; written resolved into its run folder."""

    model: PretrainModelConfig
    output_dir: str = "runs"
    """Parent folder; each run gets its own timestamped folder inside it."""
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    train: PretrainTrainConfig = field(default_factory=PretrainTrainConfig)

    def __post_init__(self) -> None:
        if self.corpus.streaming and self.train.max_steps <= 0:
            raise ConfigError(
                "corpus.streaming needs train.max_steps > 0: a streamed corpus has no known length to count epochs"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (YAML/JSON serialisable)."""
        return dataclasses.asdict(self)


def build_pretrain_config(
    config_file: str | Path | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    **sections: Any,
) -> PretrainConfig:
    """Build a validated :class:`PretrainConfig` from a YAML file, section dicts and dotted overrides.

    Args:
        config_file: A YAML file with the same shape as :class:`PretrainConfig`.
        overrides: Dotted ``key=value`` strings, or a mapping of dotted keys to values, applied last.
        **sections: Nested dicts (the CLI's flags), merged before the overrides.

    Raises:
        ConfigError: On an unknown key, a wrong type or a contradiction.
    """
    values: dict[str, Any] = load_yaml(Path(config_file)) if config_file is not None else {}
    for key, section in sections.items():
        values = merge(values, {key: section})
    values = apply_overrides(values, overrides)
    values.setdefault("model", {})
    return build_dataclass(PretrainConfig, values, "")


def pretrain_config_from_dict(values: dict[str, Any]) -> PretrainConfig:
    """Rebuild a :class:`PretrainConfig` from its ``to_dict`` form (e.g. a saved pretrain_config.yaml)."""
    return build_dataclass(PretrainConfig, values, "")
