"""Internals of :mod:`electralab.data.multilabel`: column settings, row validation and the file walkers.

:class:`LabelSpec` validates the column settings of one read, :class:`LabelCollector` checks the header
(or first record) and accumulates texts and label lists, and :func:`read_delimited_rows` /
:func:`read_record_rows` feed it the rows of a CSV/TSV or JSON file. The low-level reading (strict
UTF-8, CSV and JSON iteration) is :mod:`electralab.data.io`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from datasets import Dataset, Features, Value

from ..errors import DataError
from .io import cell, empty_file, file_not_found, iter_csv, not_a_table, snippet, table_extension

try:  # datasets >= 4
    from datasets import List as _ListFeature
except ImportError:  # pragma: no cover - datasets 3.x
    from datasets import Sequence as _ListFeature

MAX_LISTED = 20
"""The most names :func:`listed` shows."""

_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}


def listed(names: list[str]) -> str:
    """Render label names for a message, showing at most :data:`MAX_LISTED` of them.

    Args:
        names: The names.

    Returns:
        The ``repr`` of the list, with ``... (<n> more)`` before the closing bracket when shortened.
    """
    shown = repr(list(names[:MAX_LISTED]))
    if len(names) > MAX_LISTED:
        shown = f"{shown[:-1]}, ... ({len(names) - MAX_LISTED} more)]"
    return shown


def json_type(value: Any) -> str:
    """Name the JSON type of a decoded value (``string``, ``number``, ``array``, ``null``, ...).

    Args:
        value: A value decoded from JSON (or a CSV cell).

    Returns:
        The JSON type name (the Python type name for anything else).
    """
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def shown(value: Any) -> str:
    """Render a cell value for a message: strings quoted, JSON values as JSON, at most 60 characters.

    Args:
        value: The value.

    Returns:
        The short rendering.
    """
    if isinstance(value, str):
        return snippet(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def check_file(path: Path) -> str:
    """Check that a multi-label data file exists, is a table file and is not empty.

    Args:
        path: The file.

    Returns:
        Its table extension (``.csv``, ``.tsv``, ``.jsonl`` or ``.json``).

    Raises:
        DataError: If the file is missing, a directory, has another extension, or is empty.
    """
    if not path.exists():
        raise file_not_found(path)
    ext = table_extension(path)
    if path.is_dir() or ext is None:
        raise not_a_table(path, "multi-label data is read from", "rename the file or point the setting at the file")
    if path.stat().st_size == 0:
        raise empty_file(path, "multi-label")
    return ext


class LabelSpec:
    """The validated column settings of one read.

    Args:
        path: The file, for messages.
        text: The text column.
        label_columns: The 0/1 label columns (multi-hot), or ``None``.
        label_column: The column of label lists or delimited label strings.
        delimiter: The label delimiter, or ``None``.

    Raises:
        DataError: If the settings contradict each other or ``label_columns`` is empty or repetitive.
    """

    def __init__(
        self, path: Path, text: str, label_columns: list[str] | None, label_column: str, delimiter: str | None
    ) -> None:
        if label_columns is not None:
            label_columns = list(label_columns)
            _check_label_columns(path, text, label_columns, delimiter)
        if delimiter is not None and not delimiter:
            raise DataError(f"{path}: data.label_delimiter is an empty string; set it to e.g. '|' or unset it")
        self.text = text
        self.label_columns = label_columns
        self.label_column = label_column
        self.delimiter = delimiter

    def wanted(self, with_labels: bool) -> list[str]:
        """The columns every row must have.

        Args:
            with_labels: Whether labels are read.

        Returns:
            The text column, then the label column(s) when ``with_labels``.
        """
        if not with_labels:
            return [self.text]
        return [self.text, *(self.label_columns or [self.label_column])]


def _check_label_columns(path: Path, text: str, label_columns: list[str], delimiter: str | None) -> None:
    if not label_columns:
        raise DataError(
            f"{path}: data.label_columns is empty; list the file's 0/1 label columns, "
            "or unset it to read a label list from data.label_column"
        )
    duplicated = sorted({name for name in label_columns if label_columns.count(name) > 1})
    if duplicated:
        raise DataError(f"{path}: data.label_columns names {duplicated!r} more than once; list each label column once")
    if text in label_columns:
        raise DataError(
            f"{path}: the text column {text!r} is also in data.label_columns; set data.text_column to the text column"
        )
    if delimiter is not None:
        raise DataError(
            f"{path}: both data.label_columns and data.label_delimiter are set; use label_columns for "
            "one 0/1 column per label, or label_delimiter for names joined in data.label_column, not both"
        )


class LabelCollector:
    """Accumulates texts and label lists, validating each row.

    Args:
        spec: The column settings.
        require_label: Whether the file must hold label information.
        from_json: Whether the rows come from a JSON file (then label lists may be JSON lists).
        max_rows: The row limit (``None``: none).
    """

    def __init__(self, spec: LabelSpec, require_label: bool, from_json: bool, max_rows: int | None) -> None:
        self.spec = spec
        self.require_label = require_label
        self.from_json = from_json
        self.max_rows = max_rows
        self.has_labels = False
        self.texts: list[str] = []
        self.labels: list[list[str]] = []
        self.seen: set[str] = set()

    def start(self, path: Path, where: str, available: list[str]) -> None:
        """Check the columns of the header (or first record) and decide whether labels are read.

        Args:
            path: The file, for messages.
            where: The message prefix after the path (e.g. ``"line 1 (header): "``).
            available: The column names.

        Raises:
            DataError: If the text column or a required label column is missing, or CSV/TSV labels have
                no encoding (neither ``label_columns`` nor ``label_delimiter``).
        """
        spec = self.spec
        if spec.text not in available:
            raise DataError(
                f"{path}: {where}column {spec.text!r} not found; columns are [{', '.join(available)}]; "
                "set data.text_column=<one of them>"
            )
        if spec.label_columns is not None:
            missing = [name for name in spec.label_columns if name not in available]
            if missing and (self.require_label or len(missing) < len(spec.label_columns)):
                raise DataError(
                    f"{path}: {where}label column(s) {listed(missing)} not found; columns are "
                    f"[{', '.join(available)}]; set data.label_columns=[...] to the file's 0/1 label columns"
                )
            self.has_labels = not missing
            return
        present = spec.label_column in available
        if not present and self.require_label:
            raise DataError(
                f"{path}: {where}column {spec.label_column!r} not found; columns are [{', '.join(available)}]; "
                "set data.label_column=<one of them>, or data.label_columns=[...] for one 0/1 column per label"
            )
        if present and not self.from_json and spec.delimiter is None:
            raise DataError(
                f"{path}: {where}multi-label CSV/TSV data needs data.label_columns=[...] (one 0/1 column per "
                f"label) or data.label_delimiter (e.g. '|') for the names joined in column {spec.label_column!r}"
            )
        self.has_labels = present

    def add(self, path: Path, where: str, record: dict[str, Any]) -> bool:
        """Add one row.

        Args:
            path: The file, for messages.
            where: The row, for messages (e.g. ``"line 3"``).
            record: The row's values by column name.

        Returns:
            Whether ``max_rows`` is reached.

        Raises:
            DataError: If a value is not of the expected form.
        """
        spec = self.spec
        self.texts.append(cell(record[spec.text], path, where, spec.text, False))
        if self.has_labels:
            if spec.label_columns is not None:
                labels = [name for name in spec.label_columns if _zero_one(record[name], path, where, name)]
            else:
                labels = self._names(record[spec.label_column], path, where)
                self.seen.update(labels)
            self.labels.append(labels)
        return self.max_rows is not None and len(self.texts) >= self.max_rows

    def _names(self, value: Any, path: Path, where: str) -> list[str]:
        column, delimiter = self.spec.label_column, self.spec.delimiter
        if delimiter is not None and isinstance(value, str):
            pieces = value.split(delimiter)
        elif self.from_json and isinstance(value, list):
            bad = [item for item in value if not isinstance(item, str)]
            if bad:
                raise DataError(
                    f"{path}: {where}, column {column!r}: the label list holds a JSON {json_type(bad[0])} "
                    f'{shown(bad[0])}; expected label names as strings, e.g. ["a", "b"]; fix that row'
                )
            pieces = value
        else:
            if delimiter is None:
                expected = 'a JSON list of label names, e.g. ["a", "b"] ([] for none)'
            else:
                expected = f"label names joined by {delimiter!r} (or a JSON list)"
            raise DataError(
                f"{path}: {where}, column {column!r}: expected {expected}, got a JSON {json_type(value)} "
                f"{shown(value)}; fix that row"
            )
        names = (piece.strip() for piece in pieces)
        return list(dict.fromkeys(name for name in names if name))

    def dataset(self) -> Dataset:
        """The collected rows as a ``datasets.Dataset`` (``text``, and ``labels`` when read)."""
        if not self.has_labels:
            return Dataset.from_dict({"text": self.texts}, features=Features({"text": Value("string")}))
        features = Features({"text": Value("string"), "labels": _ListFeature(Value("string"))})
        return Dataset.from_dict({"text": self.texts, "labels": self.labels}, features=features)

    def label_names(self) -> list[str]:
        """The declared label names (``label_columns``) or the sorted names seen."""
        if not self.has_labels:
            return []
        if self.spec.label_columns is not None:
            return list(self.spec.label_columns)
        return sorted(self.seen)


def _zero_one(value: Any, path: Path, where: str, column: str) -> bool:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped in ("0", "1"):
            return stripped == "1"
    elif isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return value == 1
    raise DataError(f"{path}: {where}, column {column!r}: expected 0 or 1, got {shown(value)}; fix the cell")


def read_delimited_rows(path: Path, delimiter: str, collector: LabelCollector) -> None:
    """Feed the rows of a CSV/TSV file (first record: the header) to a collector.

    Args:
        path: The file.
        delimiter: The field delimiter (a comma or a tab).
        collector: Receives the header and the rows; reading stops when it is full.

    Raises:
        DataError: If a wanted header column is duplicated or a row has the wrong number of fields.
    """
    kind = "comma" if delimiter == "," else "tab"
    header: list[str] | None = None
    for lineno, row in iter_csv(path, delimiter):
        if header is None:
            header = [field.strip() for field in row]
            collector.start(path, f"line {lineno} (header): ", header)
            for name in collector.spec.wanted(collector.has_labels):
                if header.count(name) > 1:
                    raise DataError(
                        f"{path}: line {lineno} (header): column {name!r} appears {header.count(name)} times; "
                        "rename the duplicates so each column name is unique"
                    )
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {lineno}: expected {len(header)} {kind}-separated fields "
                f"({', '.join(header)}), found {len(row)}; quote fields that contain the delimiter or newlines"
            )
        if collector.add(path, f"line {lineno}", dict(zip(header, row, strict=True))):
            return


def read_record_rows(path: Path, records: Iterable[tuple[str, Any]], collector: LabelCollector) -> None:
    """Feed JSON records (the first decides the columns) to a collector.

    Args:
        path: The file, for messages.
        records: ``(where, record)`` pairs, e.g. from :func:`~electralab.data.io.iter_json_records`.
        collector: Receives the first record's columns and the rows; reading stops when it is full.

    Raises:
        DataError: If a record is not a JSON object or lacks a column of the first record's wanted ones.
    """
    started = False
    wanted: list[str] = []
    for where, record in _objects(path, records):
        if not started:
            started = True
            collector.start(path, f"{where}: ", list(record))
            wanted = collector.spec.wanted(collector.has_labels)
        else:
            missing = [name for name in wanted if name not in record]
            if missing:
                raise DataError(
                    f"{path}: {where}: column(s) {listed(missing)} not found; columns are "
                    f"[{', '.join(record)}]; give every row the same columns as the first one"
                )
        if collector.add(path, where, record):
            return


def _objects(path: Path, records: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, record in records:
        if not isinstance(record, dict):
            raise DataError(
                f"{path}: {where}: expected a JSON object with column names as keys, found a JSON "
                f"{json_type(record)}; write one object per row"
            )
        yield where, record
