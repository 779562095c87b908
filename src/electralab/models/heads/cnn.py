"""CNN head: several kernel widths over the hidden states, max-pooled over real positions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import HeadOptions, masked_max, register_head


@register_head("cnn")
class CNNHead(nn.Module):
    """1-D convolutions (one per kernel width) + ReLU + max over real positions, concatenated."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.kernel_sizes = tuple(options.cnn_kernel_sizes)
        self.convs = nn.ModuleList(
            nn.Conv1d(hidden_size, options.cnn_filters, kernel_size=k) for k in self.kernel_sizes
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(options.cnn_filters * len(self.kernel_sizes), num_labels)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Map hidden (B, T, H) and mask (B, T) to logits (B, num_labels)."""
        # Zero the padding and right-pad by k-1 zeros so that position t sees the same inputs
        # (real tokens, then zeros) however long the batch is padded.
        x = (hidden * mask.unsqueeze(-1).to(hidden.dtype)).transpose(1, 2)  # (B, H, T)
        pooled = []
        for k, conv in zip(self.kernel_sizes, self.convs, strict=True):
            features = F.relu(conv(F.pad(x, (0, k - 1))))  # (B, F, T)
            pooled.append(masked_max(features.transpose(1, 2), mask))  # (B, F)
        return self.classifier(self.dropout(torch.cat(pooled, dim=-1)))
