"""The Trainer, extended only where the recipe needs it: optimiser groups (rank decay, LLRD)."""

from __future__ import annotations

import torch
from transformers import Trainer

from ..config import TrainConfig
from .params import optimizer_groups


class ElectralabTrainer(Trainer):
    """``transformers.Trainer`` with electralab's parameter groups."""

    def __init__(self, *args: object, train_config: TrainConfig, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.train_config = train_config

    def create_optimizer(self, model: torch.nn.Module | None = None) -> torch.optim.Optimizer:
        """AdamW over :func:`optimizer_groups` (weight decay by tensor rank, layer-wise LR decay)."""
        if self.optimizer is None:
            self.optimizer = torch.optim.AdamW(
                optimizer_groups(self.model, self.train_config),
                lr=self.args.learning_rate,
                betas=(self.args.adam_beta1, self.args.adam_beta2),
                eps=self.args.adam_epsilon,
            )
        return self.optimizer
