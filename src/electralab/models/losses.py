"""Loss registry for classification: chosen by name (``train.loss``), configured from the model config.

Single-label losses take logits (B, C) and class indices (B,); multi-label losses take logits (B, L)
and multi-hot targets (B, L).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..errors import ConfigError

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
LOSSES: dict[str, Callable[..., LossFn]] = {}
MULTI_LABEL = "multi_label_classification"
SINGLE_LABEL = "single_label_classification"
_SUPPORTS = {"cross_entropy": {SINGLE_LABEL}, "bce": {MULTI_LABEL}, "focal": {SINGLE_LABEL, MULTI_LABEL}}


def register_loss(name: str) -> Callable[[Callable[..., LossFn]], Callable[..., LossFn]]:
    """Register a loss factory under a stable name."""

    def wrap(factory: Callable[..., LossFn]) -> Callable[..., LossFn]:
        LOSSES[name] = factory
        return factory

    return wrap


def _tensor(values: list[float] | torch.Tensor | None) -> torch.Tensor | None:
    return None if values is None else torch.as_tensor(values, dtype=torch.float32)


@register_loss("cross_entropy")
def cross_entropy(class_weights: list[float] | None = None, label_smoothing: float = 0.0, **_: object) -> LossFn:
    """Softmax cross-entropy with optional class weights and label smoothing."""
    weights = _tensor(class_weights)

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        weight = None if weights is None else weights.to(logits.device)
        return F.cross_entropy(logits.float(), labels, weight=weight, label_smoothing=label_smoothing)

    return loss


@register_loss("bce")
def bce(pos_weight: list[float] | None = None, **_: object) -> LossFn:
    """Sigmoid binary cross-entropy per label, optionally weighting positives per label."""
    weights = _tensor(pos_weight)

    def loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        weight = None if weights is None else weights.to(logits.device)
        return F.binary_cross_entropy_with_logits(logits.float(), targets.float(), pos_weight=weight)

    return loss


@register_loss("focal")
def focal(
    problem_type: str = SINGLE_LABEL,
    class_weights: list[float] | None = None,
    focal_gamma: float = 2.0,
    focal_alpha: float | None = None,
    **_: object,
) -> LossFn:
    """Focal loss (Lin et al., 2017): -alpha_t * (1 - p_t)**gamma * log p_t, averaged.

    Single-label: p_t is the softmax probability of the true class, alpha_t its class weight.
    Multi-label: p_t is the sigmoid probability of each label's target, alpha_t = alpha for positives
    and 1 - alpha for negatives (no weighting when alpha is None).
    """
    weights = _tensor(class_weights)

    def single(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), dim=-1).gather(1, labels[:, None]).squeeze(1)  # (B,)
        modulated = -((1.0 - log_p.exp()) ** focal_gamma) * log_p
        if weights is not None:
            modulated = modulated * weights.to(logits.device)[labels]
        return modulated.mean()

    def multi(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets = targets.float()
        nll = F.binary_cross_entropy_with_logits(logits.float(), targets, reduction="none")  # -log p_t
        modulated = (1.0 - torch.exp(-nll)) ** focal_gamma * nll
        if focal_alpha is not None:
            modulated = modulated * (focal_alpha * targets + (1.0 - focal_alpha) * (1.0 - targets))
        return modulated.mean()

    return multi if problem_type == MULTI_LABEL else single


def resolve_loss_name(name: str, problem_type: str) -> str:
    """Turn ``auto`` into the task's default loss and refuse a loss the task cannot use."""
    if name == "auto":
        return "bce" if problem_type == MULTI_LABEL else "cross_entropy"
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r} (train.loss); available: auto, {', '.join(sorted(LOSSES))}")
    if problem_type not in _SUPPORTS.get(name, {problem_type}):
        kind = "multi-label" if problem_type == MULTI_LABEL else "single-label"
        raise ConfigError(f"train.loss={name} does not fit a {kind} task; use auto, focal or the task's own loss")
    return name


def build_loss(name: str, **settings: object) -> LossFn:
    """Build the loss registered as ``name`` with the given settings."""
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r} (train.loss); available: auto, {', '.join(sorted(LOSSES))}")
    return LOSSES[name](**settings)
