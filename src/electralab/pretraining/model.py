"""``ElectraPretrainingModel``: one forward = mask → generator → sample → discriminator → combined loss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import ElectraForMaskedLM
from transformers.utils import ModelOutput

from ..config import ObjectiveConfig
from .masking import mask_tokens, maskable_positions, sample_tokens
from .pair import Discriminator, discriminator_logits


@dataclass
class ElectraPretrainingOutput(ModelOutput):
    """The combined loss and the (detached) tensors the per-step view and diagnostics read.

    All tensors are (B, T) unless noted; ``masked_positions`` and ``replaced_mask`` are bool.
    ``mlm_predictions`` holds the generator's argmax at masked positions and the input token elsewhere.
    """

    loss: torch.Tensor | None = None
    mlm_loss: torch.Tensor | None = None
    rtd_loss: torch.Tensor | None = None
    input_ids: torch.Tensor | None = None
    attention_mask: torch.Tensor | None = None
    masked_input_ids: torch.Tensor | None = None
    masked_positions: torch.Tensor | None = None
    mlm_predictions: torch.Tensor | None = None
    sampled_ids: torch.Tensor | None = None
    corrupted_ids: torch.Tensor | None = None
    replaced_mask: torch.Tensor | None = None
    discriminator_logits: torch.Tensor | None = None


class ElectraPretrainingModel(nn.Module):
    """Generator + discriminator trained together on replaced-token detection (Clark et al., 2020).

    Args:
        generator: An ``ElectraForMaskedLM`` (sharing the discriminator's embeddings, see ``tie_embeddings``).
        discriminator: An ``ElectraForPreTraining`` or an ``EncoderDiscriminator``.
        mask_token_id: Id of [MASK].
        special_token_ids: Ids never masked.
        objective: Masking rates, loss weights and sampling temperature.
    """

    def __init__(
        self,
        generator: ElectraForMaskedLM,
        discriminator: Discriminator,
        mask_token_id: int,
        special_token_ids: Sequence[int],
        objective: ObjectiveConfig,
    ) -> None:
        super().__init__()
        # The discriminator first: shared tensors are checkpointed under its names.
        self.discriminator = discriminator
        self.generator = generator
        self.mask_token_id = mask_token_id
        self.special_token_ids = sorted(set(special_token_ids))
        self.objective = objective

    def generator_logits_at(
        self, masked_input_ids: torch.Tensor, attention_mask: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """The generator's vocabulary logits at ``positions`` only (N, V), as the original implementation does.

        The output layer (embedding size × vocabulary) costs as much per token as a small encoder; running it
        on the ~15% masked positions instead of every token saves that work.
        """
        hidden = self.generator.electra(input_ids=masked_input_ids, attention_mask=attention_mask).last_hidden_state
        return self.generator.generator_lm_head(self.generator.generator_predictions(hidden[positions]))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> ElectraPretrainingOutput:
        """Corrupt ``input_ids`` with generator samples and score the discriminator on finding them.

        Args:
            input_ids: Packed token ids (B, T).
            attention_mask: 1 for real tokens, 0 for padding (B, T); default all ones.

        Returns:
            The combined loss ``mlm_weight * MLM + rtd_weight * RTD`` and the tensors behind it.
        """
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        objective = self.objective
        maskable = maskable_positions(input_ids, attention_mask, self.special_token_ids)
        masked_input_ids, masked_positions = mask_tokens(
            input_ids, maskable, self.mask_token_id, objective.mask_prob, objective.mask_token_ratio
        )
        masked_logits = self.generator_logits_at(masked_input_ids, attention_mask, masked_positions)  # (N, V)
        original_at_masked = input_ids[masked_positions]  # (N,)
        # One float32 log-softmax serves the loss, the argmax and the sampling (a shift per row leaves the
        # softmax unchanged), instead of three passes over (N, V), one of them an argmax in bf16.
        log_probs = F.log_softmax(masked_logits.float(), dim=-1)  # (N, V)
        if masked_logits.shape[0]:
            mlm_loss = F.nll_loss(log_probs, original_at_masked)
        else:  # nothing was masked (tiny batch): a zero that keeps the graph
            mlm_loss = masked_logits.sum() * 0.0
        mlm_predictions = input_ids.clone()
        mlm_predictions[masked_positions] = log_probs.detach().argmax(dim=-1)

        # Sampling is detached: no gradient from the discriminator reaches the generator.
        sampled_ids = input_ids.clone()
        sampled_ids[masked_positions] = sample_tokens(log_probs, objective.temperature)
        corrupted_ids = torch.where(masked_positions, sampled_ids, input_ids)
        replaced_mask = masked_positions & (corrupted_ids != input_ids)  # a sample equal to the original is original

        logits = discriminator_logits(self.discriminator, corrupted_ids, attention_mask)  # (B, T)
        real = attention_mask.bool()
        rtd_loss = F.binary_cross_entropy_with_logits(logits[real].float(), replaced_mask[real].float())
        loss = objective.mlm_weight * mlm_loss + objective.rtd_weight * rtd_loss
        return ElectraPretrainingOutput(
            loss=loss,
            mlm_loss=mlm_loss.detach(),
            rtd_loss=rtd_loss.detach(),
            input_ids=input_ids,
            attention_mask=attention_mask,
            masked_input_ids=masked_input_ids,
            masked_positions=masked_positions,
            mlm_predictions=mlm_predictions,
            sampled_ids=sampled_ids,
            corrupted_ids=corrupted_ids,
            replaced_mask=replaced_mask,
            discriminator_logits=logits.detach(),
        )
