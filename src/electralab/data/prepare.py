"""From a DataConfig to train/dev/test ``datasets.Dataset`` splits with labels checked and empties handled.

Single-label splits have a ``label`` column (a name); multi-label splits a ``labels`` column (a list of names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from datasets import Dataset

from ..config import DataConfig
from ..errors import ConfigError, DataError
from .multilabel import check_multilabel_names_seen, multilabel_checks, read_multilabel_split
from .quality import digest, exact_key
from .readers import read_split
from .splits import carve_dev_split, check_labels_seen


@dataclass
class Splits:
    """Raw text splits (columns ``text`` [, ``text_pair``], ``label`` or ``labels``) and what was done to them."""

    train: Dataset
    dev: Dataset
    test: Dataset | None
    label_names: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    """Rows dropped by ``data.deduplicate``, per split (``train``, ``dev``, ``test``)."""


def _natural_key(label: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label))


class _SingleLabel:
    """Reads ``label`` columns; the label set is what train contains."""

    def __init__(self, data: DataConfig) -> None:
        self.data = data

    def read(self, path: Path, max_rows: int | None) -> Dataset:
        return read_split(
            self.data.format,
            path,
            text_column=self.data.text_column,
            text_pair_column=self.data.text_pair_column,
            label_column=self.data.label_column,
            max_rows=max_rows,
        )

    def check(self, train: Dataset, other: Dataset, split: str, path: Path) -> None:
        check_labels_seen(train["label"][:], other, split, str(path))

    def label_names(self, train: Dataset, path: Path) -> tuple[list[str], list[str]]:
        names = sorted(set(train["label"][:]), key=_natural_key)
        if len(names) < 2:
            raise DataError(
                f"{path}: the training data has only the label {names}; a classifier needs at least two "
                "(if the file is sorted by label, data.max_train_rows keeps only its first rows: "
                "set data.row_sample=random)"
            )
        return names, []


class _MultiLabel:
    """Reads multi-hot columns, a JSON list column or a delimited label string."""

    def __init__(self, data: DataConfig) -> None:
        self.data = data
        self.declared: dict[str, list[str]] = {}

    def read(self, path: Path, max_rows: int | None) -> Dataset:
        dataset, names = read_multilabel_split(
            path,
            text_column=self.data.text_column,
            label_columns=self.data.label_columns,
            label_column=self.data.label_column,
            label_delimiter=self.data.label_delimiter,
            max_rows=max_rows,
        )
        self.declared[str(path)] = names
        return dataset

    def check(self, train: Dataset, other: Dataset, split: str, path: Path) -> None:
        train_names = sorted({name for labels in train["labels"][:] for name in labels})
        if self.data.label_columns is None:
            other_names = sorted({name for labels in other["labels"][:] for name in labels})
            check_multilabel_names_seen(train_names, other_names, split, str(path))

    def label_names(self, train: Dataset, path: Path) -> tuple[list[str], list[str]]:
        names = self.declared[str(path)]
        if len(names) < 2:
            raise DataError(f"{path}: found the labels {names}; multi-label classification needs at least two")
        return names, multilabel_checks(train["labels"][:], names, self.data.none_label)


def _handle_empty(dataset: Dataset, split: str, data: DataConfig, notes: list[str]) -> Dataset:
    empty = [i for i, text in enumerate(dataset["text"][:]) if not text.strip()]
    if not empty:
        return dataset
    if data.empty_texts == "skip":
        notes.append(f"{split}: skipped {len(empty)} empty text(s) (data.empty_texts=keep keeps them)")
        drop = set(empty)
        return dataset.select([i for i in range(len(dataset)) if i not in drop])
    notes.append(f"{split}: kept {len(empty)} empty text(s) (data.empty_texts=skip drops them)")
    return dataset


def _read_rows(reader: _SingleLabel | _MultiLabel, path: Path, max_rows: int | None, how: str, seed: int) -> Dataset:
    """Read ``path``: all rows, the first ``max_rows``, or ``max_rows`` seeded random rows kept in file order."""
    if how == "first" or max_rows is None:
        return reader.read(path, max_rows)
    dataset = reader.read(path, None)
    if len(dataset) <= max_rows:
        return dataset
    picked = np.random.default_rng(seed).choice(len(dataset), size=max_rows, replace=False)
    return dataset.select(np.sort(picked))


def _keys(dataset: Dataset) -> list[bytes | None]:
    return [digest(key) if (key := exact_key(text)) else None for text in dataset["text"][:]]


def _drop_rows(dataset: Dataset, drop: list[int]) -> Dataset:
    if not drop:
        return dataset
    gone = set(drop)
    return dataset.select([i for i in range(len(dataset)) if i not in gone])


def deduplicate(splits: dict[str, Dataset], mode: str) -> tuple[dict[str, Dataset], dict[str, int]]:
    """Apply ``data.deduplicate`` to the splits; returns them and the rows dropped per split.

    ``train`` drops repeated texts in train (the first copy stays); ``leakage`` drops dev rows whose text occurs
    in train and test rows whose text occurs in train or dev; ``both`` does both; ``none`` nothing.

    Texts are compared with surrounding whitespace stripped; empty texts are left alone.
    """
    dropped: dict[str, int] = {}
    if mode in ("train", "both"):
        seen: set[bytes] = set()
        drop = []
        for i, key in enumerate(_keys(splits["train"])):
            if key is not None and key in seen:
                drop.append(i)
            seen.add(key)
        splits["train"], dropped["train"] = _drop_rows(splits["train"], drop), len(drop)
    if mode in ("leakage", "both"):
        seen_keys = {key for key in _keys(splits["train"]) if key is not None}
        for name in ("dev", "test"):  # dev against train; test against train and dev (used to pick the model)
            if splits.get(name) is not None:
                keys = _keys(splits[name])
                drop = [i for i, key in enumerate(keys) if key in seen_keys]
                splits[name], dropped[name] = _drop_rows(splits[name], drop), len(drop)
                seen_keys.update(key for key in keys if key is not None)
    return splits, dropped


def read_raw_splits(data: DataConfig, seed: int, multi_label: bool = False) -> dict[str, Dataset]:
    """The configured files as they are (row limits applied, nothing dropped or carved), for ``electralab check``."""
    if data.train_file is None:
        raise ConfigError("data.train_file is not set: use a --preset with --data-dir, or set data.train_file")
    reader = _MultiLabel(data) if multi_label else _SingleLabel(data)
    limits = {"train": data.max_train_rows, "dev": data.max_dev_rows, "test": data.max_test_rows}
    files = {"train": data.train_file, "dev": data.dev_file, "test": data.test_file}
    return {
        name: _read_rows(reader, data.resolve(file), limits[name], data.row_sample, seed)
        for name, file in files.items()
        if file is not None
    }


def load_splits(data: DataConfig, seed: int, multi_label: bool = False) -> Splits:
    """Read the configured files; carve seeded splits from train (stratified when single-label) where files are absent.

    Without a test file, ``data.test_fraction`` carves a test split first; without a dev file, ``data.dev_fraction``
    carves dev from the rest.
    """
    if data.train_file is None:
        raise ConfigError("data.train_file is not set: use a --preset with --data-dir, or set data.train_file")
    reader = _MultiLabel(data) if multi_label else _SingleLabel(data)
    notes: list[str] = []
    train_path = data.resolve(data.train_file)
    train = _handle_empty(
        _read_rows(reader, train_path, data.max_train_rows, data.row_sample, seed), "train", data, notes
    )
    dropped: dict[str, int] = {}
    if data.deduplicate in ("train", "both"):  # before the dev carve, so that dev cannot repeat train
        parts, dropped = deduplicate({"train": train}, "train")
        train = parts["train"]
    stratified = "" if multi_label else ", stratified"
    test, test_path = None, None
    if data.test_file is None and data.test_fraction is not None:  # before the dev carve, as token classification
        train, test = carve_dev_split(train, data.test_fraction, seed, split="test")
        if data.max_test_rows is not None:
            test = test.select(range(min(len(test), data.max_test_rows)))
        test_path = train_path
        notes.append(f"test: carved {len(test)} rows ({data.test_fraction:.0%}{stratified}, seed {seed}) out of train")
    if data.dev_file is not None:
        dev_path = data.resolve(data.dev_file)
        dev = _handle_empty(_read_rows(reader, dev_path, data.max_dev_rows, data.row_sample, seed), "dev", data, notes)
    else:
        train, dev = carve_dev_split(train, data.dev_fraction, seed)
        if data.max_dev_rows is not None:
            dev = dev.select(range(min(len(dev), data.max_dev_rows)))
        dev_path = train_path
        notes.append(f"dev: carved {len(dev)} rows ({data.dev_fraction:.0%}{stratified}, seed {seed}) out of train")
    if data.test_file is not None:
        test_path = data.resolve(data.test_file)
        test = _handle_empty(
            _read_rows(reader, test_path, data.max_test_rows, data.row_sample, seed), "test", data, notes
        )
    if data.deduplicate in ("leakage", "both"):
        parts, leaked = deduplicate({"train": train, "dev": dev, "test": test}, "leakage")
        dev, test = parts["dev"], parts["test"]
        dropped.update(leaked)
    if data.deduplicate != "none":
        counts = ", ".join(f"{count} {split}" for split, count in dropped.items())
        notes.append(f"data.deduplicate={data.deduplicate}: dropped {counts} rows")
    if test is not None:
        reader.check(train, test, "test", test_path)
    reader.check(train, dev, "dev", dev_path)
    label_names, warnings = reader.label_names(train, train_path)
    return Splits(
        train=train, dev=dev, test=test, label_names=label_names, notes=notes, warnings=warnings, dropped=dropped
    )
