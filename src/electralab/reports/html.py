"""A self-contained HTML report for a fine-tuning run.

``write_report`` writes ``report.html`` into the run folder, with the plots embedded as base64 PNGs and
also saved as separate PNG files beside it. Every section is optional: a metrics dict without a test
split, per-class scores or a confusion matrix simply skips those parts.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import logging
import math
from pathlib import Path
from typing import Any

from ..files import atomic_write
from .answers import ANSWER_CSS, section_answers
from .errors import confidence_histogram, section_confusions, single_label
from .fonts import font_face_css
from .header import HEADER_CSS, run_header
from .plots import plot_confusion_matrix, plot_learning_curves
from .spans import SPAN_CSS, section_spans

logger = logging.getLogger(__name__)

REPORT_NAME = "report.html"
LEARNING_CURVES_NAME = "learning_curves.png"
CONFUSION_MATRIX_NAME = "confusion_matrix.png"
CONFIDENCE_NAME = "confidence.png"
MAX_WRONG_EXAMPLES = 20
DEFAULT_TITLE = "electralab run report"

_SPLITS = ("dev", "test")
_HEADLINE_ORDER = ("accuracy", "f1_macro", "f1_micro", "f1_weighted", "loss")
_RUN_LABELS = {
    "model": "Model",
    "head": "Head",
    "task": "Task",
    "train_rows": "Train rows",
    "dev_rows": "Dev rows",
    "test_rows": "Test rows",
    "best_checkpoint": "Best checkpoint",
    "train_seconds": "Training time (s)",
}

_IN_HEADER = {"title", "started", "finished", "parameters", "trainable_parameters"}

CSS = (
    """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, "Report Hangul", "Noto Sans KR",
       "Malgun Gothic", "Apple SD Gothic Neo", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.0rem; margin-bottom: 0.4rem; }
.meta { color: #666; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.6rem; vertical-align: top; }
th { background: #f4f5f7; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
td.text { max-width: 600px; word-break: break-word; white-space: pre-wrap; }
.warnings { background: #fdecea; border: 1px solid #f5c2c0; border-left: 5px solid #d93025; color: #8a1c14;
            padding: 0.6rem 1rem; margin: 1rem 0; border-radius: 4px; }
.warnings ul { margin: 0.3rem 0 0 0; padding-left: 1.2rem; }
.note { color: #8a1c14; font-weight: 600; }
tr.average td { font-style: italic; background: #eef1f5; }
.pair { margin-bottom: 1rem; }
.direction { flex: 1 1 45%; min-width: 320px; }
h4 { margin: 0.4rem 0; font-size: 0.95rem; }
.split-row { display: flex; flex-wrap: wrap; gap: 2rem; }
img.plot { max-width: 100%; border: 1px solid #eee; }
a { color: #1a5fb4; }
"""
    + SPAN_CSS
    + ANSWER_CSS
    + HEADER_CSS
)


def escape(value: Any) -> str:
    """Escape any value for HTML text or attribute content."""
    return html.escape("" if value is None else str(value), quote=True)


def _is_number(value: Any) -> bool:
    """Return True for ints and floats, excluding bools."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    """Format a value for a table cell: floats with 3 decimals, ints as-is, the rest escaped."""
    if value is None:
        return "&mdash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return escape(value)
        return f"{value:.3f}"
    return escape(value)


def _cell(value: Any) -> str:
    """Return a ``<td>``, right-aligned when the value is numeric."""
    cls = ' class="num"' if _is_number(value) else ""
    return f"<td{cls}>{_fmt(value)}</td>"


def html_table(headers: list[str], rows: list[list[Any]], numeric_columns: set[int] | None = None) -> str:
    """Render a simple table; ``numeric_columns`` headers are right-aligned."""
    numeric_columns = numeric_columns or set()
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric_columns else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "\n".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def embed_png(path: Path, alt: str) -> str:
    """Embed a PNG as base64 and link to the file beside the report."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    name = escape(Path(path).name)
    return (
        f'<p><img class="plot" alt="{escape(alt)}" src="data:image/png;base64,{data}"></p>\n'
        f'<p class="meta">File: <a href="{name}">{name}</a></p>'
    )


def _split(metrics: dict, name: str) -> dict | None:
    """Return the metrics of one split when present and a dict."""
    value = metrics.get(name)
    return value if isinstance(value, dict) and value else None


def _section_run(run: Any) -> str:
    """Run summary: known keys first with friendly labels, then any extra scalar keys."""
    if not isinstance(run, dict) or not run:
        return ""
    rows: list[list[Any]] = []
    for key, label in _RUN_LABELS.items():
        if key in run:
            rows.append([label, run[key]])
    for key, value in run.items():
        if key not in _RUN_LABELS and key not in _IN_HEADER and not isinstance(value, (dict, list)):
            rows.append([key, value])
    return "<h2>Run details</h2>\n" + html_table(["Field", "Value"], rows)


def _section_data_check(found: Any) -> str:
    """The data checks' findings (duplicates, leakage, conflicting labels) on the splits the run used."""
    if not isinstance(found, list):
        return ""
    if not found:
        return "<h2>Data checks</h2>\n<p>No empty texts, duplicates, leakage or conflicting labels found.</p>"
    items = "\n".join(f"<li>{escape(line)}</li>" for line in found)
    return f"<h2>Data checks</h2>\n<ul>\n{items}\n</ul>"


def _section_headline(splits: dict[str, dict]) -> str:
    """Headline scalar metrics, one column per split."""
    if not splits:
        return ""
    keys: list[str] = [k for k in _HEADLINE_ORDER if any(_is_number(s.get(k)) for s in splits.values())]
    for split in splits.values():
        for key, value in split.items():
            if key not in keys and _is_number(value):
                keys.append(key)
    if not keys:
        return ""
    names = list(splits)
    rows = [[key] + [splits[n].get(key) for n in names] for key in keys]
    html_out = "<h2>Headline metrics</h2>\n" + html_table(
        ["Metric"] + names, rows, numeric_columns=set(range(1, len(names) + 1))
    )
    for name, split in splits.items():
        if split.get("collapsed"):
            html_out += (
                f'\n<p class="note">{escape(name)}: predictions collapsed onto a single class '
                "(the model predicts almost only one label).</p>"
            )
    return html_out


def _section_per_class(name: str, split: dict) -> str:
    """Per-class precision/recall/F1/support, plus how often each class was predicted."""
    per_class = split.get("per_class")
    if not isinstance(per_class, dict) or not per_class:
        return ""
    predicted = split.get("prediction_distribution")
    predicted = predicted if isinstance(predicted, dict) else {}
    headers = ["Class", "Precision", "Recall", "F1", "Support"]
    if predicted:
        headers.append("Predicted")
    standard = {"precision", "recall", "f1", "f1-score", "support"}
    extra = list(dict.fromkeys(k for s in per_class.values() if isinstance(s, dict) for k in s if k not in standard))
    headers += [key.replace("_", " ").capitalize() for key in extra]  # e.g. multi-label threshold, ROC-AUC
    rows: list[list[Any]] = []
    for label, scores in per_class.items():
        scores = scores if isinstance(scores, dict) else {}
        f1 = scores.get("f1", scores.get("f1-score"))
        row = [label, scores.get("precision"), scores.get("recall"), f1, scores.get("support")]
        if predicted:
            row.append(predicted.get(label, 0))
        row += [scores.get(key) for key in extra]
        rows.append(row)
    table = html_table(headers, rows, set(range(1, len(headers))))
    averages = _average_rows(rows, len(headers))
    if averages:
        table = table.replace("\n</tbody>", "\n" + averages + "\n</tbody>")
    return f"<div><h3>{escape(name)}</h3>\n" + table + "\n</div>"


def _average_rows(rows: list[list[Any]], width: int) -> str:
    """Macro (plain mean over classes) and weighted (by support) precision/recall/F1 rows of a per-class table."""
    scored = [row for row in rows if all(_is_number(v) for v in row[1:5])]
    if len(scored) != len(rows) or not rows:
        return ""
    total = sum(row[4] for row in scored)
    lines = []
    for name, weights in (("macro avg", [1.0] * len(scored)), ("weighted avg", [row[4] for row in scored])):
        norm = sum(weights) or 1.0
        means = [sum(w * row[i] for w, row in zip(weights, scored, strict=True)) / norm for i in (1, 2, 3)]
        cells = [name, *means, total] + [None] * (width - 5)
        lines.append('<tr class="average">' + "".join(_cell(v) for v in cells) + "</tr>")
    return "\n".join(lines)


def _section_wrong(wrong_examples: Any, split_name: str | None) -> str:
    """The most confidently wrong examples (already sorted by the caller)."""
    if not isinstance(wrong_examples, (list, tuple)) or not wrong_examples:
        return ""
    shown = [ex for ex in wrong_examples if isinstance(ex, dict)][:MAX_WRONG_EXAMPLES]
    if not shown:
        return ""
    if all("gold_spans" in ex for ex in shown):  # token classification: entities highlighted in the sentence
        return section_spans(shown, len(wrong_examples), split_name)
    if all("question" in ex for ex in shown):  # question answering: question, gold and predicted answers
        return section_answers(shown, len(wrong_examples), split_name)
    rows = []
    for i, ex in enumerate(shown, start=1):
        rows.append(
            f'<tr><td class="num">{i}</td><td class="text">{escape(ex.get("text"))}</td>'
            f"<td>{escape(ex.get('label'))}</td><td>{escape(ex.get('predicted'))}</td>"
            f"{_cell(ex.get('confidence'))}</tr>"
        )
    where = f" ({escape(split_name)})" if split_name else ""
    total = len(wrong_examples)
    caption = f"Showing {len(shown)} of {total}." if total > len(shown) else ""
    return (
        f"<h2>Most confidently wrong examples{where}</h2>\n"
        + (f'<p class="meta">{caption}</p>\n' if caption else "")
        + '<table>\n<thead><tr><th class="num">#</th><th>Text</th><th>True</th><th>Predicted</th>'
        '<th class="num">Confidence</th></tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _section_curves(log_history: list[dict], run_dir: Path) -> str:
    try:
        curves_path = plot_learning_curves(log_history or [], run_dir / LEARNING_CURVES_NAME)
    except Exception:  # a broken plot must not cost the whole report
        logger.warning("Could not plot learning curves", exc_info=True)
        return ""
    return "" if curves_path is None else "<h2>Learning curves</h2>\n" + embed_png(curves_path, "learning curves")


def _section_confusion(splits: dict[str, dict], run_dir: Path) -> str:
    """The confusion matrices of test and dev (test first; the first one is ``confusion_matrix.png``)."""
    sections = []
    for name in ("test", "dev"):
        split = splits.get(name)
        matrix = split.get("confusion_matrix") if split else None
        if not isinstance(matrix, list) or not matrix:
            continue
        file_name = CONFUSION_MATRIX_NAME if not sections else f"confusion_matrix_{name}.png"
        try:
            labels = split.get("label_names") or list((split.get("per_class") or {}).keys())
            cm_path = plot_confusion_matrix(matrix, list(labels), run_dir / file_name, f"Confusion matrix ({name})")
        except Exception:
            logger.warning("Could not plot the %s confusion matrix", name, exc_info=True)
            continue
        sections.append(f"<div><h3>Confusion matrix ({escape(name)})</h3>\n" + embed_png(cm_path, name) + "</div>")
    if not sections:
        return ""
    return (
        "<h2>Confusion matrices</h2>\n"
        '<p class="meta">Rows are true labels, columns predicted; colour is the share of the true class.</p>\n'
        '<div class="split-row">' + "\n".join(sections) + "</div>"
    )


def _section_errors(predictions: dict[str, list[dict]] | None, run_dir: Path) -> str:
    """Single-label runs: the most confused pairs of classes (test, else dev) and the confidence histogram."""
    predictions = predictions or {}
    split = next((name for name in ("test", "dev") if single_label(predictions.get(name) or [])), None)
    if split is None:
        return ""
    rows = predictions[split]
    out = section_confusions(rows, split)
    try:
        histogram = confidence_histogram(rows, run_dir / CONFIDENCE_NAME, split)
    except Exception:  # a broken plot must not cost the whole report
        logger.warning("Could not plot the confidence histogram", exc_info=True)
        histogram = None
    if histogram is not None:
        out += (
            f'\n<h3>Confidence ({escape(split)})</h3>\n<p class="meta">Probability of the predicted class; '
            "wrong predictions at high confidence are the ones to read first.</p>\n"
            + embed_png(histogram, "confidence")
        )
    return out


def write_report(
    run_dir: Path,
    metrics: dict,
    log_history: list[dict],
    wrong_examples: list[dict],
    title: str | None = None,
    predictions: dict[str, list[dict]] | None = None,
) -> Path:
    """Write ``report.html`` and its plots into ``run_dir``.

    The page embeds its plots and a subset of the bundled Korean font (only the characters it shows), so it
    reads the same on a machine without any CJK font.

    Args:
        run_dir: The run folder; created if missing (its ``environment.json`` feeds the header).
        metrics: ``{"run": {...}, "dev": {...}, "test": {...}, "notes": [...], "warnings": [...]}``; every part
            is optional.
        log_history: ``Trainer.state.log_history`` for the learning curves (may be empty).
        wrong_examples: Dicts with ``text``, ``label``, ``predicted``, ``confidence``, most confidently
            wrong first; the first 20 are shown (single-label runs with predictions show confused pairs instead).
        title: Page title and heading (default: the run's ``title``, else "electralab run report").
        predictions: Prediction rows per split (``predictions/<split>.jsonl``), for the errors section.

    Returns:
        The path of the written ``report.html``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    metrics = metrics if isinstance(metrics, dict) else {}
    splits = {name: s for name in _SPLITS if (s := _split(metrics, name)) is not None}

    parts: list[str] = [run_header(run_dir, metrics, title, DEFAULT_TITLE)]
    parts.append(_section_headline(splits))
    parts.append(_section_data_check((metrics.get("run") or {}).get("data_check")))
    parts.append(_section_curves(log_history, run_dir))
    parts.append(_section_confusion(splits, run_dir))

    per_class = [s for name, split in splits.items() if (s := _section_per_class(name, split))]
    if per_class:
        parts.append('<h2>Per-class metrics</h2>\n<div class="split-row">\n' + "\n".join(per_class) + "\n</div>")

    errors = _section_errors(predictions, run_dir)
    wrong_split = "test" if "test" in splits else ("dev" if "dev" in splits else None)
    parts.append(errors or _section_wrong(wrong_examples, wrong_split))
    parts.append(_section_run(metrics.get("run")))
    generated = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    parts.append(f'<p class="meta">Report written {escape(generated)}</p>')

    body = "\n\n".join(p for p in parts if p)
    page_title = title or (metrics.get("run") or {}).get("title") or DEFAULT_TITLE
    document = (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(page_title)}</title>\n<style>{font_face_css([body, page_title])}{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    report_path = run_dir / REPORT_NAME
    atomic_write(report_path, document)
    return report_path
