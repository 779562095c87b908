"""Long documents as overlapping windows: tokenise into windows, aggregate window logits per document.

A text longer than ``max_length`` tokens becomes several windows of at most ``max_length`` tokens, consecutive
windows sharing ``stride`` tokens (the fast tokenizers' ``return_overflowing_tokens``/``stride``). In training
every window is an example carrying its document's label; at evaluation and prediction the windows' logits are
aggregated into one row per document: ``mean`` (average logits), ``max`` (element-wise maximum: a class or
label wins if any window is sure of it) or ``first`` (the first window only, i.e. truncation at prediction).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from transformers import PreTrainedTokenizerBase

from ..config.windows import AGGREGATIONS, WindowSettings
from ..errors import ConfigError


def tokenize_windows(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int, settings: WindowSettings
) -> tuple[dict[str, list], list[int]]:
    """Tokenise ``texts`` into windows of at most ``max_length`` tokens.

    Returns:
        The windows' encodings (``input_ids``, ``attention_mask`` [, ``token_type_ids``]) and, per window,
        the index of its text in ``texts``.

    Raises:
        ConfigError: If the tokenizer cannot make overlapping windows (a slow tokenizer, or a stride too large).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(
            f"data.long_documents=windows needs a fast tokenizer; {type(tokenizer).__name__} is not one "
            "(use data.long_documents=truncate or a model with a tokenizer.json)"
        )
    try:
        encoded = tokenizer(
            list(texts),
            truncation=True,
            max_length=max_length,
            stride=settings.stride,
            return_overflowing_tokens=True,
        )
    except Exception as err:  # the tokenizers library raises its own exception type for a bad stride
        raise ConfigError(
            f"data.window_stride={settings.stride} with data.max_length={max_length}: the tokenizer refused to "
            f"cut windows ({str(err).splitlines()[0][:160]}); use a stride well below max_length"
        ) from None
    doc_ids = list(encoded.pop("overflow_to_sample_mapping"))
    keep = _first_windows(doc_ids, settings.max_windows)
    columns = {key: [values[i] for i in keep] for key, values in encoded.items()}
    return columns, [doc_ids[i] for i in keep]


def _first_windows(doc_ids: list[int], max_windows: int | None) -> list[int]:
    """Indices of the windows to keep: all, or each document's first ``max_windows``."""
    if max_windows is None:
        return list(range(len(doc_ids)))
    seen: dict[int, int] = {}
    keep = []
    for i, doc in enumerate(doc_ids):
        seen[doc] = seen.get(doc, 0) + 1
        if seen[doc] <= max_windows:
            keep.append(i)
    return keep


def aggregate_windows(logits: np.ndarray, doc_ids: Sequence[int], documents: int, aggregation: str) -> np.ndarray:
    """One row of logits per document from its windows' rows.

    Args:
        logits: Window logits (W, L).
        doc_ids: The document of each window (W,), every document in ``range(documents)`` present at least once.
        documents: Number of documents.
        aggregation: ``mean``, ``max`` or ``first``.

    Returns:
        Document logits (documents, L).
    """
    doc_ids = np.asarray(doc_ids)
    counts = np.bincount(doc_ids, minlength=documents)
    if len(doc_ids) and (counts == 0).any():
        raise ValueError(f"documents {np.flatnonzero(counts == 0)[:5].tolist()} have no window")
    if aggregation == "first":
        first = np.unique(doc_ids, return_index=True)[1]
        return logits[first]
    if aggregation == "max":
        out = np.full((documents, logits.shape[1]), -np.inf, dtype=logits.dtype)
        np.maximum.at(out, doc_ids, logits)
        return out
    if aggregation == "mean":
        out = np.zeros((documents, logits.shape[1]), dtype=np.float64)
        np.add.at(out, doc_ids, logits)
        return (out / counts[:, None]).astype(logits.dtype)
    raise ConfigError(f"window aggregation {aggregation!r}: expected one of {', '.join(AGGREGATIONS)}")


def first_per_document(values: np.ndarray, doc_ids: Sequence[int]) -> np.ndarray:
    """The value of each document's first window (its label: every window of a document carries the same)."""
    return values[np.unique(np.asarray(doc_ids), return_index=True)[1]]


__all__ = ["AGGREGATIONS", "WindowSettings", "aggregate_windows", "first_per_document", "tokenize_windows"]
