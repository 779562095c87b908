"""Parameter freezing and optimiser groups: weight decay by tensor rank, layer-wise LR decay."""

from __future__ import annotations

import re
from typing import Any

from torch import nn

from ..config import TrainConfig

_LAYER_INDEX = re.compile(r"\.layers?\.(\d+)\.")


def encoder_depth(name: str, num_layers: int) -> int:
    """Depth of an encoder parameter: 0 for embeddings, i + 1 for layer i, num_layers + 1 above."""
    match = _LAYER_INDEX.search(name)
    if match:
        return int(match.group(1)) + 1
    if "embed" in name:
        return 0
    return num_layers + 1


def _num_layers(model: nn.Module) -> int:
    return int(model.config.encoder.num_hidden_layers)


def apply_freezing(model: nn.Module, train: TrainConfig) -> list[str]:
    """Freeze embeddings / word embeddings / the lowest layers for the whole run. Returns frozen names."""
    encoder = model.encoder
    frozen: list[str] = []
    word_embeddings = encoder.get_input_embeddings().weight
    for name, param in encoder.named_parameters():
        depth = encoder_depth(f".{name}", _num_layers(model))
        if (
            (train.freeze_embeddings and depth == 0)
            or (train.freeze_word_embeddings and param is word_embeddings)
            or (0 < depth <= train.freeze_layers)
        ):
            param.requires_grad_(False)
            frozen.append(f"encoder.{name}")
    return frozen


def optimizer_groups(
    model: nn.Module,
    learning_rate: float,
    weight_decay: float,
    head_learning_rate: float | None = None,
    layer_lr_decay: float = 1.0,
) -> list[dict[str, Any]]:
    """AdamW groups: decay only tensors of rank >= 2; LR decays by ``layer_lr_decay`` per layer downwards.

    Parameters named ``encoder.*`` get ``learning_rate`` (times the layer decay), all others (the head)
    ``head_learning_rate`` or ``learning_rate``. Parameters frozen for the whole run are left out; parameters
    frozen only for the first epochs (``freeze_encoder_epochs``) are included so they train once unfrozen.
    """
    num_layers = _num_layers(model) if layer_lr_decay != 1.0 else 0
    head_lr = head_learning_rate or learning_rate
    groups: dict[tuple[float, float], list[nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad and not getattr(param, "_electralab_warm_frozen", False):
            continue
        if name.startswith("encoder."):
            depth = encoder_depth(f".{name}", num_layers) if num_layers else 0
            lr = learning_rate * layer_lr_decay ** (num_layers + 1 - depth) if num_layers else learning_rate
        else:
            lr = head_lr
        decay = weight_decay if param.dim() >= 2 else 0.0
        groups.setdefault((lr, decay), []).append(param)
    return [{"params": params, "lr": lr, "weight_decay": decay} for (lr, decay), params in groups.items()]
