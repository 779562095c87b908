"""Token classification at prediction time: any length of text, windows merged, tags back on words or characters.

A text longer than the model's ``max_length`` is cut into overlapping windows (the fast tokenizer's
``return_overflowing_tokens`` with a stride of a quarter window); each unit (word or character) takes its tag
from the window in which it lies farthest from an edge. Entities come back with character offsets into the
original text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from ..data.tag_align import first_tokens, unit_tags
from ..data.tag_scheme import entity_spans
from ..models.batching import batch_tokens, length_batches

_WORD = re.compile(r"\S+")


def text_units(text: str, kind: str) -> tuple[list[int], list[int]]:
    """Spans of the units of a raw text: whitespace-separated words, or non-space characters."""
    if kind == "char":
        kept = [i for i, char in enumerate(text) if not char.isspace()]
        return kept, [i + 1 for i in kept]
    spans = [match.span() for match in _WORD.finditer(text)]
    return [s for s, _ in spans], [e for _, e in spans]


def subtoken_units(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> list[tuple[list[int], list[int]]]:
    """Spans of the sub-word tokens of each text (leading spaces dropped), for tags read off every sub-token.

    This is how ``pipeline("token-classification", aggregation_strategy="simple")`` reads a model: entities may
    start or end inside a word. Tokens that share a span with the token before them are skipped.
    """
    encoded = tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    units = []
    for text, offsets in zip(texts, encoded["offset_mapping"], strict=True):
        starts: list[int] = []
        ends: list[int] = []
        for start, end in offsets:
            while start < end and text[start].isspace():
                start += 1
            if start < end and (not ends or start >= ends[-1]):
                starts.append(start)
                ends.append(end)
        units.append((starts, ends))
    return units


def _pad(rows: list[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(row["input_ids"]) for row in rows)
    batch = {}
    for key in rows[0]:
        fill = pad_id if key == "input_ids" else 0
        batch[key] = torch.tensor([row[key] + [fill] * (width - len(row[key])) for row in rows])
    return batch


@torch.inference_mode()
def _window_tags(model: Any, encoded: dict[str, list], batch_size: int, bf16: bool, forward: Callable) -> list:
    """(tag ids, tag probabilities) per token of every window, batched by length."""
    device = next(model.parameters()).device
    keys = [key for key in ("input_ids", "attention_mask", "token_type_ids", "first_token_mask") if key in encoded]
    lengths = [len(ids) for ids in encoded["input_ids"]]
    results: list[Any] = [None] * len(lengths)
    for index in length_batches(lengths, batch_size, batch_tokens(device)):
        batch = _pad([{key: list(encoded[key][i]) for key in keys} for i in index], model.config.pad_token_id or 0)
        batch = {key: value.to(device) for key, value in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            output = forward(**batch)
        probabilities = torch.softmax(output.logits.float(), dim=-1)
        tags = output.decoded if getattr(output, "decoded", None) is not None else probabilities.argmax(dim=-1)
        chosen = probabilities.gather(2, tags.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        for row, i in enumerate(index):
            length = len(encoded["input_ids"][i])
            results[i] = (tags[row, :length].tolist(), chosen[row, :length].tolist())
    return results


def predict_unit_tags(
    model: Any,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    units: Sequence[tuple[Sequence[int], Sequence[int]]],
    max_length: int,
    batch_size: int = 64,
    bf16: bool = False,
    forward: Callable | None = None,
) -> list[tuple[list[str], list[float]]]:
    """The tag (and its probability) of every unit of every text, windows merged."""
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    encoded = tokenizer(
        list(texts), truncation=True, max_length=max_length, stride=max(1, max_length // 4),
        return_overflowing_tokens=True, return_offsets_mapping=True,
    )  # fmt: skip
    owners = list(encoded.pop("overflow_to_sample_mapping"))
    offsets = encoded.pop("offset_mapping")
    encoded["first_token_mask"] = [
        [int(flag) for flag in first_tokens(offsets[w], *units[owners[w]])] for w in range(len(owners))
    ]
    windows = _window_tags(model, dict(encoded), batch_size, bf16, forward or model)
    best: list[list[tuple[float, str, float]]] = [[(-1.0, "O", 0.0)] * len(starts) for starts, _ in units]
    for w, (tag_ids, probabilities) in enumerate(windows):
        text_index = owners[w]
        starts, ends = units[text_index]
        spans = [o for o in offsets[w] if o[0] != o[1]]
        if not spans:
            continue
        low, high = spans[0][0], spans[-1][1]
        token_tags = [names[t] if t >= 0 else None for t in tag_ids]
        tags = unit_tags(offsets[w], token_tags, starts, ends)
        token_starts = [o[0] for o in offsets[w] if o[0] != o[1]]
        token_probability = [p for o, p in zip(offsets[w], probabilities, strict=True) if o[0] != o[1]]
        for u, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if start < low or end > high:
                continue
            margin = min(start - low, high - end)
            if margin > best[text_index][u][0]:
                covering = bisect.bisect_right(token_starts, start) - 1
                best[text_index][u] = (margin, tags[u], token_probability[covering] if covering >= 0 else 0.0)
    return [([tag for _, tag, _ in row], [p for _, _, p in row]) for row in best]


def entities_of(text: str, starts: Sequence[int], ends: Sequence[int], tags: list[str], scores: list[float]) -> list:
    """Entities ``{text, label, start, end, score}`` with character offsets into ``text``."""
    found = []
    for kind, first, last in entity_spans(tags):
        start, end = starts[first], ends[last]
        found.append(
            {
                "text": text[start:end],
                "label": kind,
                "start": start,
                "end": end,
                "score": round(float(np.mean(scores[first : last + 1])), 6),
            }
        )
    return found
