"""Encoder + a token head (+ an optional CRF) as one Hugging Face model: token classification (NER)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from .classifier import ElectralabPreTrainedModel
from .configuration import ElectralabConfig
from .crf import CRF, gather_left, scatter_back
from .heads import HeadOptions
from .token_heads import build_token_head


@dataclass
class TaggerOutput(ModelOutput):
    """Loss, per-token logits (B, T, L) and, with a CRF, the Viterbi tags (B, T; -100 where not decoded)."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    decoded: torch.Tensor | None = None


class ElectralabForTokenClassification(ElectralabPreTrainedModel):
    """Any ``AutoModel`` encoder, a token head from the registry (linear, lstm, cnn) and optionally a CRF.

    Tags are read from the first sub-token of each word or character (``labels`` -100 elsewhere in training;
    ``first_token_mask`` at prediction). With ``config.crf`` the loss is the CRF's negative log-likelihood
    over those positions and prediction is Viterbi decoding with the tag scheme's transitions enforced.
    """

    def __init__(self, config: ElectralabConfig, encoder: PreTrainedModel | None = None) -> None:
        super().__init__(config)
        dropout = self._attach_encoder(encoder)
        enc = config.encoder
        options = HeadOptions(
            rnn_hidden_size=config.rnn_hidden_size,
            cnn_kernel_sizes=tuple(config.cnn_kernel_sizes),
            cnn_filters=config.cnn_filters,
        )
        self.head = build_token_head(config.head, enc.hidden_size, config.num_labels, dropout, options)
        labels = [config.id2label[i] for i in range(config.num_labels)]
        self.crf = CRF(labels) if config.crf else None
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        first_token_mask: torch.Tensor | None = None,
        **kwargs: object,
    ) -> TaggerOutput:
        """Encode, tag every token, and compute the loss when ``labels`` (B, T; -100 = ignored) are given.

        Args:
            input_ids: Token ids (B, T), right-padded.
            attention_mask: 1 for real tokens, 0 for padding (B, T).
            token_type_ids: Segment ids (B, T), for encoders that use them.
            labels: Tag ids per token (B, T), -100 where not scored.
            first_token_mask: Prediction without labels: the tokens tags are read from (B, T); default all.
            **kwargs: Ignored (extra batch keys).
        """
        hidden, attention_mask = self.encode(input_ids, attention_mask, token_type_ids)  # (B, T, H)
        logits = self.head(hidden, attention_mask)  # (B, T, L)
        if self.crf is None:
            loss = None
            if labels is not None:
                loss = F.cross_entropy(logits.float().flatten(0, 1), labels.flatten(), ignore_index=-100)
            return TaggerOutput(loss=loss, logits=logits)
        mask = (labels != -100) if labels is not None else first_token_mask
        mask = (mask if mask is not None else attention_mask).bool() & attention_mask.bool()
        emissions, lengths = gather_left(logits.float(), mask)
        loss = None
        if labels is not None:
            gold, _ = gather_left(labels.clamp(min=0), mask)
            loss = self.crf.nll(emissions, gold, lengths)
        decoded = None
        if not self.training:
            decoded = scatter_back(self.crf.decode(emissions, lengths), mask)
        return TaggerOutput(loss=loss, logits=logits, decoded=decoded)
