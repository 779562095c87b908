"""Encoder + pluggable head as one Hugging Face model, saved and loaded with save/from_pretrained."""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from .configuration import ElectralabConfig
from .heads import HeadOptions, build_head
from .losses import build_loss


class ElectralabPreTrainedModel(PreTrainedModel):
    """Shared base: config class, weight init and prefix for electralab models."""

    config_class = ElectralabConfig
    config: ElectralabConfig
    base_model_prefix = "encoder"
    supports_gradient_checkpointing = True

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.GRU):
            for name, param in module.named_parameters():
                if "weight" in name:
                    nn.init.xavier_uniform_(param)
                else:
                    nn.init.zeros_(param)
            return
        super()._init_weights(module)

    def _attach_encoder(self, encoder: PreTrainedModel | None) -> float:
        """Use ``encoder`` (or build one from the config) without its pooler; returns the head's dropout."""
        self.encoder = encoder if encoder is not None else AutoModel.from_config(self.config.encoder)
        if getattr(self.encoder, "pooler", None) is not None:
            self.encoder.pooler = None  # heads pool for themselves; an unused pooler breaks DDP
        dropout = self.config.head_dropout
        return dropout if dropout is not None else self.config.encoder.hidden_dropout_prob

    def encode(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, token_type_ids: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's last hidden states (B, T, H) and the attention mask (all ones when not given)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        return self.encoder(**inputs).last_hidden_state, attention_mask


class ElectralabForSequenceClassification(ElectralabPreTrainedModel):
    """Any ``AutoModel`` encoder followed by a head from the registry.

    ``config.problem_type`` selects single-label (softmax over classes) or multi-label (a sigmoid per label,
    decided by ``config.label_thresholds`` or the global ``config.threshold``).
    """

    def __init__(self, config: ElectralabConfig, encoder: PreTrainedModel | None = None) -> None:
        super().__init__(config)
        dropout = self._attach_encoder(encoder)
        enc = config.encoder
        options = HeadOptions(
            cls_activation=config.cls_activation,
            rnn_hidden_size=config.rnn_hidden_size,
            cnn_kernel_sizes=tuple(config.cnn_kernel_sizes),
            cnn_filters=config.cnn_filters,
        )
        self.head = build_head(config.head, enc.hidden_size, config.num_labels, dropout, options)
        self.loss_fn = build_loss(
            config.loss,
            problem_type=config.problem_type or "single_label_classification",
            class_weights=config.class_weights,
            pos_weight=config.pos_weight,
            label_smoothing=config.label_smoothing,
            focal_gamma=config.focal_gamma,
            focal_alpha=config.focal_alpha,
        )
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: object,
    ) -> SequenceClassifierOutput:
        """Encode, pool with the head, and compute the loss when ``labels`` are given.

        Args:
            input_ids: Token ids (B, T), right-padded.
            attention_mask: 1 for real tokens, 0 for padding (B, T).
            token_type_ids: Segment ids (B, T), for encoders that use them.
            labels: Class indices (B,), or multi-hot targets (B, L) for multi-label.
            **kwargs: Ignored (extra batch keys from the Trainer).
        """
        hidden, attention_mask = self.encode(input_ids, attention_mask, token_type_ids)  # (B, T, H)
        logits = self.head(hidden, attention_mask)  # (B, num_labels)
        loss = self.loss_fn(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
