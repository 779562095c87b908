"""Pooling heads: first token (ELECTRA-style), mean, max and learned attention."""

from __future__ import annotations

import torch
from torch import nn

from .base import HeadOptions, masked_max, masked_mean, register_head


class _PooledHead(nn.Module):
    """Pool (B, T, H) to (B, H), then dropout and a linear classifier."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.pool(hidden, mask)))  # (B, num_labels)


@register_head("cls")
class FirstTokenHead(nn.Module):
    """First token -> dropout -> dense -> GELU -> dropout -> linear, like ELECTRA's own head.

    With ``cls_activation="tanh"`` the dense layer is BERT's pooler, initialised from the checkpoint.
    """

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.activation = nn.Tanh() if options.cls_activation == "tanh" else nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Map hidden (B, T, H) and mask (B, T) to logits (B, num_labels)."""
        first = self.dropout(hidden[:, 0])  # (B, H)
        return self.classifier(self.dropout(self.activation(self.dense(first))))


@register_head("mean")
class MeanHead(_PooledHead):
    """Average of the real tokens' hidden states."""

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, H) -> (B, H)."""
        return masked_mean(hidden, mask)


@register_head("max")
class MaxHead(_PooledHead):
    """Element-wise maximum over the real tokens."""

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, H) -> (B, H)."""
        return masked_max(hidden, mask)


@register_head("attention")
class AttentionHead(_PooledHead):
    """Learned weighted average: score_t = v . tanh(W h_t), softmax over real tokens."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__(hidden_size, num_labels, dropout, options)
        self.projection = nn.Linear(hidden_size, hidden_size)
        self.score = nn.Linear(hidden_size, 1, bias=False)

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, H) -> (B, H), weighted by a softmax over real tokens."""
        scores = self.score(torch.tanh(self.projection(hidden))).squeeze(-1)  # (B, T)
        scores = scores.masked_fill(~mask.bool(), torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores.float(), dim=-1).to(hidden.dtype)  # (B, T)
        return torch.einsum("bt,bth->bh", weights, hidden)
