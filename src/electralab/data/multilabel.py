"""Multi-label data: a reader for three label encodings, a multi-hot matrix and sanity checks.

:func:`read_multilabel_split` reads ``.csv`` / ``.tsv`` / ``.jsonl`` / ``.json`` files (optionally
``.xz``/``.gz``/``.bz2``) with the same strict UTF-8 decoding and one-line
:class:`~electralab.errors.DataError` messages as :mod:`electralab.data.readers`. The labels of a row
may be given as

1. **multi-hot columns** (``label_columns=[...]``): one column per label holding exactly ``0`` or ``1``
   (CSV/TSV cells ``0``/``1``; JSON ``0``/``1`` or ``"0"``/``"1"``), e.g. Korean UnSmile;
2. **a JSON list** of label names in ``label_column`` (JSON lines / JSON array), e.g.
   ``{"text": "...", "labels": ["a", "b"]}``;
3. **a delimited string** in ``label_column`` (``label_delimiter="|"``: ``a|b``; an empty cell means no
   label), mainly for CSV/TSV.

Every row becomes ``text`` (a string) and ``labels`` (the names of its positive labels, possibly empty).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, Features, Value

from ..errors import DataError
from .readers import (
    _cell,
    _iter_csv,
    _iter_jsonl,
    _load_json_array,
    _snippet,
    _starts_with_bracket,
    _table_extension,
)

try:  # datasets >= 4
    from datasets import List as _ListFeature
except ImportError:  # pragma: no cover - datasets 3.x
    from datasets import Sequence as _ListFeature

_MAX_LISTED = 20
_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}


def read_multilabel_split(
    path: str | Path,
    *,
    text_column: str = "text",
    label_columns: list[str] | None = None,
    label_column: str = "labels",
    label_delimiter: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> tuple[Dataset, list[str]]:
    """Read one multi-label data split.

    Args:
        path: A ``.csv``, ``.tsv``, ``.jsonl`` or ``.json`` file (JSON lines, or a JSON array when the
            file starts with ``[``), optionally compressed ``.xz``/``.gz``/``.bz2``.
        text_column: Column holding the text.
        label_columns: Multi-hot encoding: one 0/1 column per label, in this order. When set,
            ``label_column`` and ``label_delimiter`` are not used.
        label_column: Column holding the labels of a row as a JSON list of names, or (with
            ``label_delimiter``) as one string of names joined by the delimiter.
        label_delimiter: The delimiter of a delimited label string (e.g. ``"|"``); whitespace around
            names is stripped and empty pieces are dropped, so an empty cell means no label. In JSON
            files a JSON list is accepted as well.
        max_rows: Keep only the first ``max_rows`` data rows and stop reading there (``None``: all).
        require_label: When false and the file holds no label information (no label column, or none of
            ``label_columns``), return only ``text``, e.g. for prediction input.

    Returns:
        ``(dataset, label_names)``: a dataset with ``text`` (string) and ``labels`` (list of the names of
        the positive labels, possibly empty; left out when there is no label information and
        ``require_label`` is false), in file order with empty texts kept as ``""``; and the label names
        the file declares: ``label_columns`` in the given order for multi-hot columns, else the sorted
        union of the names seen (``[]`` without labels).

    Raises:
        DataError: If the file does not exist, is empty, has no data rows, is not valid UTF-8, has an
            unsupported extension, lacks the text or label column(s), a row has the wrong number of
            fields, or a label value is not of the expected form (0/1 cell, JSON list, string).
        ValueError: If ``max_rows`` is smaller than 1.
    """
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"max_rows must be None or at least 1, got {max_rows}")
    path = Path(path).expanduser()
    ext = _check_file(path)
    spec = _Spec(path, text_column or "text", label_columns, label_column or "labels", label_delimiter)
    collector = _Collector(spec, require_label, from_json=ext in (".json", ".jsonl"), max_rows=max_rows)
    if ext in (".csv", ".tsv"):
        _read_delimited(path, "," if ext == ".csv" else "\t", collector)
    else:
        if ext == ".json" and _starts_with_bracket(path):
            records: Iterable[tuple[str, Any]] = ((f"record {i}", rec) for i, rec in enumerate(_load_json_array(path)))
        else:
            records = _iter_jsonl(path)
        _read_records(path, records, collector)
    if not collector.texts:
        raise DataError(
            f"{path}: no data rows (the file holds only a header, blank lines or nothing); "
            "expected multi-label data rows; check that this is the right file"
        )
    return collector.dataset(), collector.label_names()


def label_matrix(dataset: Dataset, label_names: list[str]) -> np.ndarray:
    """Build the multi-hot target matrix of a dataset's ``labels`` column.

    Args:
        dataset: A dataset with a ``labels`` column of label-name lists (as from
            :func:`read_multilabel_split`).
        label_names: The label names; column ``j`` of the result is ``label_names[j]``.

    Returns:
        A float32 array of shape ``(len(dataset), len(label_names))`` with 1.0 where a row has the label.

    Raises:
        DataError: If the dataset has no ``labels`` column or holds a label that is not in ``label_names``.
    """
    if "labels" not in dataset.column_names:
        raise DataError(
            f"the dataset has no 'labels' column (columns are [{', '.join(dataset.column_names)}]); "
            "read it with labels (require_label=True)"
        )
    index = {name: j for j, name in enumerate(label_names)}
    rows = dataset["labels"][:]
    matrix = np.zeros((len(rows), len(label_names)), dtype=np.float32)
    unknown: set[str] = set()
    for i, labels in enumerate(rows):
        for name in labels:
            j = index.get(name)
            if j is None:
                unknown.add(name)
            else:
                matrix[i, j] = 1.0
    if unknown:
        raise DataError(
            f"labels {_listed(sorted(unknown))} are not among the label names {_listed(label_names)}; "
            "fix the labels or train with data that has them"
        )
    return matrix


def multilabel_checks(train_labels: Iterable[list[str]], label_names: list[str], none_label: str | None) -> list[str]:
    """Find problems of multi-label training data that are worth a warning, not an error.

    Args:
        train_labels: The ``labels`` of each training row (lists of label names).
        label_names: All label names of the task.
        none_label: The label meaning "none of the others" (e.g. ``clean``), if the dataset has one.

    Returns:
        Warning messages, one per finding: a label that is never positive, rows without any label, and a
        ``none_label`` that is not among ``label_names``; an empty list when all is well.
    """
    positives = dict.fromkeys(label_names, 0)
    unlabelled = 0
    for labels in train_labels:
        if not labels:
            unlabelled += 1
        for name in labels:
            if name in positives:
                positives[name] += 1
    warnings = [
        f"label {name!r} is never positive in the training data; it is kept, but the model cannot learn it"
        for name, count in positives.items()
        if count == 0
    ]
    if none_label is not None and none_label not in positives:
        warnings.append(
            f"data.none_label {none_label!r} is not one of the labels {_listed(label_names)}; "
            "set it to one of them or unset it"
        )
    if unlabelled:
        rows = "1 training row has" if unlabelled == 1 else f"{unlabelled} training rows have"
        if none_label is None:
            warnings.append(f"{rows} no label; if the dataset has a 'none' class (e.g. clean) set data.none_label")
        else:
            warnings.append(f"{rows} no label, not even {none_label!r}")
    return warnings


def check_multilabel_names_seen(train_names: list[str], other_names: list[str], split: str, path: str) -> None:
    """Check that an evaluation split declares no label names that the training data lacks.

    Args:
        train_names: The label names of the training data.
        other_names: The label names of the evaluation split.
        split: The split's name for the message (``dev``, ``test``).
        path: The split's file, for the message.

    Raises:
        DataError: If ``other_names`` holds names that are not in ``train_names``.
    """
    unseen = sorted(set(other_names) - set(train_names))
    if unseen:
        raise DataError(
            f"{path} (split {split}): labels {_listed(unseen)} do not occur in the training data; "
            "fix the labels or add training rows for them"
        )


# --------------------------------------------------------------------------------------------------
# Internals.


def _listed(names: list[str]) -> str:
    shown = repr(list(names[:_MAX_LISTED]))
    if len(names) > _MAX_LISTED:
        shown = f"{shown[:-1]}, ... ({len(names) - _MAX_LISTED} more)]"
    return shown


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A short rendering of a cell value for messages: strings quoted, JSON values as JSON."""
    if isinstance(value, str):
        return _snippet(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def _check_file(path: Path) -> str:
    """Raise for a missing, empty or unsupported file; return its table extension."""
    if not path.exists():
        raise DataError(
            f"{path}: data file not found; pass --data-dir with the folder that holds it, "
            "or fix the file path in the config"
        )
    ext = _table_extension(path)
    if path.is_dir() or ext is None:
        suffixes = "".join(path.suffixes)
        what = "is a directory" if path.is_dir() else f"has the unsupported extension {suffixes!r}"
        raise DataError(
            f"{path}: {what}; multi-label data is read from .csv, .tsv, .jsonl or .json files "
            "(optionally compressed .xz/.gz/.bz2); rename the file or point the setting at the file"
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes); expected multi-label data rows; check the file")
    return ext


class _Spec:
    """The validated column settings of one read."""

    def __init__(
        self, path: Path, text: str, label_columns: list[str] | None, label_column: str, delimiter: str | None
    ) -> None:
        if label_columns is not None:
            label_columns = list(label_columns)
            if not label_columns:
                raise DataError(
                    f"{path}: data.label_columns is empty; list the file's 0/1 label columns, "
                    "or unset it to read a label list from data.label_column"
                )
            duplicated = sorted({name for name in label_columns if label_columns.count(name) > 1})
            if duplicated:
                raise DataError(
                    f"{path}: data.label_columns names {duplicated!r} more than once; list each label column once"
                )
            if text in label_columns:
                raise DataError(
                    f"{path}: the text column {text!r} is also in data.label_columns; "
                    "set data.text_column to the text column"
                )
            if delimiter is not None:
                raise DataError(
                    f"{path}: both data.label_columns and data.label_delimiter are set; use label_columns for "
                    "one 0/1 column per label, or label_delimiter for names joined in data.label_column, not both"
                )
        if delimiter is not None and not delimiter:
            raise DataError(f"{path}: data.label_delimiter is an empty string; set it to e.g. '|' or unset it")
        self.text = text
        self.label_columns = label_columns
        self.label_column = label_column
        self.delimiter = delimiter

    def wanted(self, with_labels: bool) -> list[str]:
        """The columns every row must have."""
        if not with_labels:
            return [self.text]
        return [self.text, *(self.label_columns or [self.label_column])]


class _Collector:
    """Accumulates texts and label lists, validating each row."""

    def __init__(self, spec: _Spec, require_label: bool, from_json: bool, max_rows: int | None) -> None:
        self.spec = spec
        self.require_label = require_label
        self.from_json = from_json
        self.max_rows = max_rows
        self.has_labels = False
        self.texts: list[str] = []
        self.labels: list[list[str]] = []
        self.seen: set[str] = set()

    def start(self, path: Path, where: str, available: list[str]) -> None:
        """Check the columns of the header (or first record) and decide whether labels are read."""
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
                    f"{path}: {where}label column(s) {_listed(missing)} not found; columns are "
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
        """Add one row; return whether ``max_rows`` is reached."""
        spec = self.spec
        self.texts.append(_cell(record[spec.text], path, where, spec.text, False))
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
                    f"{path}: {where}, column {column!r}: the label list holds a JSON {_json_type(bad[0])} "
                    f'{_shown(bad[0])}; expected label names as strings, e.g. ["a", "b"]; fix that row'
                )
            pieces = value
        else:
            if delimiter is None:
                expected = 'a JSON list of label names, e.g. ["a", "b"] ([] for none)'
            else:
                expected = f"label names joined by {delimiter!r} (or a JSON list)"
            raise DataError(
                f"{path}: {where}, column {column!r}: expected {expected}, got a JSON {_json_type(value)} "
                f"{_shown(value)}; fix that row"
            )
        names = (piece.strip() for piece in pieces)
        return list(dict.fromkeys(name for name in names if name))

    def dataset(self) -> Dataset:
        """The collected rows as a ``datasets.Dataset``."""
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
    raise DataError(f"{path}: {where}, column {column!r}: expected 0 or 1, got {_shown(value)}; fix the cell")


def _read_delimited(path: Path, delimiter: str, collector: _Collector) -> None:
    kind = "comma" if delimiter == "," else "tab"
    header: list[str] | None = None
    for lineno, row in _iter_csv(path, delimiter):
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


def _read_records(path: Path, records: Iterable[tuple[str, Any]], collector: _Collector) -> None:
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
                    f"{path}: {where}: column(s) {_listed(missing)} not found; columns are "
                    f"[{', '.join(record)}]; give every row the same columns as the first one"
                )
        if collector.add(path, where, record):
            return


def _objects(path: Path, records: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, record in records:
        if not isinstance(record, dict):
            raise DataError(
                f"{path}: {where}: expected a JSON object with column names as keys, found a JSON "
                f"{_json_type(record)}; write one object per row"
            )
        yield where, record
