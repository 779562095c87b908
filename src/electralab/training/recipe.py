"""The one run skeleton of every task: validate → build → run folder → seed → Trainer → evaluate → save → report.

Fine-tuning (classification, multi-label, ...) and ELECTRA pretraining run through :func:`run`; a task
(:class:`~electralab.tasks.Task`) supplies the parts. Nothing here branches on a task's name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from accelerate import PartialState
from accelerate.utils import broadcast_object_list
from rich.console import Console
from rich.panel import Panel
from transformers import EvalPrediction, TrainerCallback, set_seed

from ..config import load_yaml, save_yaml
from ..engine.arguments import build_training_arguments, check_trackers
from ..engine.checkpoints import newest_good_checkpoint, resolve_best_checkpoint
from ..engine.device import fast_dropout_wanted, use_cpu
from ..engine.rundir import CHECKPOINTS, check_output_dir, complete_checkpoints, new_run_dir
from ..errors import ConfigError
from ..files import write_json
from ..models.dropout import use_fast_dropout
from ..results import RunResult
from ..tasks import Task, TrainingParts, get_task
from .pruning import prune_checkpoints
from .record import record_run, write_model_cards

console = Console(stderr=True)


def distributed_state() -> PartialState:
    """The processes of this run: one, or those started by torchrun / accelerate launch (gloo between CPUs)."""
    return PartialState(cpu=use_cpu(bf16=False))


def shared_run_dir(processes: PartialState, output_dir: str, run_name: str) -> Path:
    """A new run folder, created by the main process and the same for every process of a distributed run."""
    holder = [new_run_dir(output_dir, run_name) if processes.is_main_process else None]
    if processes.num_processes > 1:
        broadcast_object_list(holder)
    return Path(holder[0])


def cpu_dropout(train: Any, model: Any) -> list[str]:
    """Cheaper dropout masks for ``model`` where ``train.dropout_masks`` wants them; the note to print."""
    if not fast_dropout_wanted(train):
        return []
    layers, attention = use_fast_dropout(model)
    where = f"{layers} dropout layers" + (" and the attention probabilities" if attention else "")
    return [f"dropout masks: drawn by electralab on the CPU ({where}; train.dropout_masks=torch for torch masks)"]


def counting_rows(compute_metrics: Callable[[EvalPrediction], dict]) -> Callable[[EvalPrediction], dict]:
    """Add ``rows`` (unless the task counts them): a distributed evaluation must see each row exactly once."""

    def compute(prediction: EvalPrediction) -> dict:
        return {"rows": len(prediction.label_ids), **compute_metrics(prediction)}

    return compute


def task_of_run(run_dir: Path) -> Task:
    """The task of an earlier run folder, from the config file it holds."""
    for name in ("run_config.yaml", "pretrain_config.yaml"):
        if (run_dir / name).is_file():
            return get_task(load_yaml(run_dir / name).get("task", "electra_pretraining"))
    raise ConfigError(
        f"{run_dir} has no run_config.yaml or pretrain_config.yaml: pass a run folder created by "
        "`electralab train` or `electralab pretrain`"
    )


def run(
    config: Any = None,
    task: Task | None = None,
    resume_dir: Path | None = None,
    run_name: str | None = None,
    extra_callbacks: Sequence[TrainerCallback] = (),
) -> RunResult:
    """Run a task's training recipe and write its run folder.

    Args:
        config: The resolved config (a ``RunConfig`` or a ``PretrainConfig``); ignored when resuming, where the
            run folder's own config is used.
        task: The task; default the one ``config.task`` names (pretraining configs name none: pass the task).
        resume_dir: An earlier run folder to continue from its last complete checkpoint.
        run_name: Prefix of the new timestamped run folder (default: the task's).
        extra_callbacks: More Trainer callbacks (tests use one to interrupt a run).

    Raises:
        ElectralabError: On a bad config, data or model, before any run folder is created.
    """
    if resume_dir is not None:
        resume_dir = Path(resume_dir)
        task = task or task_of_run(resume_dir)
        config = task.config_from_dict(load_yaml(resume_dir / task.config_file))
    task = task or get_task(config.task)
    task.validate(config)
    check_trackers(config.train.report_to)
    if resume_dir is None:
        check_output_dir(config.output_dir)
    set_seed(config.train.seed)
    parts = task.build(config)  # everything that can fail on the user's input fails here, before any folder
    parts.notes.extend(cpu_dropout(config.train, parts.model))
    processes = distributed_state()
    console.quiet = not processes.is_main_process
    run_dir = resume_dir or shared_run_dir(processes, config.output_dir, run_name or task.run_prefix)
    if processes.is_main_process:
        save_yaml(run_dir / task.config_file, config.to_dict())
    _announce(run_dir, parts)
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(run_dir / "tensorboard")
    trainer = _trainer(config, task, parts, run_dir, extra_callbacks)
    checkpoint = _resume_checkpoint(run_dir, parts.model, processes) if resume_dir is not None else None
    if resume_dir is not None:
        task.on_resume(run_dir, int(checkpoint.name.split("-")[-1]) if checkpoint else 0)
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    train_seconds = time.perf_counter() - started
    return _finish(config, task, parts, trainer, run_dir, train_seconds, processes.is_main_process)


def _resume_checkpoint(run_dir: Path, model: Any, processes: PartialState) -> Path | None:
    """The newest checkpoint that loads and fits the model, its best checkpoint resolved against ``run_dir``."""
    checkpoint = newest_good_checkpoint(complete_checkpoints(run_dir), model, lambda line: console.print(f"  {line}"))
    console.print(f"  resuming from {checkpoint or 'the start (no usable checkpoint found)'}")
    if checkpoint is not None and processes.is_main_process:
        best = resolve_best_checkpoint(checkpoint)
        console.print(f"  best checkpoint so far: {Path(best).name if best else 'none'}")
    processes.wait_for_everyone()
    return checkpoint


def _announce(run_dir: Path, parts: TrainingParts) -> None:
    console.print(f"[bold]run folder[/bold] {run_dir}")
    for note in parts.notes:
        console.print(f"  {note}")
    for warning in parts.warnings:
        console.print(Panel(warning, title="warning", style="yellow"))


def _trainer(
    config: Any, task: Task, parts: TrainingParts, run_dir: Path, extra_callbacks: Sequence[TrainerCallback]
) -> Any:
    callbacks = [*task.run_callbacks(config, parts, run_dir, console), *parts.callbacks, *extra_callbacks]
    return parts.trainer_class(
        model=parts.model,
        args=build_training_arguments(config.train, run_dir / CHECKPOINTS, **parts.arguments),
        train_dataset=parts.train,
        eval_dataset=parts.dev,
        data_collator=parts.collator,
        processing_class=parts.processing_class,
        compute_metrics=counting_rows(parts.compute_metrics) if parts.compute_metrics else None,
        callbacks=callbacks,
        **parts.trainer_kwargs,
    )


def _finish(
    config: Any, task: Task, parts: TrainingParts, trainer: Any, run_dir: Path, seconds: float, main_process: bool
) -> RunResult:
    """Evaluate (may set decision thresholds), save the model folder(s), write metrics and the report."""
    training_ended = time.time()
    # The final scores are the model's at prediction time: dropout off. The Trainer leaves the model in training
    # mode after its last step unless an evaluation came last (train.eval_strategy=no, or steps not on an epoch).
    trainer.model.eval()
    evaluation = task.evaluate(config, trainer, parts)
    outputs = task.save(config, trainer, parts, run_dir)
    run_facts = {
        "task": task.name,
        **parts.summary,
        "global_step": trainer.state.global_step,
        "best_checkpoint": _in_run(run_dir, trainer.state.best_model_checkpoint),
        "train_seconds": round(seconds, 1),
        **evaluation.run,
    }
    metrics = {
        "run": run_facts,
        **evaluation.metrics,
        "notes": parts.notes,
        "warnings": parts.warnings + evaluation.warnings,
    }
    if not main_process:
        return RunResult(run_dir=run_dir, outputs=outputs, metrics=metrics)
    metrics["notes"] = metrics["notes"] + prune_checkpoints(run_dir / CHECKPOINTS, trainer.state.best_model_checkpoint)
    record_run(run_dir, config, task, parts.model, evaluation, metrics, training_ended - seconds)
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "log_history.json", trainer.state.log_history)
    report = task.report(run_dir, metrics, trainer.state.log_history, evaluation)
    write_model_cards(outputs, metrics)
    return RunResult(run_dir=run_dir, outputs=outputs, metrics=metrics, report=report)


def _in_run(run_dir: Path, checkpoint: str | None) -> str | None:
    """A checkpoint path as the run folder names it (``checkpoints/checkpoint-N``), None if it is not there."""
    if not checkpoint or not (run_dir / CHECKPOINTS / Path(checkpoint).name).is_dir():
        return None
    return f"{CHECKPOINTS}/{Path(checkpoint).name}"


def run_training(
    config: Any = None,
    resume_dir: Path | None = None,
    run_name: str = "run",
    extra_callbacks: Sequence[TrainerCallback] = (),
) -> RunResult:
    """Fine-tune ``config.model`` on ``config.data`` (or resume ``resume_dir``): :func:`run` for a ``RunConfig``."""
    return run(config, resume_dir=resume_dir, run_name=run_name, extra_callbacks=extra_callbacks)


def run_pretraining(
    config: Any = None,
    resume_dir: Path | None = None,
    run_name: str = "pretrain",
    extra_callbacks: Sequence[TrainerCallback] = (),
) -> RunResult:
    """ELECTRA pretraining of a ``PretrainConfig`` (or resume ``resume_dir``): :func:`run` with the pretraining task."""
    return run(config, get_task("electra_pretraining"), resume_dir, run_name, extra_callbacks)
