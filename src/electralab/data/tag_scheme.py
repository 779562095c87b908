"""Tag schemes (IOB2 / BIO, BIOES): which tags are valid, repairing or refusing invalid sequences, entity spans."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DataError

SCHEMES = ("BIO", "IOB2", "BIOES")
"""BIO and IOB2 are the same scheme (every entity starts with B-); BIOES adds E- (end) and S- (single)."""


def prefixes(scheme: str) -> tuple[str, ...]:
    """The tag prefixes a scheme allows (besides ``O``)."""
    return ("B", "I", "E", "S") if scheme == "BIOES" else ("B", "I")


def split_tag(tag: str) -> tuple[str, str | None]:
    """``B-PER`` -> (``B``, ``PER``); ``O`` -> (``O``, None)."""
    if tag == "O":
        return "O", None
    prefix, sep, kind = tag.partition("-")
    return (prefix, kind) if sep and kind else ("?", None)


def check_tag(tag: str, scheme: str, where: str) -> None:
    """Refuse a tag the scheme does not have (e.g. ``E-PER`` under IOB2, or ``PER`` without a prefix)."""
    prefix, _ = split_tag(tag)
    if prefix != "O" and prefix not in prefixes(scheme):
        allowed = ", ".join(f"{p}-X" for p in prefixes(scheme))
        raise DataError(f"{where}: tag {tag!r} is not in the {scheme} scheme (O, {allowed}); set data.tag_scheme")


def repair(tags: Sequence[str]) -> tuple[list[str], int]:
    """Turn each ``I-X`` (``E-X``) that does not continue an ``X`` entity into ``B-X`` (``S-X``).

    Returns:
        The repaired tags and how many were changed.
    """
    fixed, repaired, previous = [], 0, ("O", None)
    for tag in tags:
        prefix, kind = split_tag(tag)
        if prefix in ("I", "E") and not (previous[1] == kind and previous[0] in ("B", "I")):
            prefix = "B" if prefix == "I" else "S"
            tag, repaired = f"{prefix}-{kind}", repaired + 1
        fixed.append(tag)
        previous = (prefix, kind)
    return fixed, repaired


def entity_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans ``(type, first, last)`` (inclusive unit indices) of a BIO or BIOES sequence (seqeval's)."""
    from seqeval.metrics.sequence_labeling import get_entities

    return [(kind, first, last) for kind, first, last in get_entities(list(tags))]
