"""Loss registry for classification: chosen by name (``train.loss``), configured from the model config."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..errors import ConfigError

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
LOSSES: dict[str, Callable[..., LossFn]] = {}


def register_loss(name: str) -> Callable[[Callable[..., LossFn]], Callable[..., LossFn]]:
    """Register a loss factory under a stable name."""

    def wrap(factory: Callable[..., LossFn]) -> Callable[..., LossFn]:
        LOSSES[name] = factory
        return factory

    return wrap


@register_loss("cross_entropy")
def cross_entropy(class_weights: torch.Tensor | None = None, label_smoothing: float = 0.0, **_: object) -> LossFn:
    """Softmax cross-entropy with optional class weights and label smoothing."""

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        weight = None if class_weights is None else class_weights.to(logits.device)
        return F.cross_entropy(logits.float(), labels, weight=weight, label_smoothing=label_smoothing)

    return loss


@register_loss("focal")
def focal(class_weights: torch.Tensor | None = None, focal_gamma: float = 2.0, **_: object) -> LossFn:
    """Multi-class focal loss: mean of -alpha_y * (1 - p_y)**gamma * log p_y (Lin et al., 2017)."""

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), dim=-1).gather(1, labels[:, None]).squeeze(1)  # (B,)
        modulated = -((1.0 - log_p.exp()) ** focal_gamma) * log_p
        if class_weights is not None:
            modulated = modulated * class_weights.to(logits.device)[labels]
        return modulated.mean()

    return loss


def build_loss(name: str, **settings: object) -> LossFn:
    """Build the loss registered as ``name`` with the given settings."""
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r} (train.loss); available: {', '.join(sorted(LOSSES))}")
    return LOSSES[name](**settings)
