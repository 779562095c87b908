"""Data quality checks on text splits: empties, duplicates, leakage between splits, conflicting labels, characters.

Texts are compared by 8-byte BLAKE2 digests, so only hashes are held in memory (examples are fetched by a
second pass over the texts, :func:`texts_for`):
``exact`` compares texts with surrounding whitespace stripped; ``normalised`` also applies Unicode NFC,
collapses inner whitespace and case-folds (Hangul has no case and is left as it is). Empty texts are
counted on their own and never as duplicates.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

EXAMPLES = 5
"""Examples kept per finding."""
_SPACES = re.compile(r"\s+")
_MOJIBAKE = re.compile(r"[ÃÂìëíêã][\u0080-\u00bf]|\u00ec\u2022|\u00eb\u2039")
_SCRIPTS = (
    ("hangul", re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("han", re.compile(r"[\u4e00-\u9fff]")),
    ("kana", re.compile(r"[\u3040-\u30ff]")),
)
_HOMOGLYPH_SCRIPTS = {"latin", "cyrillic", "greek"}


def exact_key(text: str) -> str:
    """The text as compared for exact duplicates: surrounding whitespace stripped."""
    return text.strip()


def normalised_key(text: str) -> str:
    """The text as compared for near duplicates: NFC, inner whitespace collapsed, case-folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def digest(text: str) -> bytes:
    """An 8-byte BLAKE2 digest (collisions are negligible at millions of rows)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def label_key(label: Any, ordered: bool = False) -> str:
    """A label as one comparable string: a name, a set of names (multi-label) or, ``ordered``, a tag sequence."""
    if isinstance(label, (list, tuple)):
        return " ".join(label) if ordered else "|".join(sorted(label))
    return str(label)


@dataclass
class SplitIndex:
    """Hashes of one split's texts: row counts per text, the labels seen with it, a few example texts."""

    name: str
    rows: int = 0
    empty: int = 0
    exact: Counter = field(default_factory=Counter)
    normalised: Counter = field(default_factory=Counter)
    labels: dict[bytes, Counter] = field(default_factory=lambda: defaultdict(Counter))
    ordered_labels: bool = False
    """Labels are tag sequences (order matters), not multi-label sets."""

    def add(self, text: str, label: Any) -> None:
        """Count one row."""
        self.rows += 1
        stripped = exact_key(text)
        if not stripped:
            self.empty += 1
            return
        key = digest(stripped)
        self.exact[key] += 1
        self.normalised[digest(normalised_key(text))] += 1
        if label is not None:
            self.labels[key][label_key(label, self.ordered_labels)] += 1


def duplicates(index: SplitIndex) -> dict[str, Any]:
    """Repeated texts inside a split: extra copies (rows beyond the first) and distinct texts repeated."""
    repeated = [(key, count) for key, count in index.exact.items() if count > 1]
    repeated.sort(key=lambda item: -item[1])
    near = sum(count - 1 for count in index.normalised.values() if count > 1)
    return {
        "exact_rows": sum(count - 1 for _, count in repeated),
        "exact_texts": len(repeated),
        "normalised_rows": near,
        "examples": [{"key": key, "copies": count} for key, count in repeated[:EXAMPLES]],
    }


def leakage(source: SplitIndex, target: SplitIndex) -> dict[str, Any]:
    """Rows of ``target`` whose text also occurs in ``source`` (e.g. test rows seen in train)."""
    leaked = [(key, count) for key, count in target.exact.items() if key in source.exact]
    near = sum(count for key, count in target.normalised.items() if key in source.normalised)
    leaked.sort(key=lambda item: -item[1])
    return {
        "rows": sum(count for _, count in leaked),
        "texts": len(leaked),
        "normalised_rows": near,
        "share": sum(count for _, count in leaked) / max(target.rows, 1),
        "examples": [{"key": key, "rows": count, "in_source": source.exact[key]} for key, count in leaked[:EXAMPLES]],
    }


def conflicts(index: SplitIndex, other: SplitIndex | None = None) -> dict[str, Any]:
    """Texts given different labels: inside one split, or (with ``other``) between two splits."""
    found = []
    keys = index.labels if other is None else [k for k in index.labels if k in other.labels]
    for key in keys:
        seen = Counter(index.labels[key])
        if other is not None:
            seen.update(other.labels[key])
        if len(seen) > 1:
            found.append((key, seen))
    found.sort(key=lambda item: -sum(item[1].values()))
    return {
        "texts": len(found),
        "rows": sum(sum(seen.values()) for _, seen in found),
        "examples": [{"key": key, "labels": dict(seen)} for key, seen in found[:EXAMPLES]],
    }


def texts_for(texts: Iterable[str], keys: set[bytes]) -> dict[bytes, str]:
    """Second pass: the (stripped) text of each wanted digest."""
    found: dict[bytes, str] = {}
    for text in texts:
        stripped = exact_key(text)
        key = digest(stripped) if stripped else None
        if key in keys and key not in found:
            found[key] = stripped
            if len(found) == len(keys):
                break
    return found


def label_distribution(labels: Sequence[Any]) -> dict[str, Any]:
    """Rows per label (multi-label: positives per label) and the imbalance ratio (largest / smallest)."""
    counts: Counter = Counter()
    for label in labels:
        counts.update(label if isinstance(label, (list, tuple)) else [label])
    ordered = dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))
    values = list(ordered.values())
    return {"counts": ordered, "imbalance_ratio": (max(values) / min(values)) if values else None}


def co_occurrence(labels: Sequence[Sequence[str]], names: Sequence[str]) -> list[list[int]]:
    """Multi-label: how often label i and label j are positive in the same row (the diagonal: positives)."""
    index = {name: i for i, name in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for row in labels:
        present = [index[name] for name in row if name in index]
        for i in present:
            for j in present:
                matrix[i][j] += 1
    return matrix


def characters(texts: Iterable[str]) -> dict[str, Any]:
    """Control characters, U+FFFD replacement characters, mojibake and words mixing look-alike scripts."""
    counts = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    scripts: Counter = Counter()
    for text in texts:
        found = set()
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
            found.add("control")
        if "\ufffd" in text:
            found.add("replacement_character")
        if _MOJIBAKE.search(text):
            found.add("mojibake")
        if any(len(_scripts_of(word) & _HOMOGLYPH_SCRIPTS) > 1 for word in text.split()):
            found.add("mixed_script_word")
        scripts.update(_scripts_of(text))
        for kind in found:
            counts[kind] += 1
            if len(examples[kind]) < EXAMPLES:
                examples[kind].append(text[:200])
    kinds = ("control", "replacement_character", "mojibake", "mixed_script_word")
    return {
        **{kind: counts[kind] for kind in kinds},
        "scripts": dict(scripts.most_common()),
        "examples": {kind: examples[kind] for kind in kinds if examples[kind]},
    }


def _scripts_of(text: str) -> set[str]:
    return {name for name, pattern in _SCRIPTS if pattern.search(text)}
