"""All data checks of a set of splits in one report dict, and the one-line findings a person should read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from datasets import Dataset

from . import quality

BATCH = 10_000
PAIRS = (("train", "dev"), ("train", "test"), ("dev", "test"))


def _batches(dataset: Dataset, column: str) -> Iterator[list]:
    for batch in dataset.iter(batch_size=BATCH):
        yield batch[column]


def _texts(dataset: Dataset) -> Iterator[str]:
    for batch in _batches(dataset, "text"):
        yield from batch


def _index(name: str, dataset: Dataset, label_column: str | None) -> quality.SplitIndex:
    index = quality.SplitIndex(name, ordered_labels=label_column == "tags")
    has_labels = label_column is not None and label_column in dataset.column_names
    for batch in dataset.iter(batch_size=BATCH):
        labels = batch[label_column] if has_labels else [None] * len(batch["text"])
        for text, label in zip(batch["text"], labels, strict=True):
            index.add(text, label)
    return index


def check_splits(
    splits: dict[str, Dataset],
    label_column: str | None = "label",
    tokenizer: Any = None,
    max_length: int = 128,
    cheap: bool = False,
    label_names: list[str] | None = None,
) -> dict[str, Any]:
    """Check every split and every pair of splits.

    Args:
        splits: ``train`` / ``dev`` / ``test`` datasets with a ``text`` column and the label column.
        label_column: ``label`` (a name per row), ``labels`` (a set of names per row), ``tags`` (a tag per word
            or character, in order) or None.
        tokenizer: With a tokenizer, also token lengths against ``max_length`` and tokenizer coverage.
        max_length: ``data.max_length``.
        cheap: Only the hash-based checks (rows, empties, duplicates, leakage, conflicts): what ``train`` runs.
        label_names: Multi-label: every label of the task (to find those never positive in train).

    Returns:
        A JSON-ready dict: ``splits``, ``duplicates``, ``leakage``, ``conflicts`` (+ ``characters``, ``labels``,
        ``lengths``, ``tokenizer``, ``multi_label`` unless cheap), ``findings`` (one line each).
    """
    indexes = {name: _index(name, data, label_column) for name, data in splits.items()}
    report: dict[str, Any] = {
        "splits": {name: {"rows": index.rows, "empty": index.empty} for name, index in indexes.items()},
        "duplicates": {name: quality.duplicates(index) for name, index in indexes.items()},
        "leakage": {
            f"{source}->{target}": quality.leakage(indexes[source], indexes[target])
            for source, target in PAIRS
            if source in indexes and target in indexes
        },
        "conflicts": {name: quality.conflicts(index) for name, index in indexes.items()},
    }
    for source, target in PAIRS:
        if source in indexes and target in indexes:
            report["conflicts"][f"{source}/{target}"] = quality.conflicts(indexes[source], indexes[target])
    if not cheap:
        _full_checks(report, splits, label_column, tokenizer, max_length, label_names)
    _resolve_examples(report, splits)
    report["findings"] = findings(report)
    return report


def _full_checks(
    report: dict[str, Any],
    splits: dict[str, Dataset],
    label_column: str | None,
    tokenizer: Any,
    max_length: int,
    label_names: list[str] | None,
) -> None:
    report["characters"] = {name: quality.characters(_texts(data)) for name, data in splits.items()}
    if label_column is not None:
        labelled = {name: data for name, data in splits.items() if label_column in data.column_names}
        report["labels"] = {name: quality.label_distribution(data[label_column][:]) for name, data in labelled.items()}
        if label_column == "labels" and "train" in labelled:
            seen = {n for row in labelled["train"]["labels"][:] for n in row}
            names = list(label_names or sorted(seen))
            report["multi_label"] = {
                "labels": names,
                "co_occurrence": quality.co_occurrence(labelled["train"]["labels"][:], names),
                "never_positive": [name for name in names if name not in seen],
            }
    if tokenizer is not None:
        from .quality_tokens import token_lengths, tokenizer_coverage

        report["lengths"] = {name: token_lengths(tokenizer, d["text"][:], max_length) for name, d in splits.items()}
        if "train" in splits:
            report["tokenizer"] = tokenizer_coverage(tokenizer, splits["train"]["text"][:5000])


def _resolve_examples(report: dict[str, Any], splits: dict[str, Dataset]) -> None:
    """Replace example digests by their texts (a second pass over each split)."""
    for section in ("duplicates", "leakage", "conflicts"):
        for where, finding in report[section].items():
            split = where.split("->")[-1].split("/")[-1]
            keys = {example["key"] for example in finding["examples"]}
            texts = quality.texts_for(_texts(splits[split]), keys) if keys else {}
            for example in finding["examples"]:
                example["text"] = texts.get(example.pop("key"), "?")


def _count(number: int, noun: str, verb: str = "") -> str:
    """``1 row repeats`` / ``2 rows repeat``: the number with its noun (and verb) in the right number."""
    one = number == 1
    words = [f"{number:,}", noun if one else f"{noun}s"]
    if verb:
        words.append(f"{verb}s" if one else verb)
    return " ".join(words)


def findings(report: dict[str, Any]) -> list[str]:
    """The problems worth reading, one line each (nothing when the data is clean)."""
    lines = []
    for name, split in report["splits"].items():
        if split["empty"]:
            lines.append(f"{name}: {_count(split['empty'], 'empty or whitespace-only text')}")
    for name, found in report["duplicates"].items():
        if found["exact_rows"]:
            lines.append(
                f"{name}: {_count(found['exact_rows'], 'row', 'repeat')} an earlier text "
                f"({_count(found['exact_texts'], 'text', 'occur')} more than once; {found['normalised_rows']:,} after "
                "normalising case, spaces and Unicode)"
            )
    for pair, found in report["leakage"].items():
        source, target = pair.split("->")
        if found["rows"]:
            lines.append(
                f"{target}: {_count(found['rows'], 'row')} ({found['share']:.1%}; "
                f"{_count(found['texts'], 'distinct text')}) also in {source} — leakage; "
                "data.deduplicate=leakage drops them"
            )
    for where, found in report["conflicts"].items():
        if found["texts"]:
            lines.append(
                f"{where}: {_count(found['texts'], 'text', 'appear')} with different labels "
                f"({_count(found['rows'], 'row')})"
            )
    for name, found in report.get("lengths", {}).items():
        if found.get("truncated_rows"):
            lines.append(
                f"{name}: {_count(found['truncated_rows'], 'text')} ({found['truncated_share']:.1%}) longer than "
                f"data.max_length={found['max_length']} tokens, truncated (longest {found['max']})"
            )
    for name, found in report.get("characters", {}).items():
        for kind in ("control", "replacement_character", "mojibake", "mixed_script_word"):
            if found[kind]:
                lines.append(f"{name}: {_count(found[kind], 'text')} with {kind.replace('_', ' ')}s")
    coverage = report.get("tokenizer") or {}
    if coverage.get("unk_rate", 0) > 0.01:
        lines.append(f"tokenizer: {coverage['unk_rate']:.1%} of train tokens are [UNK]")
    for key, what in (("hangul_texts_rewritten", "Hangul syllables"), ("jamo_texts_rewritten", "compatibility jamo")):
        if coverage.get(key):
            share = coverage[key]
            lines.append(f"tokenizer: its normaliser rewrites the {what} of {share:.0%} of the texts that have them")
    never = report.get("multi_label", {}).get("never_positive")
    if never:
        lines.append(f"train: labels never positive: {never}")
    return lines
