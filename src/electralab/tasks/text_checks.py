"""Checks every text task runs on its data: what the tokenizer does to Korean, [UNK] rate, window counts."""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedTokenizerBase

from ..config import RunConfig
from ..data.prepare import Splits
from ..data.quality_report import check_splits
from ..data.tokenize import UNK_WARN_RATE, check_korean_handling, unk_rate


def tokenizer_checks(
    config: RunConfig, tokenizer: PreTrainedTokenizerBase, train_texts: list[str]
) -> tuple[list[str], list[str]]:
    """Refuse Hangul-destroying tokenizers; report the [UNK] rate. Returns (notes, warnings)."""
    notes = check_korean_handling(tokenizer, train_texts, config.data.allow_hangul_normalization)
    rate = unk_rate(tokenizer, train_texts)
    notes.append(f"tokenizer [UNK] rate on training texts: {rate:.2%}")
    warnings = []
    if rate > UNK_WARN_RATE:
        warnings.append(
            f"{rate:.1%} of training tokens are [UNK]: the model's vocabulary does not cover this text; "
            "pick a model made for this language or extend its vocabulary"
        )
    return notes, warnings


def window_notes(raw: dict, encoded: dict, config: RunConfig) -> list[str]:
    """How many windows the long texts of train and dev became (nothing when truncating)."""
    windows = config.data.windows()
    if windows is None:
        return []
    return [
        f"{split}: {len(raw[split])} texts -> {len(encoded[split])} windows of <= {config.data.max_length} tokens "
        f"(stride {windows.stride}, aggregated by {windows.aggregation})"
        for split in ("train", "dev")
    ]


def data_check(config: RunConfig, splits: Splits, label_column: str) -> tuple[list[str], dict[str, Any]]:
    """The cheap data checks on the splits a run uses: notes (one per finding) and facts for metrics.json."""
    facts: dict[str, Any] = {"deduplicated": dict(splits.dropped)} if splits.dropped else {}
    parts = {"train": splits.train, "dev": splits.dev, **({"test": splits.test} if splits.test is not None else {})}
    notes, found = split_findings(config, parts, label_column)
    return notes, {**facts, **found}


def split_findings(config: RunConfig, parts: dict[str, Any], label_column: str) -> tuple[list[str], dict[str, Any]]:
    """Duplicates, leakage and conflicting labels across ``parts`` (unless ``data.check`` is off)."""
    if not config.data.check:
        return [], {}
    found = check_splits(parts, label_column, cheap=True)["findings"]
    return [f"check: {line}" for line in found], {"data_check": found}
