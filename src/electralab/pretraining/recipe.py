"""The pretraining recipe: validate → build the pair → read the corpus → train → save both models."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import torch
from rich.console import Console
from rich.panel import Panel
from transformers import TrainerCallback, TrainingArguments, set_seed

from ..models.loading import set_attention
from ..training.arguments import check_trackers, precision_flags, use_cpu
from ..training.rundir import CHECKPOINTS, last_complete_checkpoint, new_run_dir, write_json
from .callbacks import METRICS_NAME, ReplacedTokenViewCallback, truncate_jsonl
from .config import PretrainConfig, PretrainTrainConfig, load_pretrain_config, save_pretrain_config
from .corpus import collate, pretraining_dataset
from .model import ElectraPretrainingModel
from .pair import build_pair, save_pair
from .trainer import PretrainingTrainer, StepRecorder
from .view import VIEWS_NAME, write_html_report

console = Console(stderr=True)


@dataclass
class PretrainResult:
    """Where a pretraining run wrote its files and how it ended."""

    run_dir: Path
    discriminator_dir: Path
    generator_dir: Path
    metrics: dict[str, Any]


def total_steps(train: PretrainTrainConfig, dataset: datasets.Dataset | datasets.IterableDataset) -> int:
    """Optimiser steps of the run: ``max_steps``, or epochs × batches per epoch."""
    if train.max_steps > 0:
        return train.max_steps
    per_epoch = math.ceil(len(dataset) / (train.batch_size * train.grad_accumulation))  # type: ignore[arg-type]
    return max(1, math.ceil(per_epoch * train.epochs))


def pretraining_arguments(
    train: PretrainTrainConfig, checkpoint_dir: Path, learning_rate: float, warmup_steps: int
) -> TrainingArguments:
    """TrainingArguments: linear warmup then linear decay to 0, checkpoints every ``save_steps``, no evaluation."""
    bf16, fp16 = precision_flags(train.precision)
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=train.epochs,
        max_steps=train.max_steps,
        per_device_train_batch_size=train.batch_size,
        gradient_accumulation_steps=train.grad_accumulation,
        learning_rate=learning_rate,
        lr_scheduler_type="linear",
        warmup_steps=warmup_steps,
        weight_decay=train.weight_decay,
        adam_epsilon=train.adam_epsilon,
        max_grad_norm=train.max_grad_norm,
        seed=train.seed,
        bf16=bf16,
        fp16=fp16,
        use_cpu=use_cpu(bf16),
        eval_strategy="no",
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=train.keep_checkpoints,
        logging_steps=train.logging_steps,
        report_to=check_trackers(train.report_to),
        disable_tqdm=not train.progress_bar,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
    )


def run_pretraining(
    config: PretrainConfig,
    resume_dir: Path | None = None,
    run_name: str = "pretrain",
    extra_callbacks: Sequence[TrainerCallback] = (),
) -> PretrainResult:
    """Further-train (or train from scratch) an ELECTRA generator + discriminator on a corpus.

    Writes into a new timestamped folder under ``config.output_dir``: ``discriminator/`` and
    ``generator/`` (Hugging Face folders with the tokenizer), ``pretrain_report.html`` (the per-step
    views), ``metrics.jsonl`` (every log), ``metrics.json``, ``checkpoints/`` and the resolved config.

    Args:
        config: The resolved config (ignored when resuming: the run folder's own config is used).
        resume_dir: An earlier run folder to continue from its last complete checkpoint.
        run_name: Prefix of the new run folder.
        extra_callbacks: More Trainer callbacks (tests use one to interrupt a run).

    Raises:
        ElectralabError: On a bad config, corpus or model (before any run folder is created).
    """
    if resume_dir is not None:
        config = load_pretrain_config(resume_dir)
    check_trackers(config.train.report_to)
    set_seed(config.train.seed)
    pair = build_pair(config.model)
    for network in (pair.generator, getattr(pair.discriminator, "encoder", pair.discriminator)):
        set_attention(network, config.model.attention)
        if config.train.gradient_checkpointing:
            network.activation_checkpointing_enable()
    dataset = pretraining_dataset(config.corpus, pair.tokenizer)
    # Only now, with models and corpus known to be good, is a run folder created.
    run_dir = resume_dir or new_run_dir(config.output_dir, run_name)
    save_pretrain_config(run_dir, config)
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(run_dir / "tensorboard")
    console.print(f"[bold]run folder[/bold] {run_dir}")
    for note in pair.notes:
        console.print(f"  {note}")
    for warning in pair.warnings:
        console.print(Panel(warning, title="warning", style="yellow"))

    steps = total_steps(config.train, dataset)
    learning_rate = config.train.resolved_learning_rate(pair.discriminator_hidden_size)
    warmup = config.train.resolved_warmup_steps(steps)
    console.print(f"  {steps} steps, peak learning rate {learning_rate:g}, warmup {warmup} steps")
    model = ElectraPretrainingModel(
        pair.generator,
        pair.discriminator,
        pair.tokenizer.mask_token_id,
        pair.tokenizer.all_special_ids,
        config.objective,
    )
    recorder = StepRecorder()
    view = ReplacedTokenViewCallback(recorder, pair.tokenizer, run_dir, config.train.view_steps, console)
    trainer = PretrainingTrainer(
        model=model,
        args=pretraining_arguments(config.train, run_dir / CHECKPOINTS, learning_rate, warmup),
        train_dataset=dataset,
        data_collator=collate(pair.tokenizer.pad_token_id),
        callbacks=[view, *extra_callbacks],
        recorder=recorder,
    )
    checkpoint = last_complete_checkpoint(run_dir) if resume_dir is not None else None
    if resume_dir is not None:
        console.print(f"  resuming from {checkpoint or 'the start (no complete checkpoint found)'}")
        resumed_step = int(checkpoint.name.split("-")[-1]) if checkpoint else 0
        for name in (METRICS_NAME, VIEWS_NAME):
            truncate_jsonl(run_dir / name, resumed_step)
        write_html_report(run_dir)
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started

    discriminator_dir, generator_dir = save_pair(pair, run_dir)
    history = trainer.state.log_history
    last_log = next((entry for entry in reversed(history) if "loss" in entry), {})
    metrics = {
        "run": {
            "discriminator": config.model.discriminator or f"scratch:{config.model.from_scratch}",
            "generator": config.model.generator or f"fresh ({config.model.generator_fraction:g} width)",
            "sequences": len(dataset) if isinstance(dataset, datasets.Dataset) else None,
            "global_step": trainer.state.global_step,
            "learning_rate": learning_rate,
            "warmup_steps": warmup,
            "final_learning_rate": trainer.lr_scheduler.get_last_lr()[0],
            "train_seconds": round(seconds, 1),
        },
        "last_log": last_log,
        "notes": pair.notes,
        "warnings": pair.warnings,
    }
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "log_history.json", history)
    console.print(
        f"discriminator: {discriminator_dir}\ngenerator: {generator_dir}\nreport: {run_dir / 'pretrain_report.html'}"
    )
    return PretrainResult(run_dir, discriminator_dir, generator_dir, metrics)
