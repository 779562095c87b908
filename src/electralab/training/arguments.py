"""Translate the typed run config into ``transformers.TrainingArguments``."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
from transformers import TrainingArguments

from ..config import TrainConfig
from ..errors import ConfigError

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


def precision_flags(precision: str) -> tuple[bool, bool]:
    """(bf16, fp16) flags for the requested precision, refusing what the hardware lacks."""
    if precision == "auto":
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return True, False
        return False, False
    if precision == "fp16" and not torch.cuda.is_available():
        raise ConfigError("train.precision=fp16 needs a CUDA GPU; use bf16 on CPU (AVX-512/AMX) or fp32")
    if precision == "bf16" and not torch.cuda.is_available() and not cpu_has_bf16():
        raise ConfigError("train.precision=bf16: this CPU has no bf16 support (AVX-512 BF16 or AMX); use fp32")
    return precision == "bf16", precision == "fp16"


def several_processes() -> bool:
    """Whether this process is one of several started by torchrun / accelerate launch."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def use_cpu(bf16: bool) -> bool:
    """TrainingArguments.use_cpu: without CUDA, bf16 autocast and gloo data parallelism need the CPU path."""
    return not torch.cuda.is_available() and (bf16 or several_processes())


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 matmuls natively (AVX-512 BF16 / AMX)."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(check()) if check is not None else True


def training_arguments(train: TrainConfig, checkpoint_dir: Path) -> TrainingArguments:
    """TrainingArguments for one run: eval+save on the same schedule, keep-best, length grouping."""
    bf16, fp16 = precision_flags(train.precision)
    metric = train.metric_for_best
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=train.epochs,
        max_steps=train.max_steps,
        per_device_train_batch_size=train.batch_size,
        per_device_eval_batch_size=train.eval_batch_size,
        learning_rate=train.learning_rate,
        weight_decay=train.weight_decay,
        adam_epsilon=train.adam_epsilon,
        warmup_steps=train.warmup_steps(),
        lr_scheduler_type=train.scheduler,
        gradient_accumulation_steps=train.grad_accumulation,
        max_grad_norm=train.max_grad_norm,
        activation_checkpointing=train.gradient_checkpointing,
        seed=train.seed,
        bf16=bf16,
        fp16=fp16,
        use_cpu=use_cpu(bf16),
        eval_strategy=train.eval_strategy,
        eval_steps=train.eval_steps,
        save_strategy=train.eval_strategy,
        save_steps=train.eval_steps,
        save_total_limit=train.keep_checkpoints,
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=metric != "loss",
        logging_steps=train.logging_steps,
        report_to=check_trackers(train.report_to),
        disable_tqdm=not train.progress_bar,
        train_sampling_strategy="group_by_length" if train.batching == "group_by_length" else "random",
        length_column_name="length",
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
    )
