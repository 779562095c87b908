"""Head registry: a head maps encoder hidden states to one vector per example, then to logits.

Every head takes sizes, not model names: ``(hidden_size, num_labels, dropout, options)``.
Heads must ignore padding: the same text padded to 16 or 128 tokens gives the same logits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ...errors import ConfigError

HEADS: dict[str, type[nn.Module]] = {}


@dataclass(frozen=True)
class HeadOptions:
    """Head-specific sizes read from the model config."""

    cls_activation: str = "gelu"
    rnn_hidden_size: int = 256
    cnn_kernel_sizes: tuple[int, ...] = (2, 3, 4)
    cnn_filters: int = 128


def register_head(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Register a head class under a stable name (used as ``model.head`` in configs)."""

    def wrap(cls: type[nn.Module]) -> type[nn.Module]:
        HEADS[name] = cls
        return cls

    return wrap


def build_head(name: str, hidden_size: int, num_labels: int, dropout: float, options: HeadOptions) -> nn.Module:
    """Instantiate the head registered as ``name``."""
    if name not in HEADS:
        raise ConfigError(f"unknown head {name!r}; available heads: {', '.join(sorted(HEADS))} (model.head / --head)")
    return HEADS[name](hidden_size=hidden_size, num_labels=num_labels, dropout=dropout, options=options)


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real tokens. hidden (B, T, H), mask (B, T) -> (B, H)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def masked_max(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over real tokens. hidden (B, T, H), mask (B, T) -> (B, H)."""
    filled = hidden.masked_fill(~mask.bool().unsqueeze(-1), torch.finfo(hidden.dtype).min)
    return filled.max(dim=1).values
