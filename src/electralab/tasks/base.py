"""The task interface: what differs between classification, multi-label, NER, QA and ELECTRA pretraining.

The run skeleton (:func:`electralab.training.recipe.run`) is the same for every task: validate → build the
parts (before any run folder exists) → run folder → seed → Trainer → train → evaluate → save → report. A task
is a class registered by name that supplies those parts; the skeleton never branches on a task's name.
A task that serves saved models (evaluate / predict on new texts) also implements :class:`ServingTask`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError


@dataclass
class TrainingParts:
    """What a task hands the skeleton: model, data, batching, scoring and the Trainer to run them.

    Attributes:
        model: The model to train (a ``PreTrainedModel`` or any ``nn.Module`` whose forward returns a loss).
        train: Tokenised training rows (``datasets.Dataset`` or ``IterableDataset``).
        dev: Tokenised dev rows for model selection, or None (no evaluation during training).
        collator: Batches rows (dynamic padding).
        trainer_class: The ``Trainer`` subclass to run (``ElectralabTrainer`` or one derived from it).
        arguments: The task's own ``TrainingArguments`` keywords (schedule, evaluation, learning rate, ...).
        trainer_kwargs: Extra keywords of ``trainer_class`` (optimiser groups, batching, recorders).
        compute_metrics: Dev metrics from an ``EvalPrediction``.
        processing_class: The tokenizer (saved with checkpoints).
        callbacks: Trainer callbacks that need no run folder.
        notes: Lines worth printing (what was read, carved, skipped).
        warnings: Problems worth a warning panel (and the report).
        summary: Facts for ``metrics.json``'s ``run`` section (rows, model names, ...).
        state: Whatever else the task keeps between building and finishing (raw splits, a model pair, ...).
    """

    model: Any
    train: Any
    dev: Any
    collator: Callable
    trainer_class: type
    arguments: dict[str, Any] = field(default_factory=dict)
    trainer_kwargs: dict[str, Any] = field(default_factory=dict)
    compute_metrics: Callable | None = None
    processing_class: Any = None
    callbacks: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    state: Any = None


@dataclass
class FinalEvaluation:
    """Metrics per split (``dev``, ``test``) and examples worth a look in the report."""

    metrics: dict[str, Any]
    wrong_examples: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    """Facts added to ``metrics.json``'s ``run`` section (e.g. the final learning rate)."""
    predictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """One JSON-ready row per text of a split (``test``): the text, gold and predicted labels or spans, written
    to ``predictions/<split>.jsonl``; they agree with the split's scores in ``metrics.json``."""


class Task(ABC):
    """One kind of training problem plugged into the common skeleton.

    Class attributes:
        name: The registry name (``RunConfig.task``).
        config_file: The resolved config's file name in a run folder.
        run_prefix: Default prefix of a new run folder's name.
    """

    name: str
    config_file: str = "run_config.yaml"
    run_prefix: str = "run"

    @abstractmethod
    def config_from_dict(self, values: dict[str, Any]) -> Any:
        """Rebuild this task's config from a run folder's saved config (for resume)."""

    def validate(self, config: Any) -> None:
        """Refuse a config that cannot run, before anything is read or loaded (default: nothing to check)."""
        return None

    @abstractmethod
    def build(self, config: Any) -> TrainingParts:
        """Read and check the data, load the model(s): everything that can fail, before a run folder exists."""

    def describe_run(self, config: Any) -> dict[str, Any]:
        """What the run read and how it trained, for the report header and the model card.

        Returns ``{"data": {name: description}, "settings": {name: value}}`` (default: nothing known).
        """
        return {"data": {}, "settings": {}}

    def run_callbacks(self, config: Any, parts: TrainingParts, run_dir: Path, console: Any) -> list[Any]:
        """Callbacks that write into the run folder (created after :meth:`build`)."""
        return []

    def on_resume(self, run_dir: Path, step: int) -> None:
        """Forget what was logged after ``step``: a resumed run logs those steps again (default: nothing)."""
        return None

    @abstractmethod
    def evaluate(self, config: Any, trainer: Any, parts: TrainingParts) -> FinalEvaluation:
        """Score the final model (may set saved decision settings, such as thresholds, on the model)."""

    @abstractmethod
    def save(self, config: Any, trainer: Any, parts: TrainingParts, run_dir: Path) -> dict[str, Path]:
        """Write the trained model folder(s); returns them by name (``model``, ``discriminator``, ...)."""

    @abstractmethod
    def report(
        self, run_dir: Path, metrics: dict[str, Any], log_history: list[dict], evaluation: FinalEvaluation
    ) -> Path:
        """Write the human-readable report of the run and print its summary; returns the report's path."""


class ServingTask(ABC):
    """What a task adds to serve a saved model: read labelled files, predict new texts, score labelled data.

    The inference layer asks the model's task (found by :func:`task_for_model`) instead of branching on it.
    """

    auto_model_class_name: str = "AutoModelForSequenceClassification"
    """The ``transformers`` Auto class that loads the task's saved model folders."""

    @abstractmethod
    def read_labelled(
        self, path: str, data: Any, text_column: str | None, label_column: str | None, fmt: str = "table"
    ) -> Any:
        """Read a labelled file with reader ``fmt`` into a ``datasets.Dataset`` (``text`` [, ``text_pair``], labels).

        ``data`` is the run's ``DataConfig`` (columns, label encoding) or None for a model folder without one.
        """

    @abstractmethod
    def predict_texts(
        self, predictor: Any, texts: Sequence[str], text_pairs: Sequence[str] | None, batch_size: int
    ) -> list[dict[str, Any]]:
        """One JSON-ready prediction per text (with its pair, where the task takes one)."""

    @abstractmethod
    def score_dataset(self, predictor: Any, dataset: Any, batch_size: int, source: str) -> dict[str, Any]:
        """Full metrics of the predictor on a labelled dataset (``source`` names it in errors)."""


class TextScoringTask(ServingTask):
    """A serving task whose model gives one row of logits per text: predictions and metrics read those logits."""

    @abstractmethod
    def score(self, model_config: Any, logits: Any, dataset: Any, source: str) -> dict[str, Any]:
        """Full metrics of ``logits`` against the labels of ``dataset`` (``source`` names it in errors)."""

    @abstractmethod
    def present(self, model_config: Any, texts: Sequence[str], logits: Any) -> list[dict[str, Any]]:
        """One JSON-ready prediction per text."""

    def predict_texts(
        self, predictor: Any, texts: Sequence[str], text_pairs: Sequence[str] | None, batch_size: int
    ) -> list[dict[str, Any]]:
        """The predictor's logits of the texts, presented."""
        return self.present(predictor.model.config, texts, predictor.logits(texts, text_pairs, batch_size))

    def score_dataset(self, predictor: Any, dataset: Any, batch_size: int, source: str) -> dict[str, Any]:
        """The predictor's logits of the dataset's texts, scored against its labels."""
        pairs = dataset["text_pair"][:] if "text_pair" in dataset.column_names else None
        logits = predictor.logits(dataset["text"][:], pairs, batch_size)
        return self.score(predictor.model.config, logits, dataset, source)


TASKS: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Register a task class under its ``name``."""
    TASKS[cls.name] = cls
    return cls


def get_task(name: str) -> Task:
    """Instantiate the task registered as ``name``."""
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r} (task); available: {', '.join(sorted(TASKS))}")
    return TASKS[name]()


def task_for_model(model_config: Any) -> Task:
    """The task a saved model belongs to: its config's ``task`` (older folders: from ``problem_type``)."""
    name = getattr(model_config, "task", None)
    if not name:
        multi = getattr(model_config, "problem_type", None) == "multi_label_classification"
        name = "multi_label_classification" if multi else "sequence_classification"
    return get_task(name)
