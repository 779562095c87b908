"""Encoder + a span head (start and end logits per token) as one Hugging Face model: extractive QA."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import QuestionAnsweringModelOutput

from .classifier import ElectralabPreTrainedModel
from .configuration import ElectralabConfig


class ElectralabForQuestionAnswering(ElectralabPreTrainedModel):
    """Any ``AutoModel`` encoder and one linear layer giving each token a start and an end logit.

    The same head and loss as ``transformers``' ``*ForQuestionAnswering`` models: the mean of the start and
    end cross-entropies, positions outside the window ignored.
    """

    def __init__(self, config: ElectralabConfig, encoder: PreTrainedModel | None = None) -> None:
        super().__init__(config)
        self._attach_encoder(encoder)
        self.qa_outputs = nn.Linear(config.encoder.hidden_size, 2)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        **kwargs: object,
    ) -> QuestionAnsweringModelOutput:
        """Encode and score every token as the answer's start and end; the loss when positions are given.

        Args:
            input_ids: Token ids (B, T), right-padded.
            attention_mask: 1 for real tokens, 0 for padding (B, T).
            token_type_ids: Segment ids (B, T), for encoders that use them.
            start_positions: The answer's first token per window (B,); the first token when it is not inside.
            end_positions: The answer's last token per window (B,).
            **kwargs: Ignored (extra batch keys).
        """
        hidden, _ = self.encode(input_ids, attention_mask, token_type_ids)  # (B, T, H)
        start_logits, end_logits = self.qa_outputs(hidden).split(1, dim=-1)
        start_logits, end_logits = start_logits.squeeze(-1).contiguous(), end_logits.squeeze(-1).contiguous()
        loss = None
        if start_positions is not None and end_positions is not None:
            ignored = start_logits.size(1)
            start = start_positions.view(-1).clamp(0, ignored)
            end = end_positions.view(-1).clamp(0, ignored)
            loss = (
                F.cross_entropy(start_logits.float(), start, ignore_index=ignored)
                + F.cross_entropy(end_logits.float(), end, ignore_index=ignored)
            ) / 2
        return QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits)
