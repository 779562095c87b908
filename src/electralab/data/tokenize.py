"""Tokenisation of text splits, and checks of what a tokenizer does to Korean text."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from ..errors import ConfigError
from .windows import WindowSettings, tokenize_windows

_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_COMPAT_JAMO = re.compile(r"[\u3131-\u318e]")
UNK_WARN_RATE = 0.02
"""Above this share of [UNK] tokens the run prints a warning: the vocabulary does not fit the text."""


def _normalize(tokenizer: PreTrainedTokenizerBase, text: str) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    normalizer = getattr(backend, "normalizer", None)
    return normalizer.normalize_str(text) if normalizer is not None else text


def check_korean_handling(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], allow_hangul_normalization: bool
) -> list[str]:
    """Refuse a tokenizer that rewrites Hangul syllables (e.g. uncased BERT's NFD + accent stripping).

    Returns notes to show (compatibility jamo such as ㅋ changed by NFKC-style normalisers).
    """
    sample = [t for t in texts[:5000] if _HANGUL_SYLLABLE.search(t)]
    if not sample:
        return []
    notes = []
    syllables = "".join(dict.fromkeys(ch for t in sample[:500] for ch in t if _HANGUL_SYLLABLE.match(ch)))
    if _normalize(tokenizer, syllables) != syllables and not allow_hangul_normalization:
        raise ConfigError(
            f"the tokenizer of {tokenizer.name_or_path} rewrites Hangul syllables (lowercasing/accent "
            "stripping decomposes them into jamo), which silently destroys Korean text; use a cased or "
            "Korean-aware model, or set data.allow_hangul_normalization=true if you really mean it"
        )
    jamo_runs = ["".join(_COMPAT_JAMO.findall(t)) for t in sample]
    changed = sum(1 for run in jamo_runs if run and _normalize(tokenizer, run) != run)
    if changed:
        notes.append(
            f"the tokenizer's normaliser rewrites compatibility jamo (e.g. ㅋ, ㅠ) in {changed} of "
            f"{len(sample)} sampled Korean texts"
        )
    return notes


def unk_rate(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], sample: int = 5000) -> float:
    """Share of [UNK] among the tokens of (up to ``sample``) texts."""
    if tokenizer.unk_token_id is None:
        return 0.0
    encoded = tokenizer(list(texts[:sample]), add_special_tokens=False)["input_ids"]
    total = sum(len(ids) for ids in encoded)
    unknown = sum(ids.count(tokenizer.unk_token_id) for ids in encoded)
    return unknown / total if total else 0.0


def encode_split(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    target: Callable[[Any], Any] | None = None,
    label_column: str = "label",
    windows: WindowSettings | None = None,
) -> Dataset:
    """Tokenise ``text`` (+ ``text_pair``) without padding; add ``length`` and, with ``target``, ``labels``.

    Args:
        dataset: Raw split with ``text`` [, ``text_pair``] and the label column.
        tokenizer: The model's tokenizer.
        max_length: Truncation length in tokens (window length with ``windows``).
        target: Maps one raw label value to the training target (a class index, or a multi-hot list).
        label_column: Column holding the raw labels.
        windows: Cut long texts into overlapping windows instead of truncating: one row per window, with its
            text's label and a ``doc_id`` column (the text's row in ``dataset``).
    """
    has_pair = "text_pair" in dataset.column_names

    def encode(batch: dict[str, list], indices: list[int]) -> dict[str, list]:
        if windows is not None:
            encoded, rows = tokenize_windows(tokenizer, batch["text"], max_length, windows)
            encoded["doc_id"] = [indices[row] for row in rows]
        else:
            encoded = dict(
                tokenizer(
                    batch["text"], batch["text_pair"] if has_pair else None, truncation=True, max_length=max_length
                )
            )
            rows = range(len(batch["text"]))
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        if target is not None:
            encoded["labels"] = [target(batch[label_column][row]) for row in rows]
        return encoded

    return dataset.map(encode, batched=True, with_indices=True, remove_columns=dataset.column_names, desc="tokenising")
