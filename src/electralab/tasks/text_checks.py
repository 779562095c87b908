"""Checks every text task runs on its data: what the tokenizer does to Korean, [UNK] rate, window counts."""

from __future__ import annotations

from transformers import PreTrainedTokenizerBase

from ..config import RunConfig
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
