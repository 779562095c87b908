"""Carving a dev split out of train, and checking that evaluation labels were seen in training."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from datasets import Dataset
from sklearn.model_selection import train_test_split

from ..errors import DataError

_MAX_LISTED = 10


def _materialize(values: Iterable[str]) -> Iterable[str]:
    """Turn a ``datasets`` column into a list in one Arrow call (iterating it row by row is slow)."""
    if isinstance(values, (list, tuple, set, frozenset)):
        return values
    try:
        return values[:]  # type: ignore[index]
    except TypeError:
        return list(values)


def carve_dev_split(train: Dataset, fraction: float, seed: int, split: str = "dev") -> tuple[Dataset, Dataset]:
    """Split a dev (or test) set off the training data, stratified by ``label``, seeded and deterministic.

    Stratification falls back to a plain random split when some label has fewer than two rows (or the
    dev/train side is too small to hold every label); a dataset without a ``label`` column is split
    without stratification. Both parts keep the original relative row order.

    Args:
        train: The training dataset (with a ``label`` column for stratification).
        fraction: Share of rows that go to dev, strictly between 0 and 1.
        seed: Random seed; the same seed and data give the same split.
        split: The carved part's name in messages (``dev`` or ``test``).

    Returns:
        ``(train_rest, dev)``: disjoint datasets that together hold every row of ``train``.

    Raises:
        ValueError: If ``fraction`` is not strictly between 0 and 1.
        DataError: If ``train`` is too small to leave at least one row on each side.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the {split} fraction must be strictly between 0 and 1, got {fraction}")
    n_rows = len(train)
    n_dev = int(np.ceil(fraction * n_rows))
    if n_rows < 2 or n_dev >= n_rows:
        raise DataError(
            f"the training data has {n_rows} row(s), too few to carve a {fraction:.0%} {split} split; "
            f"add training rows or give a {split} file (data.{split}_file)"
        )
    indices = np.arange(n_rows)
    stratify = None
    if "label" in train.column_names:
        labels = np.asarray(_materialize(train["label"]), dtype=object)
        counts = Counter(labels.tolist())
        n_labels = len(counts)
        if min(counts.values()) >= 2 and n_labels <= n_dev and n_labels <= n_rows - n_dev:
            stratify = labels
    try:
        rest, dev = train_test_split(indices, test_size=n_dev, random_state=seed, stratify=stratify)
    except ValueError:
        if stratify is None:
            raise
        rest, dev = train_test_split(indices, test_size=n_dev, random_state=seed)
    return train.select(np.sort(rest).tolist()), train.select(np.sort(dev).tolist())


def check_labels_seen(train_labels: Iterable[str], other: Dataset, split_name: str, path: str) -> None:
    """Check that every label of an evaluation split occurs in the training data.

    Args:
        train_labels: The training labels (any iterable; duplicates are fine).
        other: The evaluation split; a split without a ``label`` column is not checked.
        split_name: The split's name for the message (``dev``, ``test``).
        path: The split's file, for the message.

    Raises:
        DataError: If ``other`` holds labels that do not occur in ``train_labels``.
    """
    if "label" not in other.column_names:
        return
    seen = set(_materialize(train_labels))
    unseen = sorted(set(_materialize(other["label"])) - seen)
    if not unseen:
        return
    shown = repr(unseen[:_MAX_LISTED])
    if len(unseen) > _MAX_LISTED:
        shown = f"{shown[:-1]}, ... ({len(unseen) - _MAX_LISTED} more)]"
    raise DataError(
        f"{path} (split {split_name}): labels {shown} do not occur in the training data; "
        "fix the labels or add training rows for them"
    )
