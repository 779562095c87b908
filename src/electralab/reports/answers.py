"""Question answering in the report: the worst-scoring questions with their gold and predicted answers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

ANSWER_CSS = """
td.question details summary { cursor: pointer; color: #555; font-size: 0.85rem; }
td.question details div { white-space: pre-wrap; word-break: break-word; font-size: 0.85rem; }
"""


def section_answers(examples: Sequence[dict], total: int, split_name: str | None) -> str:
    """The worst-scoring questions (lowest F1 first): question (its context folded), gold, predicted, scores."""
    rows = []
    for i, example in enumerate(examples, start=1):
        rows.append(
            f'<tr><td class="num">{i}</td><td class="question">{escape(str(example["question"]))}'
            f"<details><summary>context</summary><div>{escape(str(example.get('text', '')))}</div></details></td>"
            f"<td>{escape(str(example.get('label', '')))}</td><td>{escape(str(example.get('predicted', '')))}</td>"
            f'<td class="num">{example.get("f1", 0.0):.2f}</td><td class="num">{example.get("char_f1", 0.0):.2f}</td>'
            f'<td class="num">{example.get("confidence", 0.0):.3f}</td></tr>'
        )
    where = f" ({escape(split_name)})" if split_name else ""
    caption = f"Showing {len(examples)} of {total} questions answered wrongly. " if total > len(examples) else ""
    return (
        f"<h2>Worst-answered questions{where}</h2>\n"
        f"<p class=\"meta\">{caption}Lowest F1 first (SQuAD token F1; char F1: KorQuAD's); score: the answer's "
        "probability among the n-best spans.</p>\n"
        '<table>\n<thead><tr><th class="num">#</th><th>Question</th><th>Gold</th><th>Predicted</th>'
        '<th class="num">F1</th><th class="num">Char F1</th><th class="num">Score</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )
