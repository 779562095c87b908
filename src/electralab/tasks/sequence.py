"""What every fine-tuning task on an encoder + head shares: model building, recipe keywords, save, report.

A concrete task (single-label, multi-label, token classification, ...) says how to read and tokenise its
data, which problem type and loss settings its model gets, how to score and how to present predictions.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from transformers import EarlyStoppingCallback, EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase, set_seed

from ..config import RunConfig, config_from_dict
from ..data.prepare import read_raw_splits
from ..engine.callbacks import FreezeEncoderCallback, LogFinalStep
from ..engine.params import apply_freezing
from ..engine.rundir import save_run_config
from ..engine.trainer import ElectralabTrainer
from ..errors import ConfigError
from ..models.loading import load_encoder, load_tokenizer, set_attention
from ..reports.html import write_report
from ..reports.summary import print_summary
from .base import FinalEvaluation, ServingTask, Task, TrainingParts


@dataclass
class PreparedData:
    """Tokenised train/dev splits for the Trainer plus the raw splits for the final report."""

    train: Dataset
    dev: Dataset
    raw: dict[str, Dataset]
    label_names: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    """Facts for metrics.json's ``run`` section (data checks, rows dropped by data.deduplicate)."""


class EncoderTask(Task, ServingTask):
    """A fine-tuning task on a pretrained encoder with a head; configured by a :class:`RunConfig`."""

    run_prefix = "run"
    metric_names: tuple[str, ...] = ()
    """Dev metrics the task reports; any can be ``train.metric_for_best``."""
    label_column = "label"
    """The label column of the task's raw splits (``labels``: a list of names per row)."""
    carving = ""
    """How dev (and test) are carved out of train when their files are absent, for the run description."""

    def raw_splits(self, config: RunConfig) -> dict[str, Dataset]:
        """The configured files as they are (row limits applied; nothing dropped or carved), for data checks."""
        return read_raw_splits(config.data, config.train.seed, multi_label=self.label_column == "labels")

    def config_from_dict(self, values: dict[str, Any]) -> RunConfig:
        """Rebuild a :class:`RunConfig` (the ``run_config.yaml`` of a run folder)."""
        return config_from_dict(values)

    def validate(self, config: RunConfig) -> None:
        """A model must be given and ``train.metric_for_best`` must be one of the task's metrics."""
        if config.model.name_or_path is None:
            raise ConfigError("no model given: pass --model (a hub id or a local encoder folder)")
        if config.train.metric_for_best not in self.metric_names:
            raise ConfigError(
                f"train.metric_for_best={config.train.metric_for_best!r}: expected one of {list(self.metric_names)}"
            )

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

    def dev_metrics(self, config: RunConfig, data: PreparedData) -> Callable[[EvalPrediction], dict]:
        """The Trainer's ``compute_metrics`` (a task may score windows as documents here)."""
        return self.compute_metrics

    def build(self, config: RunConfig) -> TrainingParts:
        """Tokenizer, data, encoder and the task's model with its freezing; nothing is written yet."""
        tokenizer = load_tokenizer(config.model.name_or_path)
        data = self.prepare(config, tokenizer)
        model, frozen = self._model_on(config, data)
        notes = list(data.notes)
        if frozen:
            notes.append(f"frozen for the whole run: {len(frozen)} encoder tensors")
        return TrainingParts(
            model=model,
            train=data.train,
            dev=data.dev,
            collator=self.collator(tokenizer),
            trainer_class=ElectralabTrainer,
            arguments=recipe_arguments(config),
            trainer_kwargs={
                "head_learning_rate": config.train.head_learning_rate,
                "layer_lr_decay": config.train.layer_lr_decay,
                "batching": config.train.batching,
            },
            compute_metrics=self.dev_metrics(config, data),
            processing_class=tokenizer,
            callbacks=recipe_callbacks(config, model),
            notes=notes,
            warnings=list(data.warnings),
            summary={
                "model": config.model.name_or_path,
                "head": getattr(model.config, "head", config.model.head),
                "train_rows": len(data.train),
                "dev_rows": len(data.dev),
                "test_rows": len(data.raw["test"]) if "test" in data.raw else 0,
                **data.facts,
            },
            state=data,
        )

    def fresh_model(self, config: RunConfig, data: PreparedData) -> PreTrainedModel:
        """A new model of ``config`` on data already prepared (``TrainingParts.state``): a search trial's model."""
        return self._model_on(config, data)[0]

    def _model_on(self, config: RunConfig, data: PreparedData) -> tuple[PreTrainedModel, list[str]]:
        """The pretrained encoder with the task's head, seeded, frozen as configured; and the frozen tensors."""
        encoder = load_encoder(config.model.name_or_path)
        set_attention(encoder, config.model.attention)
        set_seed(config.train.seed)
        model = self.build_model(config, encoder, data)
        return model, apply_freezing(model, config.train)

    def describe_run(self, config: RunConfig) -> dict[str, Any]:
        """Each split's file and which of its rows were read; the recipe's key settings."""
        data, train = config.data, config.train
        limits = {"train": data.max_train_rows, "dev": data.max_dev_rows, "test": data.max_test_rows}
        files = {"train": data.train_file, "dev": data.dev_file, "test": data.test_file}
        described = {}
        for split, name in files.items():
            if name is not None:
                described[split] = f"{data.resolve(name)}: {rows_read(limits[split], data.row_sample, train.seed)}"
            elif split == "test" and data.test_fraction is not None:
                fraction = data.test_fraction
                described[split] = f"carved from train first ({fraction:.0%}{self.carving}, seed {train.seed})"
            elif split == "dev":
                described[split] = f"carved from train ({data.dev_fraction:.0%}{self.carving}, seed {train.seed})"
        settings = {
            "task": config.task, "head": config.model.head, "max_length": data.max_length,
            "epochs": train.epochs if train.max_steps <= 0 else f"max_steps={train.max_steps}",
            "batch_size": train.batch_size * train.grad_accumulation, "learning_rate": train.learning_rate,
            "warmup": train.warmup, "scheduler": train.scheduler, "loss": train.loss, "seed": train.seed,
            "precision": train.precision, "metric_for_best": train.metric_for_best,
            "frozen": ", ".join(name for name, on in (("embeddings", train.freeze_embeddings),
                      ("word embeddings", train.freeze_word_embeddings),
                      (f"{train.freeze_layers} layers", train.freeze_layers > 0)) if on) or "nothing",
        }  # fmt: skip
        return {"data": described, "settings": settings}

    def save(self, config: RunConfig, trainer: Any, parts: TrainingParts, run_dir: Path) -> dict[str, Path]:
        """``model/``: a Hugging Face folder with the tokenizer and the resolved run config."""
        model_dir = run_dir / "model"
        trainer.save_model(str(model_dir))  # writes on the main process only
        if trainer.is_world_process_zero():
            save_run_config(model_dir, config)
        return {"model": model_dir}

    def report(
        self, run_dir: Path, metrics: dict[str, Any], log_history: list[dict], evaluation: FinalEvaluation
    ) -> Path:
        """``report.html`` (curves, confusion matrix, per-class table, wrong examples) and the console summary."""
        report = write_report(
            run_dir, metrics, log_history, evaluation.wrong_examples, predictions=evaluation.predictions
        )
        print_summary(metrics, run_dir / "model", report, evaluation.warnings)
        return report


def rows_read(limit: int | None, sample: str, seed: int) -> str:
    """Which rows of a file a run read: all, the first N, or N sampled at random with the seed."""
    if limit is None:
        return "all rows"
    return f"the first {limit:,} rows" if sample == "first" else f"{limit:,} rows sampled at random (seed {seed})"


def recipe_arguments(config: RunConfig) -> dict[str, Any]:
    """The fine-tuning recipe's own TrainingArguments: schedule, evaluation and keep-best, batching."""
    train = config.train
    metric = train.metric_for_best
    validation = train.eval_strategy != "no"
    return {
        "per_device_eval_batch_size": train.eval_batch_size,
        "learning_rate": train.learning_rate,
        "warmup_steps": train.warmup_steps(),
        "lr_scheduler_type": train.scheduler,
        "activation_checkpointing": train.gradient_checkpointing,
        "eval_strategy": train.eval_strategy,
        "eval_steps": train.eval_steps,
        "save_strategy": train.eval_strategy if validation else "epoch",
        "save_steps": train.eval_steps,
        "load_best_model_at_end": validation,
        "metric_for_best_model": metric if validation else None,
        "greater_is_better": metric != "loss" if validation else None,
        "train_sampling_strategy": "group_by_length" if train.batching == "group_by_length" else "random",
        "length_column_name": "length",
    }


def recipe_callbacks(config: RunConfig, model: torch.nn.Module) -> list[Any]:
    """Logging the final step; early stopping and head-first warm-up freezing, when configured."""
    callbacks: list[Any] = [LogFinalStep()]
    if config.train.early_stopping_patience:
        callbacks.append(
            EarlyStoppingCallback(config.train.early_stopping_patience, config.train.early_stopping_min_delta)
        )
    if config.train.freeze_encoder_epochs > 0:
        callbacks.append(FreezeEncoderCallback(model, config.train.freeze_encoder_epochs))
    return callbacks
