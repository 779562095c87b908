"""Token classification data: read, carve test/dev by sentence, check and repair tags, tokenise with labels."""

from __future__ import annotations

from collections import Counter
from typing import Any

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from ..config import DataConfig
from ..data.prepare import deduplicate
from ..data.tag_align import token_labels
from ..data.tag_scheme import check_tag, repair, split_tag
from ..data.tagging import read_tagged
from ..errors import ConfigError, DataError

CHARACTER_FORMATS = ("klue_ner",)
"""Formats whose units are characters (else words); ``tagged_jsonl`` with ``text``/``entities`` is by character too."""
_PREFIX_ORDER = {"B": 0, "I": 1, "E": 2, "S": 3}


def unit_kind(data: DataConfig, train: Dataset) -> str:
    """``char`` when the data tags characters (KLUE-NER, entity spans), else ``word``."""
    if data.format in CHARACTER_FORMATS:
        return "char"
    first = train[0]
    return "char" if all(end - start == 1 for start, end in zip(first["starts"], first["ends"], strict=True)) and (
        " " in first["text"]
    ) and data.format == "tagged_jsonl" else "word"  # fmt: skip


def carve(dataset: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Split sentences at random (seeded): (the rest, the carved ``fraction``)."""
    parts = dataset.train_test_split(test_size=fraction, seed=seed, shuffle=True)
    return parts["train"], parts["test"]


def read_splits(data: DataConfig, seed: int) -> tuple[dict[str, Dataset], list[str]]:
    """Train, dev and test sentences: from files, or carved from train (test first, then dev), and notes."""
    if data.train_file is None:
        raise ConfigError("data.train_file is not set: use a --preset with --data-dir, or set data.train_file")
    notes = []
    train = read_tagged(data.format, data.resolve(data.train_file), data.max_train_rows)
    dropped: dict[str, int] = {}
    if data.deduplicate in ("train", "both"):  # before any carve, so that dev and test cannot repeat train
        parts, dropped = deduplicate({"train": train}, "train")
        train = parts["train"]
    splits: dict[str, Dataset] = {}
    if data.test_file is not None:
        splits["test"] = read_tagged(data.format, data.resolve(data.test_file), data.max_test_rows)
    elif data.test_fraction is not None:
        train, splits["test"] = carve(train, data.test_fraction, seed)
        carved = len(splits["test"])
        notes.append(f"test: carved {carved} sentences ({data.test_fraction:.0%}, seed {seed}) out of train")
    if data.dev_file is not None:
        splits["dev"] = read_tagged(data.format, data.resolve(data.dev_file), data.max_dev_rows)
    else:
        train, splits["dev"] = carve(train, data.dev_fraction, seed)
        notes.append(f"dev: carved {len(splits['dev'])} sentences ({data.dev_fraction:.0%}, seed {seed}) out of train")
    splits["train"] = train
    if data.deduplicate in ("leakage", "both"):
        parts, leaked = deduplicate({"train": train, "dev": splits["dev"], "test": splits.get("test")}, "leakage")
        splits.update({name: parts[name] for name in ("dev", "test") if parts.get(name) is not None})
        dropped.update(leaked)
    for name, split in splits.items():
        if len(split) == 0:
            raise DataError(
                f"{name}: no sentences left after data.deduplicate={data.deduplicate} (all {dropped[name]} repeat "
                "train); use data.deduplicate=train or give that split other sentences"
            )
    if data.deduplicate != "none":
        counts = ", ".join(f"{count} {split}" for split, count in dropped.items())
        notes.append(f"data.deduplicate={data.deduplicate}: dropped {counts} sentences")
    return {name: splits[name] for name in ("train", "dev", "test") if name in splits}, notes


def check_tags(dataset: Dataset, data: DataConfig, split: str) -> tuple[Dataset, int]:
    """Refuse tags outside the scheme; repair (or refuse) I- tags that continue no entity. Returns the count."""
    path = data.resolve(getattr(data, f"{split}_file") or data.train_file)
    fixed_rows, repaired = [], 0
    for i, tags in enumerate(dataset["tags"][:]):
        for tag in set(tags):
            check_tag(tag, data.tag_scheme, f"{path} (sentence {i + 1})")
        fixed, count = repair(tags)
        if count and data.invalid_tags == "refuse":
            raise DataError(
                f"{path} (sentence {i + 1}): {count} I- tag(s) continue no entity (e.g. after O); fix the file or set "
                "data.invalid_tags=repair to turn them into B- tags"
            )
        fixed_rows.append(fixed)
        repaired += count
    return (dataset.remove_columns("tags").add_column("tags", fixed_rows) if repaired else dataset), repaired


def label_names(train: Dataset) -> list[str]:
    """``O``, then every type's tags (B-, I- and, if present, E-, S-), types in name order."""
    seen = {tag for tags in train["tags"][:] for tag in tags}
    kinds = sorted({kind for tag in seen if (kind := split_tag(tag)[1])})
    prefixes = sorted({split_tag(tag)[0] for tag in seen if tag != "O"} | {"B", "I"}, key=_PREFIX_ORDER.get)
    return ["O", *(f"{prefix}-{kind}" for kind in kinds for prefix in prefixes)]


def check_known(dataset: Dataset, names: list[str], split: str, data: DataConfig) -> None:
    """Refuse a dev/test tag the training data never had (the model could never predict it)."""
    unknown = Counter(tag for tags in dataset["tags"][:] for tag in tags if tag not in names)
    if unknown:
        raise DataError(
            f"{split} data ({data.resolve(getattr(data, f'{split}_file') or data.train_file)}): tags "
            f"{sorted(unknown)} do not occur in the training data; fix the labels or add training sentences"
        )


def encode(dataset: Dataset, tokenizer: PreTrainedTokenizerBase, data: DataConfig, label2id: dict[str, int]) -> Any:
    """Tokenise sentences (truncated to ``data.max_length``) with one label per token (-100: not scored)."""
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"token classification needs a fast tokenizer (offsets); {type(tokenizer).__name__} is not")

    def batch_encode(batch: dict[str, list]) -> dict[str, list]:
        encoded = tokenizer(batch["text"], truncation=True, max_length=data.max_length, return_offsets_mapping=True)
        encoded["labels"] = [
            token_labels(offsets, starts, ends, tags, label2id, data.label_all_subtokens)
            for offsets, starts, ends, tags in zip(
                encoded.pop("offset_mapping"), batch["starts"], batch["ends"], batch["tags"], strict=True
            )
        ]
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    return dataset.map(batch_encode, batched=True, remove_columns=dataset.column_names, desc="tokenising")
