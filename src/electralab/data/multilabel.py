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
The column settings, row validation and file walkers are in :mod:`electralab.data.multilabel_parsing`;
the low-level reading in :mod:`electralab.data.io`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from datasets import Dataset

from ..errors import DataError
from .io import iter_json_records, no_data_rows
from .multilabel_parsing import LabelCollector, LabelSpec, check_file, listed, read_delimited_rows, read_record_rows


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
    ext = check_file(path)
    spec = LabelSpec(path, text_column or "text", label_columns, label_column or "labels", label_delimiter)
    collector = LabelCollector(spec, require_label, from_json=ext in (".json", ".jsonl"), max_rows=max_rows)
    if ext in (".csv", ".tsv"):
        read_delimited_rows(path, "," if ext == ".csv" else "\t", collector)
    else:
        read_record_rows(path, iter_json_records(path), collector)
    if not collector.texts:
        raise no_data_rows(path, "multi-label")
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
            f"labels {listed(sorted(unknown))} are not among the label names {listed(label_names)}; "
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
            f"data.none_label {none_label!r} is not one of the labels {listed(label_names)}; "
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
            f"{path} (split {split}): labels {listed(unseen)} do not occur in the training data; "
            "fix the labels or add training rows for them"
        )
