"""The task interface: what differs between classification, NER, QA and pretraining.

The training recipe (``electralab.training.recipe``) is the same for every task; a task only says how
to turn the config into tokenised splits, which model to build, how to batch, and how to score.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datasets import Dataset
from transformers import EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase

from ..config import RunConfig
from ..errors import ConfigError


@dataclass
class PreparedData:
    """Tokenised train/dev splits for the Trainer plus the raw splits for the final report."""

    train: Dataset
    dev: Dataset
    raw: dict[str, Dataset]
    label_names: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class FinalEvaluation:
    """Metrics per split (``dev``, ``test``) and examples worth a look in the report."""

    metrics: dict[str, dict[str, Any]]
    wrong_examples: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


class Task(ABC):
    """One kind of fine-tuning problem plugged into the common recipe."""

    name: str
    metric_names: tuple[str, ...]
    """Dev metrics the task reports; any can be ``train.metric_for_best``."""

    @abstractmethod
    def prepare(self, config: RunConfig, tokenizer: PreTrainedTokenizerBase) -> PreparedData:
        """Read, check and tokenise the data."""

    @abstractmethod
    def build_model(self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData) -> PreTrainedModel:
        """Wrap the pretrained encoder into the task's model."""

    @abstractmethod
    def collator(self, tokenizer: PreTrainedTokenizerBase) -> Callable:
        """Batch collator (dynamic padding)."""

    @abstractmethod
    def compute_metrics(self, prediction: EvalPrediction) -> dict[str, float]:
        """Dev metrics during training (keys usable as ``train.metric_for_best``)."""

    @abstractmethod
    def evaluate(
        self,
        config: RunConfig,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        data: PreparedData,
    ) -> FinalEvaluation:
        """Full metrics of the final model on dev and test."""


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
