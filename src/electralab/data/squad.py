"""Readers for extractive question answering: SQuAD v1.1 JSON (KorQuAD 1.0 uses it) and JSON lines.

Every row of the returned ``datasets.Dataset`` is one question: ``id``, ``article`` (the SQuAD article's
index in the file, or the context itself for JSON lines: what a split by article keeps together),
``question``, ``context`` and ``answers`` (``{"text": [...], "answer_start": [...]}``, character offsets).

Formats (``data.format``, chosen by the file's suffix):

* ``squad``: ``.json`` with ``{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question",
  "answers": [{"text", "answer_start"}]}]}]}]}``; ``.jsonl`` with one ``{"question", "context", "answers":
  {"text": [...], "answer_start": [...]}}`` per line (``id`` optional: the line number otherwise).

An answer whose text is not found at its ``answer_start`` is dropped (counted, its question id named in the
notes); a question left with no answer is skipped. An empty question or context is refused with its id.
SQuAD v2-style unanswerable questions (``is_impossible`` or no answers) are read with no answers when asked
for (``unanswerable=True``), else refused.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset, Features, Sequence, Value

from ..errors import DataError
from .io import iter_lines

FEATURES = Features(
    {
        "id": Value("string"),
        "article": Value("string"),
        "question": Value("string"),
        "context": Value("string"),
        "answers": {"text": Sequence(Value("string")), "answer_start": Sequence(Value("int32"))},
    }
)


@dataclass
class QuestionFile:
    """The questions read from a file and the ids of those skipped because no answer was at its offset."""

    questions: Dataset
    misplaced: list[str] = field(default_factory=list)
    """Ids of questions with an answer not found at its ``answer_start`` (the answer dropped)."""
    skipped: list[str] = field(default_factory=list)
    """Ids of questions skipped because none of their answers was found at its ``answer_start``."""


def _squad_rows(path: Path) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(where, question record, article key) of every question of a SQuAD JSON file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err}); expected a SQuAD v1.1 file") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise DataError(f"{path}: no top-level 'data' list; expected a SQuAD v1.1 file ({{'data': [articles]}})")
    for a, article in enumerate(document["data"]):
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            context = paragraph.get("context")
            for q, qa in enumerate(paragraph.get("qas", [])):
                where = f"article {a + 1}, paragraph {p + 1}, question {q + 1}"
                answers = qa.get("answers") or []
                yield where, {
                    "id": qa.get("id"), "question": qa.get("question"), "context": context,
                    "answers": {"text": [x.get("text") for x in answers],
                                "answer_start": [x.get("answer_start") for x in answers]},
                    "is_impossible": qa.get("is_impossible", False),
                }, str(a)  # fmt: skip


def _jsonl_rows(path: Path, labelled: bool) -> Iterator[tuple[str, dict[str, Any], str]]:
    for number, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}, line {number}: not valid JSON ({err})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}, line {number}: expected an object with question and context")
        answers = row.get("answers")
        if labelled and not isinstance(answers, dict):
            raise DataError(
                f"{path}, line {number}: no 'answers' object; expected "
                '{"question", "context", "answers": {"text": [...], "answer_start": [...]}}'
            )
        row = {**row, "id": str(row.get("id", number)), "answers": answers or {"text": [], "answer_start": []}}
        yield f"line {number}", row, str(row.get("context"))


def read_questions(
    path: str | Path, max_rows: int | None = None, labelled: bool = True, unanswerable: bool = False
) -> QuestionFile:
    """Read a SQuAD ``.json`` or a ``.jsonl`` file of questions (see the module docstring).

    Args:
        path: The file.
        max_rows: Keep only the first N questions.
        labelled: Answers are required (False: prediction input, ``{question, context}`` only).
        unanswerable: Keep SQuAD v2-style unanswerable questions (with no answers) instead of refusing them.

    Raises:
        DataError: On a missing or malformed file, an empty question or context, or an unanswerable question.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"question file {path} does not exist; pass the folder holding it with --data-dir (data.data_dir) "
            "or give the file's full path"
        )
    if path.suffix.lower() not in (".json", ".jsonl"):
        raise DataError(f"{path}: expected a SQuAD .json file or a .jsonl file of questions")
    rows = _squad_rows(path) if path.suffix.lower() == ".json" else _jsonl_rows(path, labelled)
    kept: dict[str, list] = {name: [] for name in FEATURES}
    misplaced, skipped, seen = [], [], 0
    for where, row, article in rows:
        if max_rows is not None and seen >= max_rows:
            break
        seen += 1
        name = f"{path} ({where}, id {row.get('id')})"
        for key in ("question", "context"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise DataError(f"{name}: empty or missing {key}; every question needs a question and a context")
        answers = row["answers"]
        impossible = labelled and (bool(row.get("is_impossible")) or not answers.get("text"))
        if impossible and not unanswerable:
            raise DataError(
                f"{name}: an unanswerable question (SQuAD v2 style); set data.unanswerable=true to train with "
                "them (a null answer, its threshold tuned on dev) or remove them from the file"
            )
        if impossible:
            answers = {"text": [], "answer_start": []}
        texts, starts = _answers_in_place(row["context"], answers, name)
        if len(texts) < len(answers.get("text") or []):
            misplaced.append(str(row["id"]))
            if not texts:
                skipped.append(str(row["id"]))
                continue
        kept["id"].append(str(row["id"]))
        kept["article"].append(article)
        kept["question"].append(row["question"])
        kept["context"].append(row["context"])
        kept["answers"].append({"text": texts, "answer_start": starts})
    if not kept["id"]:
        raise DataError(f"{path}: no questions with an answer found at its answer_start")
    return QuestionFile(Dataset.from_dict(kept, features=FEATURES), misplaced, skipped)


def _answers_in_place(context: str, answers: dict[str, Any], name: str) -> tuple[list[str], list[int]]:
    """The answers whose text is found at their ``answer_start`` in ``context``."""
    texts, starts = answers.get("text") or [], answers.get("answer_start") or []
    if len(texts) != len(starts):
        raise DataError(f"{name}: {len(texts)} answer texts but {len(starts)} answer_start offsets")
    found = [
        (text, start)
        for text, start in zip(texts, starts, strict=True)
        if isinstance(text, str) and text and isinstance(start, int) and context[start : start + len(text)] == text
    ]
    return [text for text, _ in found], [start for _, start in found]


def split_by_article(questions: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Carve ``fraction`` of the articles (seeded) with all their questions: (the rest, the carved part).

    An article's paragraphs never land in both parts. At least one article goes to each part.
    """
    articles = sorted(set(questions["article"][:]), key=_article_order)
    if len(articles) < 2:
        raise DataError(
            f"only {len(articles)} article(s): a split by article needs two or more; give a dev/test file instead"
        )
    shuffled = list(articles)
    random.Random(seed).shuffle(shuffled)
    count = min(max(1, round(fraction * len(articles))), len(articles) - 1)
    carved = set(shuffled[:count])
    inside = [i for i, article in enumerate(questions["article"][:]) if article in carved]
    chosen = set(inside)
    rest = [i for i in range(len(questions)) if i not in chosen]
    return questions.select(rest), questions.select(inside)


def _article_order(article: str) -> tuple[int, str]:
    return (int(article), "") if article.isdigit() else (0, article)
