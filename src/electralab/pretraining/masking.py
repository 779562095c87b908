"""ELECTRA's corruption: choose tokens to predict, mask most of them, sample replacements from the generator."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def maskable_positions(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, special_token_ids: Sequence[int]
) -> torch.Tensor:
    """Positions that may be masked: real (non-pad) tokens that are not special tokens.

    Args:
        input_ids: Token ids, shape (B, T).
        attention_mask: 1 for real tokens, 0 for padding, shape (B, T).
        special_token_ids: Ids never masked ([CLS], [SEP], [PAD], [UNK], [MASK], ...).

    Returns:
        A bool tensor (B, T).
    """
    special = torch.isin(input_ids, torch.as_tensor(list(special_token_ids), device=input_ids.device))
    return attention_mask.bool() & ~special


def mask_tokens(
    input_ids: torch.Tensor,
    maskable: torch.Tensor,
    mask_token_id: int,
    mask_prob: float = 0.15,
    mask_token_ratio: float = 0.85,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Select ``mask_prob`` of the maskable tokens; replace ``mask_token_ratio`` of those with [MASK].

    The selected tokens not replaced by [MASK] stay unchanged; none becomes a random token
    (the ELECTRA recipe: the generator, not chance, supplies replacements).

    Args:
        input_ids: Original token ids, shape (B, T).
        maskable: Which positions may be selected, bool (B, T) (see :func:`maskable_positions`).
        mask_token_id: Id of [MASK].
        mask_prob: Probability that a maskable token is selected.
        mask_token_ratio: Probability that a selected token is shown as [MASK].
        generator: Optional torch RNG (default: the global one, which the Trainer seeds and checkpoints).

    Returns:
        ``(masked_input_ids, masked_positions)``: the generator's input and the selected positions (bool).
    """
    draw = torch.rand(input_ids.shape, device=input_ids.device, generator=generator)
    masked_positions = maskable & (draw < mask_prob)
    show_mask = torch.rand(input_ids.shape, device=input_ids.device, generator=generator) < mask_token_ratio
    masked_input_ids = torch.where(masked_positions & show_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    return masked_input_ids, masked_positions


def sample_tokens(
    logits: torch.Tensor, temperature: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw one token per row from ``softmax(logits / temperature)`` by inverting the cumulative distribution.

    The same distribution as the original implementation's Gumbel-max trick, with one uniform number per row
    instead of one per (row, vocabulary entry): about 5× cheaper on a CPU, where drawing and twice taking the
    log of N × 16,000 uniforms was a quarter of a small model's pretraining step. The logits are detached
    first: sampling is not differentiable, and no gradient may reach the generator through the
    discriminator's input.

    Args:
        logits: Generator logits, shape (N, V).
        temperature: Softmax temperature (1.0 in the paper).
        generator: Optional torch RNG.

    Returns:
        Sampled token ids, shape (N,).
    """
    logits = logits.detach().float()
    probabilities = torch.softmax(logits if temperature == 1.0 else logits / temperature, dim=-1)
    cumulative = probabilities.cumsum(dim=-1)  # (N, V), last column ~1
    draw = torch.rand((logits.shape[0], 1), device=logits.device, generator=generator) * cumulative[:, -1:]
    # The first token whose cumulative probability exceeds the draw (right=True skips zero-probability tokens).
    chosen = torch.searchsorted(cumulative, draw, right=True).squeeze(-1)
    return chosen.clamp_max(logits.shape[-1] - 1)
