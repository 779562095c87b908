r"""Readers for tagged data (NER): every sentence becomes ``text`` plus tagged units with character offsets.

A *unit* is what the file tags: a word (CoNLL, JSONL ``{tokens, tags}``) or a character (KLUE-NER, JSONL
``{text, entities}``). Each row of the returned ``datasets.Dataset`` has ``text`` (the sentence; words joined
by one space), ``starts`` / ``ends`` (each unit's character span in ``text``) and ``tags`` (one per unit).
Space characters of character-tagged files are not units (they are always ``O``).

Formats (``data.format``):

* ``conll``: CoNLL column files: token first, tag last; ``-DOCSTART-`` lines skipped; blank lines end sentences.
* ``klue_ner``: KLUE-NER TSV: ``## <guid>\\t<marked-up sentence>`` then one ``<char>\\t<tag>`` line per character.
* ``tagged_jsonl``: JSON lines, either ``{"tokens": [...], "tags": [...]}`` or
  ``{"text": "...", "entities": [{"start": 0, "end": 5, "label": "PS"}]}`` (end exclusive).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from datasets import Dataset, Features, Sequence, Value

from ..errors import DataError
from .io import iter_lines

Sentence = tuple[str, list[int], list[int], list[str]]
"""(text, starts, ends, tags) of one sentence."""
FEATURES = Features(
    {
        "text": Value("string"),
        "starts": Sequence(Value("int32")),
        "ends": Sequence(Value("int32")),
        "tags": Sequence(Value("string")),
    }
)


def from_words(words: list[str], tags: list[str]) -> Sentence:
    """A sentence from tagged words: joined by one space, each word's span recorded."""
    starts, ends, position = [], [], 0
    for word in words:
        starts.append(position)
        ends.append(position + len(word))
        position += len(word) + 1
    return " ".join(words), starts, ends, list(tags)


def from_chars(chars: list[str], tags: list[str]) -> Sentence:
    """A sentence from tagged characters: spaces are not units (they are O by definition)."""
    kept = [(i, tag) for i, (char, tag) in enumerate(zip(chars, tags, strict=True)) if not char.isspace()]
    return "".join(chars), [i for i, _ in kept], [i + 1 for i, _ in kept], [tag for _, tag in kept]


def from_entities(text: str, entities: list[dict[str, Any]], where: str) -> Sentence:
    """A character-tagged sentence (BIO) from entity spans."""
    tags = ["O"] * len(text)
    for entity in entities:
        try:
            start, end, label = int(entity["start"]), int(entity["end"]), str(entity["label"])
        except (KeyError, TypeError, ValueError):
            raise DataError(
                f'{where}: entity {entity!r}: expected {{"start": int, "end": int, "label": str}}; fix that row'
            ) from None
        if not 0 <= start < end <= len(text):
            raise DataError(f"{where}: entity {entity!r} is outside the text ({len(text)} characters); fix that row")
        if any(tag != "O" for tag in tags[start:end]):
            raise DataError(f"{where}: entity {entity!r} overlaps another entity; nested entities are not supported")
        tags[start:end] = [f"B-{label}"] + [f"I-{label}"] * (end - start - 1)
    return from_chars(list(text), tags)


def _conll(path: Path) -> Iterator[Sentence]:
    words: list[str] = []
    tags: list[str] = []
    for lineno, line in iter_lines(path):
        fields = line.split()
        if not fields:
            if words:
                yield from_words(words, tags)
            words, tags = [], []
            continue
        if fields[0] == "-DOCSTART-":
            continue
        if len(fields) < 2:
            raise DataError(
                f"{path}: line {lineno}: expected a token and its tag separated by whitespace, found "
                f"{len(fields)} field; fix that line"
            )
        words.append(fields[0])
        tags.append(fields[-1])
    if words:
        yield from_words(words, tags)


def _klue(path: Path) -> Iterator[Sentence]:
    chars: list[str] = []
    tags: list[str] = []
    started = False
    for lineno, line in iter_lines(path):
        line = line.rstrip("\r\n")
        if line.startswith("## "):
            if chars:
                yield from_chars(chars, tags)
            chars, tags, started = [], [], "\t" in line
            continue
        if not line:
            if chars:
                yield from_chars(chars, tags)
            chars, tags = [], []
            continue
        if not started:
            continue
        char, sep, tag = line.rpartition("\t")
        if not sep or len(char) != 1:
            raise DataError(
                f"{path}: line {lineno}: expected one character, a tab and its tag (KLUE-NER), found {line!r}; "
                "fix that line"
            )
        chars.append(char)
        tags.append(tag.strip())
    if chars:
        yield from_chars(chars, tags)


def _jsonl(path: Path) -> Iterator[Sentence]:
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        where = f"{path}: line {lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{where}: not valid JSON ({err.msg}); each line must hold one JSON object") from None
        if isinstance(record, dict) and "tokens" in record and "tags" in record:
            words, tags = record["tokens"], record["tags"]
            if not isinstance(words, list) or not isinstance(tags, list) or len(words) != len(tags):
                raise DataError(
                    f"{where}: {len(words) if isinstance(words, list) else '?'} tokens but "
                    f"{len(tags) if isinstance(tags, list) else '?'} tags; give one tag per token"
                )
            if not words:
                raise DataError(f"{where}: a sentence with no tokens; remove that line")
            yield from_words([str(w) for w in words], [str(t) for t in tags])
        elif isinstance(record, dict) and isinstance(record.get("text"), str):
            if not record["text"].strip():
                raise DataError(f"{where}: an empty text; remove that line")
            yield from_entities(record["text"], record.get("entities") or [], where)
        else:
            raise DataError(
                f'{where}: expected {{"tokens": [...], "tags": [...]}} or {{"text": ..., "entities": [...]}}'
            )


TAGGED_READERS: dict[str, Callable[[Path], Iterator[Sentence]]] = {
    "conll": _conll,
    "klue_ner": _klue,
    "tagged_jsonl": _jsonl,
}


def read_tagged(fmt: str, path: str | Path, max_rows: int | None = None) -> Dataset:
    """Read a tagged file into sentences (``text``, ``starts``, ``ends``, ``tags``).

    Raises:
        DataError: On an unknown format, a missing or empty file, a malformed line (named), or no sentences.
    """
    reader = TAGGED_READERS.get(fmt)
    if reader is None:
        raise DataError(f"unknown tagged-data format {fmt!r}; known: {', '.join(sorted(TAGGED_READERS))}")
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: data file not found; pass --data-dir with the folder that holds it")
    rows: dict[str, list] = {"text": [], "starts": [], "ends": [], "tags": []}
    for sentence in reader(path):
        for key, value in zip(rows, sentence, strict=True):
            rows[key].append(value)
        if max_rows is not None and len(rows["text"]) >= max_rows:
            break
    if not rows["text"]:
        raise DataError(f"{path}: no tagged sentences found; expected {fmt} data")
    return Dataset.from_dict(rows, features=FEATURES)
