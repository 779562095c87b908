"""``comparison.md``: the comparison's tables as Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..files import atomic_write
from .tables import Table, best_verdict, bootstrap_table, differences_table, epoch_table, failures, final_table

DEV_TITLE = "Dev (final, best checkpoint)"
NO_BOOTSTRAP = "Not available (needs single-label `predictions/test.jsonl` in every run)."


def _markdown(table: Table | None, otherwise: str = "") -> list[str]:
    if table is None:
        return [otherwise]
    headers, rows = table
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]


def has_test(summary: dict[str, Any]) -> bool:
    """Whether any configuration has test scores (a search has none: it never scores the test split)."""
    return any(row["test"] for row in summary["configurations"])


def write_markdown(path: Path, summary: dict[str, Any], extra: Sequence[tuple[str, Table]] = ()) -> Path:
    """Write ``comparison.md``: final dev/test table, dev per epoch, differences, bootstrap, ``extra``, failures."""
    metric = summary["metric"]
    test = _markdown(final_table(summary, "test")) if has_test(summary) else [summary["test_note"]]
    lines = [
        f"# {summary.get('title', 'Comparison')}: {Path(summary['folder']).name}",
        "",
        f"{summary['task']} · model `{summary['model']}` · compared: {', '.join(summary['swept']) or 'nothing swept'}",
        "",
        f"{summary['runs_finished']} of {summary['runs_planned']} runs finished, {summary['runs_failed']} failed; "
        f"seeds {', '.join(map(str, summary['seeds']))}; mean ± sample std over seeds.",
        "",
        f"**Best configuration (by dev {metric}, mean over seeds): {best_verdict(summary)}**",
        "",
        f"## {summary.get('dev_title', DEV_TITLE)}",
        *_markdown(final_table(summary, "dev")),
        "",
        "## Test (final) — reported only, not used for any choice",
        *test,
        "",
        f"## Dev {metric} per epoch",
        *_markdown(epoch_table(summary, "dev_per_epoch")),
    ]
    if summary["test_per_epoch"]:
        lines += ["", f"## Test {metric} per epoch — not used for any choice"]
        lines += _markdown(epoch_table(summary, "test_per_epoch"))
    lines += ["", f"## Differences from the best ({metric}) beyond the seed spread"]
    lines += _markdown(differences_table(summary))
    if has_test(summary):  # a search never scores the test split: no section to show
        lines += ["", "## Paired bootstrap on test predictions (best vs each; reported only)"]
        lines += _markdown(bootstrap_table(summary), NO_BOOTSTRAP)
    for title, table in extra:
        lines += ["", f"## {title}", *_markdown(table)]
    if failures(summary):
        lines += ["", "## Failed runs", *(f"- {line}" for line in failures(summary))]
    atomic_write(path, "\n".join(lines) + "\n")
    return path
