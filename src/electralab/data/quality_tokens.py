"""Token-level data checks, given the model's tokenizer: length distribution and what the tokenizer does to text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from transformers import PreTrainedTokenizerBase

from .tokenize import _COMPAT_JAMO, _HANGUL_SYLLABLE, _normalize, unk_rate

PERCENTILES = (50, 90, 95, 99)


def token_lengths(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int, batch_size: int = 2000
) -> dict[str, Any]:
    """Tokens per text (special tokens included) against ``max_length``: percentiles and the share truncated."""
    lengths = np.zeros(len(texts), dtype=np.int64)
    for start in range(0, len(texts), batch_size):
        encoded = tokenizer(list(texts[start : start + batch_size]), truncation=False, verbose=False)["input_ids"]
        lengths[start : start + len(encoded)] = [len(ids) for ids in encoded]
    if not len(lengths):
        return {"texts": 0}
    over = int((lengths > max_length).sum())
    histogram, edges = np.histogram(lengths, bins=min(40, max(1, int(lengths.max()) - int(lengths.min()) + 1)))
    return {
        "texts": len(lengths),
        "mean": float(lengths.mean()),
        **{f"p{p}": int(np.percentile(lengths, p)) for p in PERCENTILES},
        "max": int(lengths.max()),
        "max_length": max_length,
        "truncated_rows": over,
        "truncated_share": over / len(lengths),
        "histogram": {"counts": histogram.tolist(), "edges": edges.tolist()},
    }


def tokenizer_coverage(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], sample: int = 5000) -> dict[str, Any]:
    """[UNK] rate, and the share of (sampled) texts whose Hangul or compatibility jamo the normaliser rewrites."""
    sample_texts = list(texts[:sample])
    hangul = [t for t in sample_texts if _HANGUL_SYLLABLE.search(t)]
    jamo = [t for t in sample_texts if _COMPAT_JAMO.search(t)]

    def rewritten(group: list[str], pattern: Any) -> float | None:
        if not group:
            return None
        runs = ["".join(pattern.findall(t)) for t in group]
        return sum(1 for run in runs if _normalize(tokenizer, run) != run) / len(group)

    changed_any = sum(1 for t in sample_texts if _normalize(tokenizer, t) != t)
    return {
        "tokenizer": tokenizer.name_or_path,
        "sampled_texts": len(sample_texts),
        "unk_rate": unk_rate(tokenizer, sample_texts, sample),
        "texts_rewritten_by_normaliser": changed_any / max(len(sample_texts), 1),
        "hangul_texts_rewritten": rewritten(hangul, _HANGUL_SYLLABLE),
        "jamo_texts_rewritten": rewritten(jamo, _COMPAT_JAMO),
    }
