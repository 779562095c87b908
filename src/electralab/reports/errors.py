"""The errors of a single-label classifier, read from its predictions (``predictions/<split>.jsonl`` rows).

Confusions come in pairs of classes, both directions side by side (A taken for B, B taken for A) with the
probability the model gave the true class, and a histogram of the predicted class's probability separates
confident mistakes from unsure ones.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any

from .plots import plot_confidence_histogram

PAIRS_SHOWN = 6
EXAMPLES_PER_DIRECTION = 3


def _escape(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def single_label(rows: list[dict[str, Any]]) -> bool:
    """Whether prediction rows are single-label ones (gold and predicted names with class probabilities)."""
    return bool(rows) and all(isinstance(r.get("gold"), str) and isinstance(r.get("probabilities"), dict) for r in rows)


def _direction(rows: list[dict], gold: str, predicted: str) -> str:
    wrong = [r for r in rows if r["gold"] == gold and r["predicted"] == predicted]
    wrong.sort(key=lambda r: r["probabilities"].get(gold, 0.0))  # least probability on the truth first
    items = "".join(
        f'<tr><td class="text">{_escape(r["text"])}</td><td class="num">{r["probabilities"].get(gold, 0.0):.2f}</td>'
        f'<td class="num">{r["probabilities"].get(predicted, 0.0):.2f}</td></tr>'
        for r in wrong[:EXAMPLES_PER_DIRECTION]
    )
    title = f"true {_escape(gold)} → predicted {_escape(predicted)}: {len(wrong)}"
    if not wrong:
        return f'<div class="direction"><h4>{title}</h4><p class="meta">none</p></div>'
    return (
        f'<div class="direction"><h4>{title}</h4><table><thead><tr><th>Text</th><th class="num">P(true)</th>'
        f'<th class="num">P(predicted)</th></tr></thead><tbody>{items}</tbody></table></div>'
    )


def section_confusions(rows: list[dict[str, Any]], split: str) -> str:
    """The most confused pairs of classes, both directions side by side, with examples and P(true class)."""
    cells = Counter((r["gold"], r["predicted"]) for r in rows if r["gold"] != r["predicted"])
    if not cells:
        return f"<h2>Errors ({_escape(split)})</h2>\n<p>No wrong predictions.</p>"
    pairs = Counter()
    for (gold, predicted), count in cells.items():
        pairs[tuple(sorted((gold, predicted)))] += count
    blocks = [
        f'<div class="pair"><h3>{_escape(a)} ↔ {_escape(b)}: {total} errors</h3><div class="split-row">'
        + _direction(rows, a, b)
        + _direction(rows, b, a)
        + "</div></div>"
        for (a, b), total in pairs.most_common(PAIRS_SHOWN)
    ]
    errors = sum(cells.values())
    return (
        f"<h2>Errors ({_escape(split)}): the most confused pairs of classes</h2>\n"
        f'<p class="meta">{errors} of {len(rows)} texts wrong. Each pair shows both directions; the examples are '
        "those with the least probability on the true class.</p>\n" + "\n".join(blocks)
    )


def confidence_histogram(rows: list[dict[str, Any]], path: Path, split: str) -> Path | None:
    """Plot the predicted class's probability for right and wrong predictions of a split."""
    right = [r["probabilities"][r["predicted"]] for r in rows if r["gold"] == r["predicted"]]
    wrong = [r["probabilities"][r["predicted"]] for r in rows if r["gold"] != r["predicted"]]
    return plot_confidence_histogram(right, wrong, path, f"Confidence ({split})")
