"""Typed run configuration: dataclasses are the single schema.

A run config is built from, in order: the dataclass defaults, a preset or YAML file,
then dotted ``key=value`` overrides (``train.epochs=2``). Unknown keys, wrong types and
contradictory settings raise :class:`~electralab.errors.ConfigError` with the key named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError
from .parsing import apply_overrides, build_dataclass, load_yaml, merge
from .windows import WindowSettings

PRESET_DIR = Path(__file__).parent / "presets"


INFERENCE_PRECISIONS = ("fp32", "bf16", "int8")
"""Predictor precisions: fp32; bf16 autocast (CPUs with bf16 support, CUDA); int8 dynamic quantisation (CPU)."""


@dataclass
class DataConfig:
    """Where the data is and how it is read."""

    format: str = "table"
    """Reader name: nsmc, ynat, klue_json, imdb, sst2 or table (CSV/TSV/JSONL); token classification: conll,
    klue_ner or tagged_jsonl; question answering: squad (SQuAD v1.1 .json, or .jsonl with question, context,
    answers)."""
    data_dir: str | None = None
    """Folder the split files below are relative to (a preset's files already on disk)."""
    train_file: str | None = None
    """Training file (relative to data_dir unless absolute)."""
    dev_file: str | None = None
    """Dev file for model selection; when absent, a stratified, seeded dev split is carved out of train."""
    test_file: str | None = None
    """Test file, used only for the final report, never for model selection."""
    text_column: str = "text"
    """Text column for the table reader."""
    text_pair_column: str | None = None
    """Optional second text column (sentence pairs)."""
    label_column: str = "label"
    """Label column for the table reader (multi-label: a JSON list, or a delimited string with label_delimiter)."""
    label_columns: list[str] | None = None
    """Multi-label: one 0/1 column per label (multi-hot), in this order."""
    label_delimiter: str | None = None
    """Multi-label: labels joined by this delimiter in label_column (e.g. '|')."""
    none_label: str | None = None
    """Multi-label: the label meaning 'none of the others' (e.g. clean), if the dataset has one."""
    dev_fraction: float = 0.1
    """Fraction of train carved out as dev when there is no dev file."""
    test_fraction: float | None = None
    """When there is no test file, carve this fraction of train (seeded) as test, before the dev carve: by row
    (stratified when single-label) for classification, by sentence for token classification (e.g. 0.2 for
    KLUE-NER, whose only public labelled file is its dev split), by article for question answering (an
    article's paragraphs never in two splits; dev too)."""
    tag_scheme: Literal["BIO", "IOB2", "BIOES"] = "IOB2"
    """Token classification: the tag scheme of the data (BIO and IOB2 are the same; BIOES adds E- and S-)."""
    invalid_tags: Literal["repair", "refuse"] = "repair"
    """Token classification: an I- tag that continues no entity is repaired to B- (counted in the notes) or refused."""
    label_all_subtokens: bool = False
    """Token classification: label every sub-token of a word (B- becomes I- after the first), not only the first."""
    max_length: int = 128
    """Tokens per example after truncation (per window with long_documents=windows; question answering: per
    window of question + context)."""
    doc_stride: int = 128
    """Question answering: context tokens shared by consecutive windows of a long context (less than half of
    max_length); contexts are never cut, every part is read in some window."""
    max_answer_length: int = 30
    """Question answering: the longest answer decoded, in tokens."""
    n_best: int = 20
    """Question answering: start and end candidates per window (the n highest logits of each) searched for the
    best answer span."""
    answer_scoring: Literal["logit_sum", "window_probability"] = "logit_sum"
    """Question answering: how spans of a question's windows compare: start + end logits (Hugging Face's
    question-answering example), or start x end probabilities, each a softmax within its window (the
    question-answering pipeline's rule). Saved with the model; ``answer(..., scoring=...)`` overrides it."""
    unanswerable: bool = False
    """Question answering: accept SQuAD v2-style unanswerable questions (is_impossible, or no answers): the model
    may answer nothing (its first token in every window); the null-answer threshold is tuned on dev (best F1) and
    saved with the model."""
    long_documents: Literal["truncate", "windows"] = "truncate"
    """Texts longer than max_length: truncate them, or cut them into overlapping windows (each window a training
    example with its text's label; at evaluation and prediction the windows' logits are aggregated per text)."""
    window_stride: int | None = None
    """long_documents=windows: tokens shared by consecutive windows; default a quarter of max_length."""
    window_aggregation: Literal["mean", "max", "first"] = "mean"
    """long_documents=windows: a text's logits from its windows': mean, element-wise max, or the first window's."""
    max_windows: int | None = None
    """long_documents=windows: keep at most this many windows per text (the first ones); null keeps all."""
    empty_texts: Literal["skip", "keep"] = "skip"
    """What to do with empty texts: skip them (counted and reported) or keep them."""
    max_train_rows: int | None = None
    """Use only N training rows (before the dev carve; question answering: the first N questions after the
    carves by article); see row_sample."""
    max_dev_rows: int | None = None
    """Use only N dev rows; see row_sample."""
    max_test_rows: int | None = None
    """Use only N test rows; see row_sample."""
    row_sample: Literal["first", "random"] = "first"
    """How max_*_rows picks rows: the first N, or N at random (seeded; for files sorted by label, like IMDB)."""
    deduplicate: Literal["none", "train", "leakage", "both"] = "none"
    """Drop repeated texts before training: train (later copies of a text in train), leakage (dev rows whose text
    occurs in train, test rows whose text occurs in train or dev), both, or none. Texts compare with surrounding
    whitespace stripped; the counts go to the notes and metrics.json."""
    check: bool = True
    """Run the cheap data checks (empties, duplicates, leakage, conflicting labels) and report them in the run."""
    allow_hangul_normalization: bool = False
    """Allow a tokenizer whose normaliser rewrites Hangul syllables (e.g. lowercasing + accent stripping)."""

    def __post_init__(self) -> None:
        for key in ("max_train_rows", "max_dev_rows", "max_test_rows"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ConfigError(f"data.{key}={value}: expected a number of rows >= 1 (or null for all rows)")
        if self.test_fraction is not None and not 0.0 < self.test_fraction < 1.0:
            raise ConfigError(f"data.test_fraction={self.test_fraction}: expected a number between 0 and 1 (or null)")
        if not 0.0 < self.dev_fraction < 1.0:
            raise ConfigError(f"data.dev_fraction={self.dev_fraction}: expected a number between 0 and 1")
        if self.max_length < 8:
            raise ConfigError(f"data.max_length={self.max_length}: expected at least 8 tokens")
        if self.long_documents == "windows":
            if self.window_stride is not None and not 0 <= self.window_stride <= self.max_length // 2:
                raise ConfigError(
                    f"data.window_stride={self.window_stride}: expected 0 to half of data.max_length "
                    f"({self.max_length // 2}) tokens shared by consecutive windows"
                )
            if self.max_windows is not None and self.max_windows < 1:
                raise ConfigError(f"data.max_windows={self.max_windows}: expected an integer >= 1 (or null)")
            if self.text_pair_column is not None:
                raise ConfigError(
                    "data.long_documents=windows cuts single texts; with data.text_pair_column set, use truncate"
                )

    def windows(self) -> WindowSettings | None:
        """The window settings when ``long_documents`` is ``windows``, else None."""
        if self.long_documents != "windows":
            return None
        stride = self.window_stride if self.window_stride is not None else self.max_length // 4
        return WindowSettings(stride, self.window_aggregation, self.max_windows)

    def resolve(self, name: str | None) -> Path | None:
        """Return the path of a split file, joined to ``data_dir`` when relative."""
        if name is None:
            return None
        path = Path(name).expanduser()
        if not path.is_absolute() and self.data_dir is not None:
            path = Path(self.data_dir).expanduser() / path
        return path


@dataclass
class ModelConfig:
    """Which encoder and which head."""

    name_or_path: str | None = None
    """Hub id or local folder of any encoder AutoModel can load (ELECTRA, BERT, RoBERTa, ...)."""
    head: str = "auto"
    """Head on the encoder: auto, cls, mean, max, attention, lstm, gru, cnn; token classification: auto, linear,
    lstm, cnn. auto: cls for ELECTRA and checkpoints with a pretrained pooler, mean for the rest (e5 and other
    mean-pooled encoders); linear for token classification."""
    reuse_pooler: bool = True
    """cls head: start from the encoder's pretrained pooler (dense + tanh) when the checkpoint has one."""
    dropout: float | None = None
    """Head dropout; default: the encoder's hidden_dropout_prob."""
    rnn_hidden_size: int = 256
    """Hidden size per direction of the lstm/gru heads."""
    cnn_kernel_sizes: list[int] = field(default_factory=lambda: [2, 3, 4])
    """Kernel widths of the cnn head."""
    cnn_filters: int = 128
    """Filters per kernel width of the cnn head."""
    crf: bool = False
    """Token classification: a CRF on top of the token head (Viterbi decoding, transitions the scheme forbids are
    never taken)."""
    attention: Literal["auto", "sdpa", "eager"] = "auto"
    """Attention kernel in training: auto (the model's default; bf16 eager attention on a CPU is faster but
    trained worse here), sdpa (PyTorch's fused kernel) or eager (plain matmuls)."""

    def __post_init__(self) -> None:
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout={self.dropout}: expected a probability in [0, 1)")


@dataclass
class TrainConfig:
    """The training recipe."""

    epochs: float = 3.0
    """Training epochs."""
    max_steps: int = -1
    """Stop after this many optimiser steps (overrides epochs when > 0)."""
    batch_size: int = 32
    """Examples per device per step."""
    eval_batch_size: int = 64
    """Examples per batch in evaluation and prediction."""
    learning_rate: float = 5e-5
    """Peak learning rate of the encoder's top layer."""
    head_learning_rate: float | None = None
    """Learning rate of the head; default: learning_rate."""
    weight_decay: float = 0.01
    """Decoupled weight decay, applied to tensors of rank >= 2 only."""
    adam_epsilon: float = 1e-8
    """AdamW epsilon."""
    warmup: float = 0.0
    """Warmup: a float in [0, 1) is a ratio of all steps, an integer >= 1 a number of steps."""
    scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    """Learning-rate decay after warmup."""
    grad_accumulation: int = 1
    """Gradient accumulation steps."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0 disables)."""
    seed: int = 42
    """Seed for initialisation, shuffling and the dev carve."""
    precision: Literal["fp32", "bf16", "fp16", "auto"] = "fp32"
    """Mixed precision: bf16/fp16 where the hardware has it; auto picks bf16 on CUDA with bf16 support."""
    eval_strategy: Literal["epoch", "steps", "no"] = "epoch"
    """Evaluate on dev (and checkpoint, keeping the best) every epoch or every eval_steps steps; no: validation off
    (checkpoints every epoch, the last model is kept; dev and test are still scored at the end)."""
    eval_steps: int = 500
    """Steps between evaluations when eval_strategy=steps."""
    logging_steps: int = 50
    """Steps between training-loss logs."""
    metric_for_best: str = "accuracy"
    """Dev metric that selects the best checkpoint: accuracy, f1_macro, f1_micro, f1_weighted, loss (token
    classification: f1, precision, recall, token_accuracy, loss; question answering: f1, exact_match, char_f1,
    loss)."""
    keep_checkpoints: int = 2
    """Checkpoints kept on disk (the best one is always kept)."""
    early_stopping_patience: int | None = None
    """Stop after this many evaluations without improvement (None disables)."""
    early_stopping_min_delta: float = 0.0
    """Smallest change of metric_for_best that counts as an improvement."""
    freeze_embeddings: bool = False
    """Freeze the whole embedding block (word, position, type, LayerNorm)."""
    freeze_word_embeddings: bool = False
    """Freeze only the word-embedding table (cheap speed-up for 250k-token vocabularies)."""
    freeze_layers: int = 0
    """Freeze the lowest N encoder layers."""
    freeze_encoder_epochs: float = 0.0
    """Train only the head for the first K epochs, then unfreeze the encoder."""
    layer_lr_decay: float = 1.0
    """Layer-wise LR decay: layer i from the top gets learning_rate * decay**i (1.0 disables)."""
    loss: str = "auto"
    """Loss by name: cross_entropy (single-label), bce (multi-label), focal (both); auto picks by task."""
    class_weights: str | list[float] | None = None
    """Class weights: 'balanced' (from train label counts) or one weight per label (single-label)."""
    pos_weight: str | list[float] | None = None
    """Multi-label BCE positive weights: 'balanced' (negatives/positives per label) or one per label."""
    focal_alpha: float | None = None
    """Multi-label focal loss: weight of positives (negatives get 1 - alpha); None disables."""
    threshold: float = 0.5
    """Multi-label: global decision threshold on each label's probability."""
    tune_thresholds: bool = True
    """Multi-label: tune one threshold per label on the dev split (maximising that label's F1)."""
    min_positives_to_tune: int = 5
    """Multi-label: labels with fewer dev positives keep the global threshold."""
    label_smoothing: float = 0.0
    """Label smoothing for single-label cross-entropy."""
    focal_gamma: float = 2.0
    """Focusing parameter of the focal loss."""
    gradient_checkpointing: bool = False
    """Recompute each encoder layer's activations in the backward pass: less activation memory for more compute
    (IMDB at 512 tokens, small model, CPU: −10% peak RSS at 0.62× the speed; BENCHMARKS.md)."""
    compile: bool = False
    """Compile the model with ``torch.compile`` (dynamic shapes across batch lengths): fused elementwise work,
    less per-op overhead; the first steps pay the compilation (BENCHMARKS.md, training speed)."""
    dropout_masks: Literal["auto", "torch"] = "auto"
    """How dropout draws its masks: auto — on a CPU, from NumPy's SFC64 generator seeded by torch's (same keep
    rate 1 - p and scaling, far cheaper to draw than torch's serial generator, also for the attention
    probabilities: a small encoder's training step 1.12x faster), torch's own on a GPU and with train.compile;
    torch — torch's own everywhere (BENCHMARKS.md, training speed)."""
    batching: Literal["length_buckets", "group_by_length", "random"] = "group_by_length"
    """Training batches (all with dynamic padding): length_buckets (sorted by length, batch order shuffled:
    least padding), group_by_length (the Trainer's: sorted within random mega-batches) or random."""
    report_to: list[str] = field(default_factory=lambda: ["tensorboard"])
    """Trackers: tensorboard, wandb, mlflow (the latter two when installed), or [] for none."""
    progress_bar: bool = True
    """Show progress bars."""

    def __post_init__(self) -> None:
        for key in ("learning_rate", "head_learning_rate", "adam_epsilon"):
            value = getattr(self, key)
            if value is not None and not value > 0:
                raise ConfigError(f"train.{key}={value}: expected a number > 0 (e.g. 5e-5)")
        for key in ("eval_steps", "logging_steps"):
            if getattr(self, key) < 1:
                raise ConfigError(f"train.{key}={getattr(self, key)}: expected an integer >= 1")
        if self.weight_decay < 0 or self.max_grad_norm < 0:
            raise ConfigError("train.weight_decay and train.max_grad_norm must be >= 0")
        if self.warmup < 0 or (self.warmup >= 1 and self.warmup != int(self.warmup)):
            raise ConfigError(f"train.warmup={self.warmup}: expected a ratio in [0, 1) or a whole number of steps")
        if self.epochs <= 0 and self.max_steps <= 0:
            raise ConfigError("train.epochs and train.max_steps are both <= 0: set one of them")
        if self.freeze_encoder_epochs and self.freeze_encoder_epochs >= self.epochs and self.max_steps <= 0:
            raise ConfigError(
                f"train.freeze_encoder_epochs={self.freeze_encoder_epochs} >= train.epochs={self.epochs}: "
                "the encoder would never train; lower it or raise train.epochs"
            )
        if self.freeze_embeddings and self.freeze_word_embeddings:
            raise ConfigError(
                "train.freeze_embeddings and train.freeze_word_embeddings are both set: "
                "freeze_embeddings already freezes the word embeddings; keep one"
            )
        if not 0.0 < self.layer_lr_decay <= 1.0:
            raise ConfigError(f"train.layer_lr_decay={self.layer_lr_decay}: expected a number in (0, 1]")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"train.label_smoothing={self.label_smoothing}: expected a number in [0, 1)")
        if self.early_stopping_patience is not None and self.eval_strategy == "no":
            raise ConfigError(
                "train.early_stopping_patience needs evaluation during training; train.eval_strategy=no turns it "
                "off: set train.eval_strategy=epoch (or steps) or unset train.early_stopping_patience"
            )
        if self.early_stopping_patience is not None and self.early_stopping_patience < 1:
            raise ConfigError("train.early_stopping_patience: expected an integer >= 1 (or null to disable)")
        for key in ("class_weights", "pos_weight"):
            value = getattr(self, key)
            if isinstance(value, str) and value != "balanced":
                raise ConfigError(f"train.{key}={value!r}: expected 'balanced' or a list of numbers")
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"train.threshold={self.threshold}: expected a probability in (0, 1)")
        if self.focal_alpha is not None and not 0.0 < self.focal_alpha < 1.0:
            raise ConfigError(f"train.focal_alpha={self.focal_alpha}: expected a number in (0, 1) or null")
        if self.batch_size < 1 or self.eval_batch_size < 1 or self.grad_accumulation < 1:
            raise ConfigError("train.batch_size, train.eval_batch_size and train.grad_accumulation must be >= 1")

    def warmup_steps(self) -> float | int:
        """The value for ``TrainingArguments.warmup_steps`` (a float is a ratio there)."""
        return int(self.warmup) if self.warmup >= 1 else float(self.warmup)


@dataclass
class RunConfig:
    """Everything a run needs; written resolved into every run folder."""

    task: str = "sequence_classification"
    """Task name: sequence_classification, multi_label_classification, token_classification or
    question_answering."""
    output_dir: str = "runs"
    """Parent folder; each run gets its own timestamped folder inside it."""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (YAML/JSON serialisable)."""
        return dataclasses.asdict(self)


def preset_names() -> list[str]:
    """Names of the presets shipped with the package."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def build_config(
    preset: str | None = None,
    config_file: str | Path | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    **sections: dict[str, Any],
) -> RunConfig:
    """Build a validated :class:`RunConfig` from a preset, a YAML file, section dicts and overrides.

    Args:
        preset: Name of a shipped preset (see :func:`preset_names`).
        config_file: A YAML file with the same shape as :class:`RunConfig`.
        overrides: Dotted ``key=value`` strings (values parsed as YAML), or a mapping of dotted keys to
            values (``{"train.epochs": 2}``), applied last.
        **sections: Extra nested dicts merged before overrides (the CLI's flags).

    Raises:
        ConfigError: On an unknown preset or key, a wrong type or contradictory settings.
    """
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in preset_names():
            raise ConfigError(f"unknown preset {preset!r}; available: {', '.join(preset_names())}")
        values = merge(values, load_yaml(PRESET_DIR / f"{preset}.yaml"))
    if config_file is not None:
        values = merge(values, load_yaml(Path(config_file)))
    for key, section in sections.items():
        values = merge(values, {key: section})
    return build_dataclass(RunConfig, apply_overrides(values, overrides), "")


def config_from_dict(values: dict[str, Any]) -> RunConfig:
    """Rebuild a :class:`RunConfig` from its ``to_dict`` form (e.g. a saved run_config.yaml)."""
    return build_dataclass(RunConfig, values, "")
