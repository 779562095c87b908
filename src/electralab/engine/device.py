"""What the hardware offers: bf16 on this CPU, CUDA, several processes; and the precision flags that follow."""

from __future__ import annotations

import os

import torch

from ..errors import ConfigError


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 matmuls natively (AVX-512 BF16 / AMX)."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(check()) if check is not None else True


def several_processes() -> bool:
    """Whether this process is one of several started by torchrun / accelerate launch."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def use_cpu(bf16: bool) -> bool:
    """TrainingArguments.use_cpu: without CUDA, bf16 autocast and gloo data parallelism need the CPU path."""
    return not torch.cuda.is_available() and (bf16 or several_processes())


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


def fast_dropout_wanted(train: object) -> bool:
    """Whether a run's dropout should draw its masks with electralab's CPU generator (``train.dropout_masks=auto``).

    On CUDA torch's fused dropout is already fast; ``torch.compile`` generates its own dropout kernels.
    """
    if getattr(train, "dropout_masks", "torch") != "auto" or getattr(train, "compile", False):
        return False
    return not torch.cuda.is_available()
