"""Sub-word tokens ↔ tagged units (words or characters), through the fast tokenizer's character offsets.

Training: a token that starts a unit gets the unit's tag; a token inside a unit gets -100 (ignored) or, with
``label_all_subtokens``, the unit's tag turned into its continuation (``B-X`` -> ``I-X``). Prediction: a unit
takes the tag of the token covering its first character; when that token started in an earlier unit (one
token spanning several characters), the tag is turned into its continuation. An entity whose first unit
begins inside a token cannot be represented by such tokens: :func:`unreachable_entities` counts those.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

IGNORE = -100


def continuation(tag: str) -> str:
    """The tag a unit gets when it continues the entity of the unit before it in the same token."""
    prefix, _, kind = tag.partition("-")
    if prefix in ("B", "I") and kind:
        return f"I-{kind}"
    if prefix in ("S", "E") and kind:
        return f"E-{kind}"
    return tag


def _unit_at(char: int, starts: Sequence[int], ends: Sequence[int]) -> int | None:
    """The unit whose span holds character ``char``."""
    i = bisect.bisect_right(starts, char) - 1
    return i if i >= 0 and char < ends[i] else None


def trimmed(offsets: Sequence[tuple[int, int]], starts: Sequence[int], ends: Sequence[int]) -> list[tuple[int, int]]:
    """Offsets with a leading space dropped: SentencePiece tokens (``▁서울``) start at the space before a word."""
    out = []
    for start, end in offsets:
        if start != end and _unit_at(start, starts, ends) is None:
            i = bisect.bisect_left(starts, start)
            if i < len(starts) and starts[i] < end:
                start = starts[i]
        out.append((start, end))
    return out


def token_units(offsets: Sequence[tuple[int, int]], starts: Sequence[int], ends: Sequence[int]) -> list[int | None]:
    """For each token, the unit holding its first character (None for special tokens and spaces)."""
    offsets = trimmed(offsets, starts, ends)
    return [None if start == end else _unit_at(start, starts, ends) for start, end in offsets]


def first_tokens(offsets: Sequence[tuple[int, int]], starts: Sequence[int], ends: Sequence[int]) -> list[bool]:
    """For each token, whether it starts a unit (the tokens the tags are read from)."""
    offsets = trimmed(offsets, starts, ends)
    units = token_units(offsets, starts, ends)
    return [unit is not None and offsets[i][0] == starts[unit] for i, unit in enumerate(units)]


def token_labels(
    offsets: Sequence[tuple[int, int]],
    starts: Sequence[int],
    ends: Sequence[int],
    tags: Sequence[str],
    label2id: dict[str, int],
    label_all_subtokens: bool = False,
) -> list[int]:
    """Training labels of the tokens of one sentence (-100: not scored)."""
    offsets = trimmed(offsets, starts, ends)
    labels = []
    for (start, _), unit in zip(offsets, token_units(offsets, starts, ends), strict=True):
        if unit is None:
            labels.append(IGNORE)
        elif start == starts[unit]:
            labels.append(label2id[tags[unit]])
        elif label_all_subtokens:
            labels.append(label2id.get(continuation(tags[unit]), label2id[tags[unit]]))
        else:
            labels.append(IGNORE)
    return labels


def unit_tags(
    offsets: Sequence[tuple[int, int]], token_tags: Sequence[str | None], starts: Sequence[int], ends: Sequence[int]
) -> list[str]:
    """Tags of the units from the tags of the tokens (units no token reaches, e.g. cut off, get ``O``)."""
    offsets = trimmed(offsets, starts, ends)
    token_starts = [start for start, end in offsets if start != end]
    spans = [(start, end, tag) for (start, end), tag in zip(offsets, token_tags, strict=True) if start != end]
    tags = []
    for unit_start in starts:
        i = bisect.bisect_right(token_starts, unit_start) - 1
        if i < 0 or unit_start >= spans[i][1] or spans[i][2] is None:
            tags.append("O")
        elif spans[i][0] == unit_start:
            tags.append(spans[i][2])
        else:
            tags.append(continuation(spans[i][2]))
    return tags


def unreachable_entities(
    offsets: Sequence[tuple[int, int]], starts: Sequence[int], ends: Sequence[int], tags: Sequence[str]
) -> tuple[int, int]:
    """Re-tag the gold entities through the tokens and back: (entities, entities lost on the way)."""
    from .tag_scheme import entity_spans

    offsets = trimmed(offsets, starts, ends)
    units = token_units(offsets, starts, ends)
    token_tags = [None if unit is None else tags[unit] for unit in units]
    for i, ((start, _), unit) in enumerate(zip(offsets, units, strict=True)):
        if unit is not None and start != starts[unit]:
            token_tags[i] = None  # not a first sub-token: its tag is not read
    round_trip = unit_tags(offsets, token_tags, starts, ends)
    gold = set(entity_spans(tags))
    return len(gold), len(gold - set(entity_spans(round_trip)))
