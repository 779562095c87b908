"""Bidirectional LSTM / GRU heads over the encoder's hidden states, padding-aware via packing."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .base import HeadOptions, register_head


class _RecurrentHead(nn.Module):
    rnn_class: type[nn.RNNBase] = nn.LSTM

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, options: HeadOptions) -> None:
        super().__init__()
        self.rnn = self.rnn_class(hidden_size, options.rnn_hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * options.rnn_hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Real tokens must be a prefix of each row (right padding), as our tokenizers produce.
        lengths = mask.sum(dim=1).clamp(min=1).cpu()  # (B,)
        packed = pack_padded_sequence(hidden.float(), lengths, batch_first=True, enforce_sorted=False)
        with torch.autocast(device_type=hidden.device.type, enabled=False):
            _, state = self.rnn(packed)
        final = state[0] if isinstance(state, tuple) else state  # (2, B, R): last forward, first backward
        pooled = torch.cat([final[0], final[1]], dim=-1)  # (B, 2R)
        return self.classifier(self.dropout(pooled))


@register_head("lstm")
class LSTMHead(_RecurrentHead):
    """Bidirectional LSTM; the final forward and backward states are concatenated."""

    rnn_class = nn.LSTM


@register_head("gru")
class GRUHead(_RecurrentHead):
    """Bidirectional GRU; the final forward and backward states are concatenated."""

    rnn_class = nn.GRU
