"""Question answering data: read the files, carve test and dev by article, apply row limits, note skips."""

from __future__ import annotations

from datasets import Dataset

from ..config import DataConfig
from ..data.squad import QuestionFile, read_questions, split_by_article
from ..errors import ConfigError

_SHOWN_IDS = 10


def _skipped_notes(split: str, found: QuestionFile) -> list[str]:
    if not found.misplaced:
        return []
    ids = ", ".join(found.misplaced[:_SHOWN_IDS]) + (", ..." if len(found.misplaced) > _SHOWN_IDS else "")
    return [
        f"{split}: {len(found.misplaced)} questions had an answer not found at its answer_start (dropped; "
        f"{len(found.skipped)} questions left without an answer skipped): ids {ids}"
    ]


def read_splits(data: DataConfig, seed: int) -> tuple[dict[str, Dataset], list[str]]:
    """Train, dev and test questions, and notes.

    Test and dev come from their files, or are carved out of train by article (test first, ``data.test_fraction``;
    then dev, ``data.dev_fraction``), seeded: one article's paragraphs never land in two splits. The row limits
    (``data.max_*_rows``) then keep the first N questions of each split, so a carved test part stays whole
    unless limited itself.
    """
    if data.train_file is None:
        raise ConfigError("data.train_file is not set: use --preset korquad with --data-dir, or set data.train_file")
    notes: list[str] = []
    found = read_questions(data.resolve(data.train_file), unanswerable=data.unanswerable)
    notes += _skipped_notes("train", found)
    train = found.questions
    splits: dict[str, Dataset] = {}
    for split, fraction in (("test", data.test_fraction), ("dev", data.dev_fraction)):
        name = getattr(data, f"{split}_file")
        if name is not None:
            found = read_questions(data.resolve(name), unanswerable=data.unanswerable)
            notes += _skipped_notes(split, found)
            splits[split] = found.questions
        elif fraction is not None:
            train, splits[split] = split_by_article(train, fraction, seed)
            articles = len(set(splits[split]["article"][:]))
            notes.append(
                f"{split}: carved {articles} articles ({fraction:.0%} of them, seed {seed}) with their "
                f"{len(splits[split])} questions out of train"
            )
    splits["train"] = train
    limits = {"train": data.max_train_rows, "dev": data.max_dev_rows, "test": data.max_test_rows}
    for split, limit in limits.items():
        if split in splits and limit is not None and limit < len(splits[split]):
            splits[split] = splits[split].select(range(limit))
            notes.append(f"{split}: the first {limit} questions kept (data.max_{split}_rows)")
    if data.unanswerable:
        counts = {name: sum(1 for a in split["answers"][:] if not a["text"]) for name, split in splits.items()}
        notes.append("unanswerable questions: " + ", ".join(f"{count} in {name}" for name, count in counts.items()))
    return {name: splits[name] for name in ("train", "dev", "test") if name in splits}, notes


def text_view(questions: Dataset) -> Dataset:
    """Each question with its context as one ``text`` (for the data checks: duplicates and leakage)."""
    texts = [f"{q}\n{c}" for q, c in zip(questions["question"][:], questions["context"][:], strict=True)]
    return Dataset.from_dict({"text": texts})
