"""ELECTRA replaced-token-detection pretraining as one more task on the common run skeleton.

The task supplies the generator + discriminator pair, the packed corpus, the RTD model, a Trainer that
records each forward (for the per-step view) and the view callback; the skeleton does the rest (run folder,
seed, resume, trackers, metrics.json), exactly as for fine-tuning.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import datasets
from rich.console import Console

from ..config import PretrainConfig, PretrainTrainConfig, pretrain_config_from_dict
from ..config.pretrain import CONFIG_NAME
from ..engine.callbacks import LogFinalStep
from ..models.loading import set_attention
from ..pretraining.callbacks import METRICS_NAME, ReplacedTokenViewCallback, truncate_jsonl
from ..pretraining.corpus import collate, pretraining_dataset
from ..pretraining.model import ElectraPretrainingModel
from ..pretraining.pair import ModelPair, build_pair, save_pair
from ..pretraining.trainer import PretrainingTrainer, StepRecorder
from ..pretraining.view import REPORT_NAME, VIEWS_NAME, write_html_report
from .base import FinalEvaluation, Task, TrainingParts, register_task


def total_steps(train: PretrainTrainConfig, dataset: datasets.Dataset | datasets.IterableDataset) -> int:
    """Optimiser steps of the run: ``max_steps``, or epochs × batches per epoch."""
    if train.max_steps > 0:
        return train.max_steps
    per_epoch = math.ceil(len(dataset) / (train.batch_size * train.grad_accumulation))  # type: ignore[arg-type]
    return max(1, math.ceil(per_epoch * train.epochs))


@register_task
class ElectraPretraining(Task):
    """Generator (masked LM) + discriminator (replaced-token detection) trained together on a corpus."""

    name = "electra_pretraining"
    config_file = CONFIG_NAME
    run_prefix = "pretrain"

    def config_from_dict(self, values: dict[str, Any]) -> PretrainConfig:
        """Rebuild a :class:`PretrainConfig` (the ``pretrain_config.yaml`` of a run folder)."""
        return pretrain_config_from_dict(values)

    def build(self, config: PretrainConfig) -> TrainingParts:
        """The model pair, the packed corpus, the RTD model and the schedule (linear warmup and decay)."""
        pair = build_pair(config.model)
        for network in (pair.generator, getattr(pair.discriminator, "encoder", pair.discriminator)):
            set_attention(network, config.model.attention)
            if config.train.gradient_checkpointing:
                network.activation_checkpointing_enable()
        dataset = pretraining_dataset(config.corpus, pair.tokenizer)
        steps = total_steps(config.train, dataset)
        from_scratch = config.model.from_scratch is not None
        learning_rate = config.train.resolved_learning_rate(pair.discriminator_hidden_size, from_scratch)
        warmup = config.train.resolved_warmup_steps(steps)
        model = ElectraPretrainingModel(
            pair.generator,
            pair.discriminator,
            pair.tokenizer.mask_token_id,
            pair.tokenizer.all_special_ids,
            config.objective,
        )
        return TrainingParts(
            model=model,
            train=dataset,
            dev=None,
            collator=collate(pair.tokenizer.pad_token_id),
            trainer_class=PretrainingTrainer,
            arguments={
                "learning_rate": learning_rate,
                "lr_scheduler_type": "linear",
                "warmup_steps": warmup,
                "eval_strategy": "no",
                "save_strategy": "steps",
                "save_steps": config.train.save_steps,
                "remove_unused_columns": False,
            },
            trainer_kwargs={"recorder": StepRecorder()},
            callbacks=[LogFinalStep()],
            notes=[
                *pair.notes,
                f"{steps} steps, peak learning rate {learning_rate:g}, warmup {warmup} steps",
                *learning_rate_notes(config, learning_rate),
            ],
            warnings=list(pair.warnings),
            summary={
                "discriminator": config.model.discriminator or f"scratch:{config.model.from_scratch}",
                "generator": pair.generator_origin,
                "sequences": len(dataset) if isinstance(dataset, datasets.Dataset) else None,
                "learning_rate": learning_rate,
                "warmup_steps": warmup,
            },
            state=pair,
        )

    def describe_run(self, config: PretrainConfig) -> dict[str, Any]:
        """The corpus files and the pretraining recipe's key settings."""
        corpus, train = config.corpus, config.train
        streamed = " (streamed)" if corpus.streaming else ""
        return {
            "data": {"corpus": ", ".join(corpus.paths) + f"{streamed}: every {corpus.documents}, packed into "
                     f"{corpus.max_length}-token sequences"},
            "settings": {
                "steps": train.max_steps if train.max_steps > 0 else f"{train.epochs} epochs",
                "batch_size": train.batch_size * train.grad_accumulation, "mask_prob": config.objective.mask_prob,
                "rtd_weight": config.objective.rtd_weight, "seed": train.seed, "precision": train.precision,
                "logging_steps": train.logging_steps,
            },
        }  # fmt: skip

    def run_callbacks(self, config: PretrainConfig, parts: TrainingParts, run_dir: Path, console: Console) -> list:
        """The per-step view of what was replaced and caught, and ``metrics.jsonl``."""
        recorder = parts.trainer_kwargs["recorder"]
        return [ReplacedTokenViewCallback(recorder, parts.state.tokenizer, run_dir, config.train.view_steps, console)]

    def on_resume(self, run_dir: Path, step: int) -> None:
        """Drop the logs and views after the checkpoint's step; rewrite the report from what is left."""
        for name in (METRICS_NAME, VIEWS_NAME):
            truncate_jsonl(run_dir / name, step)
        write_html_report(run_dir)

    def evaluate(self, config: PretrainConfig, trainer: Any, parts: TrainingParts) -> FinalEvaluation:
        """No held-out scoring: the last training log (losses and diagnostics) and the final learning rate."""
        last_log = next((entry for entry in reversed(trainer.state.log_history) if "loss" in entry), {})
        final_lr = trainer.lr_scheduler.get_last_lr()[0]
        return FinalEvaluation(metrics={"last_log": last_log}, run={"final_learning_rate": final_lr})

    def save(self, config: PretrainConfig, trainer: Any, parts: TrainingParts, run_dir: Path) -> dict[str, Path]:
        """``discriminator/`` and ``generator/``: Hugging Face folders with the tokenizer."""
        pair: ModelPair = parts.state
        if not trainer.is_world_process_zero():
            return {"discriminator": run_dir / "discriminator", "generator": run_dir / "generator"}
        discriminator_dir, generator_dir = save_pair(pair, run_dir)
        return {"discriminator": discriminator_dir, "generator": generator_dir}

    def report(
        self, run_dir: Path, metrics: dict[str, Any], log_history: list[dict], evaluation: FinalEvaluation
    ) -> Path:
        """``pretrain_report.html`` (the per-step views and curves), rewritten with the final logs."""
        report = write_html_report(run_dir)
        console = Console(stderr=True)
        console.print(
            f"discriminator: {run_dir / 'discriminator'}\ngenerator: {run_dir / 'generator'}\nreport: {report}"
        )
        return report


def learning_rate_notes(config: PretrainConfig, learning_rate: float) -> list[str]:
    """Why a pretrained discriminator got its default learning rate, not the paper's from-scratch one."""
    if config.train.learning_rate is not None or config.model.from_scratch is not None:
        return []
    return [
        f"peak learning rate {learning_rate:g}: the default for adapting an already pretrained encoder; the ELECTRA "
        "paper's from-scratch rate (5e-4 for small models) made a fine-tuned MiniLM 2.8 points worse on average after "
        "adapting it to IMDB, six seeds out of six worse (BENCHMARKS.md, domain-adaptive pretraining); set "
        "train.learning_rate to override"
    ]


__all__ = ["REPORT_NAME", "ElectraPretraining", "total_steps"]
