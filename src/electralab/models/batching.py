"""Batched forward passes for inference: rows sorted by length, padded per batch, results in input order."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase


@torch.inference_mode()
def batched_logits(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    encoded: Mapping[str, list],
    batch_size: int = 64,
    bf16: bool = False,
    forward: Callable | None = None,
) -> np.ndarray:
    """Logits of every encoded row, run in batches of similar length with dynamic padding.

    Args:
        model: The model (its first parameter's device is used).
        tokenizer: Pads each batch.
        encoded: Token columns (``input_ids``, ``attention_mask`` [, ``token_type_ids``]), one list per row.
        batch_size: Rows per forward pass.
        bf16: Run under bf16 autocast.
        forward: A compiled or otherwise wrapped ``model`` to call instead of ``model`` itself.

    Returns:
        Float32 logits in row order: (N, L) for sequence outputs, (N, T, L) for token outputs padded with 0
        to the longest row (T).
    """
    forward = model if forward is None else forward
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    device = next(model.parameters()).device
    rows: list[np.ndarray | None] = [None] * len(order)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        features = [{key: encoded[key][i] for key in encoded} for i in index]
        batch = tokenizer.pad(features, return_tensors="pt")
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = forward(**batch).logits.float().cpu().numpy()
        for row, i in enumerate(index):
            rows[i] = logits[row]
    if not rows:
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    if rows[0].ndim == 1:
        return np.stack(rows)
    width = max(r.shape[0] for r in rows)
    out = np.zeros((len(rows), width, rows[0].shape[-1]), dtype=np.float32)
    for i, r in enumerate(rows):
        out[i, : r.shape[0]] = r
    return out
