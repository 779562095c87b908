"""Reader ``sst2``: ``<label> <sentence>`` lines (Kim 2014 ``stsa.binary.*`` files)."""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..io import iter_lines, snippet
from .common import binary_label, full, no_pair
from .registry import Columns, register_reader


@register_reader("sst2")
def _read_sst2(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """SST-2 ``stsa.binary.*``: ``<label> <sentence>`` split on the first space."""
    no_pair("sst2", path, text_pair_column)
    columns: Columns = {"text": [], "label": []}
    for lineno, line in iter_lines(path):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        label, sep, sentence = line.partition(" ")
        if not sep:
            raise DataError(
                f"{path}: line {lineno}: expected '<label> <sentence>' (2 fields split on the first space), "
                f"found 1 field {snippet(line)}; fix or remove that line"
            )
        columns["label"].append(binary_label(label, path, lineno, "sst2"))
        columns["text"].append(sentence)
        if full(columns, max_rows):
            break
    return columns
