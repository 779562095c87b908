"""The fine-tuning recipe shared by every task: validate -> set up -> train -> save -> evaluate -> report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from accelerate import PartialState
from accelerate.utils import broadcast_object_list
from rich.console import Console
from rich.panel import Panel
from transformers import EarlyStoppingCallback, EvalPrediction, TrainerCallback, set_seed

from ..config import RunConfig
from ..data.windows import aggregate_windows, first_per_document
from ..errors import ConfigError
from ..models.loading import load_encoder, load_tokenizer, set_attention
from ..reports.html import write_report
from ..tasks import get_task
from .arguments import check_trackers, training_arguments, use_cpu
from .callbacks import FreezeEncoderCallback
from .params import apply_freezing
from .rundir import (
    CHECKPOINTS,
    last_complete_checkpoint,
    load_run_config,
    new_run_dir,
    save_run_config,
    write_json,
)
from .trainer import ElectralabTrainer

console = Console(stderr=True)


@dataclass
class RunResult:
    """Where a run wrote its files and what it measured."""

    run_dir: Path
    model_dir: Path
    metrics: dict[str, Any]


def _validate(config: RunConfig, metric_names: Sequence[str]) -> None:
    if config.model.name_or_path is None:
        raise ConfigError("no model given: pass --model (a hub id or a local encoder folder)")
    if config.train.metric_for_best not in metric_names:
        raise ConfigError(
            f"train.metric_for_best={config.train.metric_for_best!r}: expected one of {list(metric_names)}"
        )
    check_trackers(config.train.report_to)


def _callbacks(config: RunConfig, model: Any, extra: Sequence[TrainerCallback]) -> list[TrainerCallback]:
    callbacks: list[TrainerCallback] = list(extra)
    if config.train.early_stopping_patience:
        callbacks.append(
            EarlyStoppingCallback(config.train.early_stopping_patience, config.train.early_stopping_min_delta)
        )
    if config.train.freeze_encoder_epochs > 0:
        callbacks.append(FreezeEncoderCallback(model, config.train.freeze_encoder_epochs))
    return callbacks


def distributed_state() -> PartialState:
    """The processes of this run: one, or those started by torchrun / accelerate launch (gloo between CPUs)."""
    return PartialState(cpu=use_cpu(bf16=False))


def shared_run_dir(processes: PartialState, output_dir: str, run_name: str) -> Path:
    """A new run folder, created by the main process and the same for every process of a distributed run."""
    holder = [new_run_dir(output_dir, run_name) if processes.is_main_process else None]
    if processes.num_processes > 1:
        broadcast_object_list(holder)
    return Path(holder[0])


def _counting_rows(compute_metrics: Callable[[EvalPrediction], dict]) -> Callable[[EvalPrediction], dict]:
    """Add ``rows``, the number of predictions scored: a distributed evaluation must see each row exactly once."""

    def compute(prediction: EvalPrediction) -> dict:
        return {**compute_metrics(prediction), "rows": len(prediction.label_ids)}

    return compute


def _per_document(
    compute_metrics: Callable[[EvalPrediction], dict], doc_ids: list[int], aggregation: str
) -> Callable[[EvalPrediction], dict]:
    """Score windows as documents: aggregate each document's window logits, take its label from its first window."""
    documents = max(doc_ids) + 1

    def compute(prediction: EvalPrediction) -> dict:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        return compute_metrics(
            EvalPrediction(
                predictions=aggregate_windows(np.asarray(logits), doc_ids, documents, aggregation),
                label_ids=first_per_document(np.asarray(prediction.label_ids), doc_ids),
            )
        )

    return compute


def _dev_metrics(config: RunConfig, task: Any, dev: Any) -> Callable[[EvalPrediction], dict]:
    """The task's dev metrics, per document when long texts are windows, with the number of rows scored."""
    compute = _counting_rows(task.compute_metrics)
    if "doc_id" in dev.column_names:
        return _per_document(compute, dev["doc_id"][:], config.data.window_aggregation)
    return compute


def run_training(
    config: RunConfig,
    resume_dir: Path | None = None,
    run_name: str = "run",
    extra_callbacks: Sequence[TrainerCallback] = (),
) -> RunResult:
    """Fine-tune ``config.model`` on ``config.data`` and write model/, metrics.json and report.html.

    Args:
        config: The resolved run config (ignored when resuming: the run folder's own config is used).
        resume_dir: An earlier run folder to continue from its last complete checkpoint.
        run_name: Prefix of the new timestamped run folder.
        extra_callbacks: More Trainer callbacks (used by tests to interrupt a run).
    """
    if resume_dir is not None:
        config = load_run_config(resume_dir)
    task = get_task(config.task)
    _validate(config, task.metric_names)
    set_seed(config.train.seed)
    tokenizer = load_tokenizer(config.model.name_or_path)
    data = task.prepare(config, tokenizer)
    encoder = load_encoder(config.model.name_or_path)
    set_attention(encoder, config.model.attention)
    processes = distributed_state()
    main_process = processes.is_main_process
    console.quiet = not main_process
    # Only now, with model and data known to be good, is a run folder created (by the main process).
    run_dir = resume_dir or shared_run_dir(processes, config.output_dir, run_name)
    if main_process:
        save_run_config(run_dir, config)
    console.print(f"[bold]run folder[/bold] {run_dir}")
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(run_dir / "tensorboard")
    for note in data.notes:
        console.print(f"  {note}")
    for warning in data.warnings:
        console.print(Panel(warning, title="warning", style="yellow"))
    set_seed(config.train.seed)
    model = task.build_model(config, encoder, data)
    frozen = apply_freezing(model, config.train)
    if frozen:
        console.print(f"  frozen for the whole run: {len(frozen)} encoder tensors")

    trainer = ElectralabTrainer(
        model=model,
        args=training_arguments(config.train, run_dir / CHECKPOINTS),
        train_dataset=data.train,
        eval_dataset=data.dev,
        data_collator=task.collator(tokenizer),
        processing_class=tokenizer,
        compute_metrics=_dev_metrics(config, task, data.dev),
        callbacks=_callbacks(config, model, extra_callbacks),
        train_config=config.train,
    )
    checkpoint = last_complete_checkpoint(run_dir) if resume_dir is not None else None
    if resume_dir is not None:
        console.print(f"  resuming from {checkpoint or 'the start (no complete checkpoint found)'}")
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    train_seconds = time.perf_counter() - started

    evaluation = task.evaluate(config, trainer.model, tokenizer, data)  # may set decision thresholds
    model_dir = run_dir / "model"
    trainer.save_model(str(model_dir))  # on the main process only
    metrics = {
        "run": {
            "task": config.task,
            "model": config.model.name_or_path,
            "head": config.model.head,
            "train_rows": len(data.train),
            "dev_rows": len(data.dev),
            "test_rows": len(data.raw["test"]) if "test" in data.raw else 0,
            "global_step": trainer.state.global_step,
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "train_seconds": round(train_seconds, 1),
        },
        **evaluation.metrics,
        "notes": data.notes,
        "warnings": data.warnings + evaluation.warnings,
    }
    if not main_process:
        return RunResult(run_dir=run_dir, model_dir=model_dir, metrics=metrics)
    save_run_config(model_dir, config)
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "log_history.json", trainer.state.log_history)
    report = write_report(run_dir, metrics, trainer.state.log_history, evaluation.wrong_examples)
    for warning in evaluation.warnings:
        console.print(Panel(warning, title="WARNING", style="bold red"))
    _print_summary(metrics, model_dir, report)
    return RunResult(run_dir=run_dir, model_dir=model_dir, metrics=metrics)


SUMMARY_KEYS = ("accuracy", "f1_micro", "f1_macro", "f1_weighted", "f1_micro_at_0.5", "f1_macro_at_0.5", "loss")


def _print_summary(metrics: dict[str, Any], model_dir: Path, report: Path) -> None:
    from rich.table import Table

    splits = [split for split in ("dev", "test") if split in metrics]
    keys = [key for key in SUMMARY_KEYS if any(isinstance(metrics[s].get(key), float) for s in splits)]
    table = Table(title="results")
    table.add_column("split")
    for key in keys:
        table.add_column(key, justify="right")
    for split in splits:
        table.add_row(split, *(f"{metrics[split].get(key, float('nan')):.4f}" for key in keys))
    console.print(table)
    console.print(f"model: {model_dir}\nreport: {report}")
