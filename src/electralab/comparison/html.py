"""``comparison.html``: the tables of ``comparison.md`` and the plots, embedded, in one self-contained page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..files import atomic_write
from ..reports.html import CSS, embed_png, escape, html_table
from .markdown import DEV_TITLE, NO_BOOTSTRAP, has_test
from .plots import plot_per_epoch, plot_train_loss
from .tables import Table, best_verdict, bootstrap_table, differences_table, epoch_table, failures, final_table


def _table(table: Table | None, otherwise: str = "") -> str:
    if table is None:
        return f"<p>{escape(otherwise)}</p>"
    headers, rows = table
    return html_table(headers, rows)


def _plot(path: Path | None, alt: str) -> str:
    return embed_png(path, alt) if path is not None else ""


def write_html(folder: Path, summary: dict[str, Any], extra: Sequence[tuple[str, Table]] = ()) -> Path:
    """Write ``comparison.html`` (and its PNG plots beside it) into the comparison folder; ``extra`` tables last."""
    metric, rows, title = summary["metric"], summary["configurations"], summary.get("title", "Comparison")
    test = _table(final_table(summary, "test")) if has_test(summary) else f"<p>{escape(summary['test_note'])}</p>"
    dev_plot = plot_per_epoch(rows, "dev_per_epoch", metric, folder / "dev_per_epoch.png",
                              f"Dev {metric} per epoch (mean over seeds, band ±1 std)")  # fmt: skip
    parts = [
        f"<h1>{escape(title)}: {escape(folder.name)}</h1>",
        f'<p class="meta">{escape(summary["task"])} · model {escape(summary["model"])} · compared: '
        f"{escape(', '.join(summary['swept']) or 'nothing swept')}</p>",
        f'<p class="meta">{summary["runs_finished"]} of {summary["runs_planned"]} runs finished, '
        f"{summary['runs_failed']} failed; seeds {escape(', '.join(map(str, summary['seeds'])))}; "
        "mean ± sample std over seeds.</p>",
        f"<p><strong>Best configuration (by dev {escape(metric)}, mean over seeds): "
        f"{escape(best_verdict(summary))}</strong></p>",
        f"<h2>{escape(summary.get('dev_title', DEV_TITLE))}</h2>",
        _table(final_table(summary, "dev")),
        "<h2>Test (final) — reported only, not used for any choice</h2>",
        test,
        f"<h2>Dev {escape(metric)} per epoch</h2>",
        _table(epoch_table(summary, "dev_per_epoch")),
        _plot(dev_plot, f"dev {metric} per epoch"),
    ]
    if summary["test_per_epoch"]:
        test_plot = plot_per_epoch(rows, "test_per_epoch", metric, folder / "test_per_epoch.png",
                                   f"Test {metric} per epoch — not used for any choice")  # fmt: skip
        parts += [
            f'<h2>Test {escape(metric)} per epoch — <span class="note">not used for any choice</span></h2>',
            _table(epoch_table(summary, "test_per_epoch")),
            _plot(test_plot, f"test {metric} per epoch"),
        ]
    parts += [
        "<h2>Training loss</h2>",
        _plot(plot_train_loss(rows, folder / "train_loss.png"), "training loss"),
        f"<h2>Differences from the best ({escape(metric)}) beyond the seed spread</h2>",
        _table(differences_table(summary)),
    ]
    if has_test(summary):  # a search never scores the test split: no section to show
        parts += [
            "<h2>Paired bootstrap on test predictions (best vs each; reported only)</h2>",
            _table(bootstrap_table(summary), NO_BOOTSTRAP),
        ]
    for heading, table in extra:
        parts += [f"<h2>{escape(heading)}</h2>", _table(table)]
    if failures(summary):
        items = "".join(f"<li>{escape(line)}</li>" for line in failures(summary))
        parts += [f'<div class="warnings"><strong>Failed runs</strong><ul>{items}</ul></div>']
    body = "\n".join(part for part in parts if part)
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} {escape(folder.name)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    path = folder / "comparison.html"
    atomic_write(path, document)
    return path
