"""From a DataConfig to train/dev/test ``datasets.Dataset`` splits with labels checked and empties handled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from datasets import Dataset

from ..config import DataConfig
from ..errors import ConfigError, DataError
from .readers import read_split
from .splits import carve_dev_split, check_labels_seen


@dataclass
class Splits:
    """Raw text splits (columns ``text`` [, ``text_pair``], ``label``) and what was done to them."""

    train: Dataset
    dev: Dataset
    test: Dataset | None
    label_names: list[str]
    notes: list[str] = field(default_factory=list)


def _natural_key(label: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label))


def _read(data: DataConfig, split: str, path: Path, max_rows: int | None) -> Dataset:
    return read_split(
        data.format,
        path,
        text_column=data.text_column,
        text_pair_column=data.text_pair_column,
        label_column=data.label_column,
        max_rows=max_rows,
    )


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


def load_splits(data: DataConfig, seed: int) -> Splits:
    """Read the configured files; carve a stratified, seeded dev split from train when there is no dev file."""
    if data.train_file is None:
        raise ConfigError("data.train_file is not set: use a --preset with --data-dir, or set data.train_file")
    notes: list[str] = []
    train_path = data.resolve(data.train_file)
    train = _handle_empty(_read(data, "train", train_path, data.max_train_rows), "train", data, notes)
    if data.dev_file is not None:
        dev_path = data.resolve(data.dev_file)
        dev = _handle_empty(_read(data, "dev", dev_path, data.max_dev_rows), "dev", data, notes)
    else:
        train, dev = carve_dev_split(train, data.dev_fraction, seed)
        if data.max_dev_rows is not None:
            dev = dev.select(range(min(len(dev), data.max_dev_rows)))
        dev_path = train_path
        notes.append(f"dev: carved {len(dev)} rows ({data.dev_fraction:.0%}, stratified, seed {seed}) out of train")
    test = None
    if data.test_file is not None:
        test_path = data.resolve(data.test_file)
        test = _handle_empty(_read(data, "test", test_path, data.max_test_rows), "test", data, notes)
        check_labels_seen(train["label"][:], test, "test", str(test_path))
    check_labels_seen(train["label"][:], dev, "dev", str(dev_path))
    label_names = sorted(set(train["label"][:]), key=_natural_key)
    if len(label_names) < 2:
        raise DataError(
            f"{train_path}: the training data has only the label {label_names}; a classifier needs at least two "
            "(if the file is sorted by label, data.max_train_rows keeps only its first rows)"
        )
    return Splits(train=train, dev=dev, test=test, label_names=label_names, notes=notes)
