"""Readers ``ynat`` and ``klue_json``: KLUE YNAT topic classification.

* ``ynat``: KLUE YNAT ``label<TAB>text`` TSV (header optional), or the official KLUE JSON when the
  path ends in ``.json``.
* ``klue_json``: the official KLUE JSON list of records (``title`` -> text, ``label``).
"""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..io import iter_csv, iter_json_array, split_compression
from .common import full, no_pair
from .registry import Columns, register_reader
from .table import ColumnNames, records_to_columns


@register_reader("ynat")
def _read_ynat(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """KLUE YNAT ``label<TAB>text`` TSV (header row optional), or the official KLUE JSON for ``.json``."""
    if split_compression(path)[0] == ".json":
        return _read_klue_json(path, text_pair_column=text_pair_column, max_rows=max_rows, require_label=require_label)
    no_pair("ynat", path, text_pair_column)
    columns: Columns = {"text": [], "label": []}
    label_at, text_at, width = 0, 1, 2
    first = True
    for lineno, row in iter_csv(path, "\t"):
        if first:
            first = False
            names = [f.strip().lower() for f in row]
            if "label" in names and ("text" in names or "title" in names) and len(set(names)) == len(names):
                label_at = names.index("label")
                text_at = names.index("text") if "text" in names else names.index("title")
                width = len(names)
                continue
        if len(row) != width:
            raise DataError(
                f"{path}: line {lineno}: expected {width} tab-separated fields (label, text), found "
                f"{len(row)}; quote a text that contains a tab, or fix that line"
            )
        label = row[label_at].strip()
        if not label:
            raise DataError(f"{path}: line {lineno}: the label is empty; give every row a label")
        columns["text"].append(row[text_at])
        columns["label"].append(label)
        if full(columns, max_rows):
            break
    return columns


@register_reader("klue_json")
def _read_klue_json(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """The official KLUE JSON: a list of records; ``title`` -> text, ``label`` -> label (columns fixed)."""
    no_pair("klue_json", path, text_pair_column)
    names = ColumnNames("title", None, "label")
    return records_to_columns(path, iter_json_array(path), names, max_rows, require_label)
