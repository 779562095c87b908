"""Translate a typed ``train`` config section into ``transformers.TrainingArguments``.

The keywords every task shares (epochs, batch size, optimiser, precision, logging, trackers, checkpoints
kept) come from :func:`shared_arguments`; a task adds its own (evaluation, schedule, learning rate).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch
from transformers import TrainingArguments

from ..errors import ConfigError
from .device import precision_flags, use_cpu

TRACKER_PACKAGES = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}


def check_trackers(report_to: list[str]) -> list[str]:
    """Validate ``train.report_to``: known names whose packages are installed."""
    for name in report_to:
        if name not in TRACKER_PACKAGES:
            raise ConfigError(
                f"train.report_to: unknown tracker {name!r}; choose from {sorted(TRACKER_PACKAGES)} or []"
            )
        if importlib.util.find_spec(TRACKER_PACKAGES[name]) is None:
            raise ConfigError(
                f"train.report_to includes {name!r} but the package is not installed; "
                f"pip install 'electralab[{name}]' or remove it from train.report_to"
            )
    return list(report_to) or ["none"]


def shared_arguments(train: Any) -> dict[str, Any]:
    """TrainingArguments keywords read from the fields every ``train`` section has (fine-tuning and pretraining)."""
    bf16, fp16 = precision_flags(train.precision)
    return {
        "num_train_epochs": train.epochs,
        "max_steps": train.max_steps,
        "per_device_train_batch_size": train.batch_size,
        "gradient_accumulation_steps": train.grad_accumulation,
        "weight_decay": train.weight_decay,
        "adam_epsilon": train.adam_epsilon,
        "max_grad_norm": train.max_grad_norm,
        "seed": train.seed,
        "bf16": bf16,
        "fp16": fp16,
        "use_cpu": use_cpu(bf16),
        "save_total_limit": train.keep_checkpoints,
        "logging_steps": train.logging_steps,
        "report_to": check_trackers(train.report_to),
        "disable_tqdm": not train.progress_bar,
        "dataloader_num_workers": 0,
        "dataloader_pin_memory": torch.cuda.is_available(),
        "torch_compile": bool(getattr(train, "compile", False)),
    }


def build_training_arguments(train: Any, checkpoint_dir: Path, **task_arguments: Any) -> TrainingArguments:
    """TrainingArguments for one run: the shared keywords, then the task's own (which win)."""
    return TrainingArguments(output_dir=str(checkpoint_dir), **{**shared_arguments(train), **task_arguments})
