"""Small helpers shared by the fixed-format readers: the text-pair guard, 0/1 labels, the row limit."""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..io import snippet
from .registry import Columns

BINARY_LABELS = {"0": "negative", "1": "positive"}
"""The label names of the binary sentiment formats (``nsmc``, ``sst2``, ``imdb``)."""


def no_pair(fmt: str, path: Path, text_pair_column: str | None) -> None:
    """Reject a text pair column for a format that holds single texts.

    Args:
        fmt: The format name, for the message.
        path: The file, for the message.
        text_pair_column: The requested pair column (``None`` or ``""``: none).

    Raises:
        DataError: If ``text_pair_column`` is set.
    """
    if text_pair_column:
        raise DataError(
            f"{path}: format {fmt!r} has single texts, not text pairs; unset data.text_pair_column "
            "or use data.format=table with the pair columns"
        )


def binary_label(value: str, path: Path, lineno: int, fmt: str) -> str:
    """Map a ``0``/``1`` label to ``negative``/``positive``.

    Args:
        value: The label field (surrounding whitespace is ignored).
        path: The file, for the message.
        lineno: The line number, for the message.
        fmt: The format name, for the message.

    Returns:
        ``"negative"`` or ``"positive"``.

    Raises:
        DataError: If the value is not ``0`` or ``1``.
    """
    name = BINARY_LABELS.get(value.strip())
    if name is None:
        raise DataError(
            f"{path}: line {lineno}: label {snippet(value)} is not 0 or 1; {fmt} labels must be "
            "0 (negative) or 1 (positive); fix that line"
        )
    return name


def full(columns: Columns, max_rows: int | None) -> bool:
    """Tell whether ``columns`` holds ``max_rows`` rows already.

    Args:
        columns: The rows read so far.
        max_rows: The row limit (``None``: none).

    Returns:
        ``True`` when reading should stop.
    """
    return max_rows is not None and len(columns["text"]) >= max_rows
