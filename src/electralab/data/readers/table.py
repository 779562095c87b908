"""Reader ``table``: generic ``.csv`` / ``.tsv`` / ``.jsonl`` / ``.json`` (optionally ``.xz``/``.gz``/``.bz2``).

The column names are configurable (``data.text_column``, ``data.text_pair_column``,
``data.label_column``). A ``.json`` file that starts with ``[`` is one JSON list of records; any other
``.json``/``.jsonl`` file holds one JSON object per line. This module also holds the column-name
resolution (:class:`ColumnNames`) and the records-to-columns conversion (:func:`records_to_columns`)
that ``klue_json`` reuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ...errors import DataError
from ..io import cell, iter_csv, iter_json_records, not_a_table, table_extension
from .common import full
from .registry import Columns, register_reader


class ColumnNames:
    """Resolved column names of a table read.

    Args:
        text: The text column.
        pair: The text pair column (``None`` or ``""``: none).
        label: The label column.
    """

    def __init__(self, text: str, pair: str | None, label: str) -> None:
        self.text = text
        self.pair = pair or None
        self.label = label

    def check(self, path: Path, where: str, available: Iterable[str], require_label: bool) -> bool:
        """Check that the wanted columns are available.

        Args:
            path: The file, for messages.
            where: The message prefix after the path (e.g. ``"header: "`` or ``"record 0: "``).
            available: The column names of the header or record.
            require_label: Whether the label column must be present.

        Returns:
            Whether the label column is present.

        Raises:
            DataError: If the text or pair column (or the required label column) is missing.
        """
        available = list(available)
        wanted = [(self.text, "data.text_column")]
        if self.pair:
            wanted.append((self.pair, "data.text_pair_column"))
        has_label = self.label in available
        if require_label:
            wanted.append((self.label, "data.label_column"))
        for name, key in wanted:
            if name not in available:
                raise DataError(
                    f"{path}: {where}column {name!r} not found; columns are [{', '.join(available)}]; "
                    f"set {key}=<one of them> (data.text_column / data.label_column name the columns)"
                )
        return has_label


def records_to_columns(
    path: Path,
    records: Iterable[tuple[str, Any]],
    names: ColumnNames,
    max_rows: int | None,
    require_label: bool,
) -> Columns:
    """Convert JSON records to reader columns.

    The first record decides whether labels are read (its keys must hold the wanted columns); every
    later record must hold the same wanted columns.

    Args:
        path: The file, for messages.
        records: ``(where, record)`` pairs, e.g. from :func:`~electralab.data.io.iter_json_records`.
        names: The column names to read.
        max_rows: Stop after this many rows (``None``: read all).
        require_label: Whether the label column must be present.

    Returns:
        The columns ``text``, ``text_pair`` (when ``names.pair`` is set) and ``label`` (when present).

    Raises:
        DataError: If a record is not a JSON object, lacks a wanted column, or holds a value that is
            not a string, number, boolean or (for texts) ``null``.
    """
    columns: Columns = {"text": []}
    has_label: bool | None = None
    for where, record in records:
        if not isinstance(record, dict):
            raise DataError(
                f"{path}: {where}: expected a JSON object with column names as keys, found a JSON "
                f"{type(record).__name__}; write one object per row"
            )
        if has_label is None:
            has_label = names.check(path, f"{where}: ", record.keys(), require_label)
            if names.pair:
                columns["text_pair"] = []
            if has_label:
                columns["label"] = []
        else:
            names.check(path, f"{where}: ", record.keys(), bool(has_label))
        columns["text"].append(cell(record[names.text], path, where, names.text, False))
        if names.pair:
            columns["text_pair"].append(cell(record[names.pair], path, where, names.pair, False))
        if has_label:
            columns["label"].append(cell(record[names.label], path, where, names.label, True))
        if full(columns, max_rows):
            break
    return columns


@register_reader("table")
def _read_table(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """Generic ``.csv``/``.tsv``/``.jsonl``/``.json`` (optionally compressed) with named columns."""
    names = ColumnNames(text_column or "text", text_pair_column, label_column or "label")
    ext = table_extension(path)
    if path.is_dir() or ext is None:
        raise not_a_table(path, "the table format reads", "rename the file or pick another data.format")
    if ext in (".json", ".jsonl"):
        return records_to_columns(path, iter_json_records(path), names, max_rows, require_label)
    return _read_delimited(path, "," if ext == ".csv" else "\t", names, max_rows, require_label)


def _read_delimited(
    path: Path, delimiter: str, names: ColumnNames, max_rows: int | None, require_label: bool
) -> Columns:
    kind = "comma" if delimiter == "," else "tab"
    columns: Columns = {"text": []}
    header: list[str] | None = None
    text_at = pair_at = label_at = -1
    for lineno, row in iter_csv(path, delimiter):
        if header is None:
            header = [f.strip() for f in row]
            has_label = names.check(path, "header: ", header, require_label)
            text_at = header.index(names.text)
            if names.pair:
                pair_at = header.index(names.pair)
                columns["text_pair"] = []
            if has_label:
                label_at = header.index(names.label)
                columns["label"] = []
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {lineno}: expected {len(header)} {kind}-separated fields "
                f"({', '.join(header)}), found {len(row)}; "
                "quote fields that contain the delimiter or newlines"
            )
        columns["text"].append(row[text_at])
        if pair_at >= 0:
            columns["text_pair"].append(row[pair_at])
        if label_at >= 0:
            label = row[label_at].strip()
            if not label:
                raise DataError(f"{path}: line {lineno}: column {names.label!r} is empty; give every row a label")
            columns["label"].append(label)
        if full(columns, max_rows):
            break
    return columns
