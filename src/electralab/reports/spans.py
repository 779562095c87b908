"""Entity spans highlighted in their sentence: gold and predicted side by side, coloured by agreement.

A span found in both (same type, same characters) is green; a gold span the model missed or typed wrongly
is amber; a predicted span that is not gold is red. Each span carries its type as a small tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SPAN_CSS = """
mark { padding: 0 0.15rem; border-radius: 3px; }
mark.hit { background: #d4edda; } mark.missed { background: #ffe8a1; } mark.spurious { background: #f8c9c4; }
mark sub { font-size: 0.7rem; color: #555; margin-left: 0.15rem; }
td.spans div { white-space: pre-wrap; word-break: break-word; }
"""

Span = Sequence  # (start, end, type)


def highlighted(text: str, spans: Sequence[Span], other: Sequence[Span], miss_class: str) -> str:
    """``text`` as HTML with each span marked: ``hit`` when ``other`` has it too, else ``miss_class``."""
    both = {tuple(span) for span in other}
    out, at = [], 0
    for start, end, kind in sorted(spans, key=lambda span: span[0]):
        if start < at:  # overlapping spans cannot come from one tag sequence; show the text as it is
            continue
        css = "hit" if (start, end, kind) in both else miss_class
        out.append(escape(text[at:start]))
        out.append(f'<mark class="{css}">{escape(text[start:end])}<sub>{escape(kind)}</sub></mark>')
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def section_spans(examples: Sequence[dict], total: int, split_name: str | None) -> str:
    """Sentences whose entities differ: gold and predicted spans highlighted in the text."""
    rows = []
    for i, example in enumerate(examples, start=1):
        text, gold, predicted = example["text"], example["gold_spans"], example["predicted_spans"]
        rows.append(
            f'<tr><td class="num">{i}</td><td class="spans">'
            f"<div><b>gold</b>&nbsp; {highlighted(text, gold, predicted, 'missed')}</div>"
            f"<div><b>predicted</b>&nbsp; {highlighted(text, predicted, gold, 'spurious')}</div></td>"
            f'<td class="num">{len({tuple(s) for s in gold} ^ {tuple(s) for s in predicted})}</td></tr>'
        )
    where = f" ({escape(split_name)})" if split_name else ""
    caption = f"Showing {len(examples)} of {total} sentences with a wrong entity. " if total > len(examples) else ""
    return (
        f"<h2>Sentences with wrong entities{where}</h2>\n"
        f'<p class="meta">{caption}<mark class="hit">found</mark> in both, <mark class="missed">missed</mark> '
        'gold entities (or typed wrongly), <mark class="spurious">spurious</mark> predictions.</p>\n'
        '<table>\n<thead><tr><th class="num">#</th><th>Sentence</th><th class="num">Differences</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )
