"""Heads over every token's hidden state (token classification): linear, BiLSTM, CNN. (B, T, H) -> (B, T, L)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..errors import ConfigError
from .heads.base import HeadOptions

TOKEN_HEADS: dict[str, type[nn.Module]] = {}


def register_token_head(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Register a token head under a stable name (``model.head`` of a token-classification run)."""

    def wrap(cls: type[nn.Module]) -> type[nn.Module]:
        TOKEN_HEADS[name] = cls
        return cls

    return wrap


def build_token_head(name: str, hidden: int, labels: int, dropout: float, options: HeadOptions) -> nn.Module:
    """Instantiate the token head registered as ``name``."""
    if name not in TOKEN_HEADS:
        raise ConfigError(
            f"unknown token head {name!r}; available: {', '.join(sorted(TOKEN_HEADS))} (model.head / --head)"
        )
    return TOKEN_HEADS[name](hidden, labels, dropout, options)


@register_token_head("linear")
class LinearTokenHead(nn.Module):
    """Dropout and one linear layer per token (Hugging Face's token-classification head)."""

    def __init__(self, hidden: int, labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden, labels)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Tag logits: states (B, T, H), mask (B, T) -> (B, T, L)."""
        return self.classifier(self.dropout(states))


@register_token_head("lstm")
class LSTMTokenHead(nn.Module):
    """A bidirectional LSTM over the token states (padding packed away), then a linear layer."""

    def __init__(self, hidden: int, labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.LSTM(hidden, options.rnn_hidden_size, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * options.rnn_hidden_size, labels)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Tag logits: states (B, T, H), mask (B, T) -> (B, T, L)."""
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.dropout(states), lengths, batch_first=True, enforce_sorted=False
        )
        output, _ = self.rnn(packed)
        output, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True, total_length=states.shape[1])
        return self.classifier(self.dropout(output))


@register_token_head("cnn")
class CNNTokenHead(nn.Module):
    """1-D convolutions of several widths over the token states (same length out), ReLU, then a linear layer."""

    def __init__(self, hidden: int, labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        widths = [k if k % 2 else k + 1 for k in options.cnn_kernel_sizes]  # odd widths keep the length
        self.convs = nn.ModuleList(nn.Conv1d(hidden, options.cnn_filters, k, padding=k // 2) for k in widths)
        self.classifier = nn.Linear(hidden + options.cnn_filters * len(widths), labels)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Tag logits: states (B, T, H), mask (B, T) -> (B, T, L); padding is zeroed before the convolutions."""
        states = self.dropout(states) * mask.unsqueeze(-1).to(states.dtype)
        channels = states.transpose(1, 2)  # (B, H, T)
        features = [torch.relu(conv(channels)) for conv in self.convs]  # each (B, F, T)
        combined = torch.cat([channels, *features], dim=1).transpose(1, 2)  # (B, T, H + F*k)
        return self.classifier(self.dropout(combined))
