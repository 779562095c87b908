"""Logits of raw texts for any sequence-level task: tokenise (or cut into windows), batch, aggregate."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from transformers import PreTrainedTokenizerBase

from ..config import WindowSettings
from ..data.windows import aggregate_windows, tokenize_windows
from ..errors import ConfigError
from ..models.batching import batched_logits


def text_logits(
    model: object,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    text_pairs: Sequence[str] | None = None,
    max_length: int = 128,
    windows: WindowSettings | None = None,
    batch_size: int = 64,
    bf16: bool = False,
    forward: Callable | None = None,
) -> np.ndarray:
    """Logits (N, num_labels) in the order of ``texts``; long texts as windows when ``windows`` is given.

    Raises:
        ConfigError: If windows are asked for text pairs.
    """
    if windows is None:
        encoded = tokenizer(
            list(texts), list(text_pairs) if text_pairs is not None else None, truncation=True, max_length=max_length
        )
        return batched_logits(model, tokenizer, encoded, batch_size, bf16, forward)
    if text_pairs is not None:
        raise ConfigError("this model cuts long texts into windows, which works on single texts, not pairs")
    encoded, doc_ids = tokenize_windows(tokenizer, texts, max_length, windows)
    logits = batched_logits(model, tokenizer, encoded, batch_size, bf16, forward)
    return aggregate_windows(logits, doc_ids, len(texts), windows.aggregation)
