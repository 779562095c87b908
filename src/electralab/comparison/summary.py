"""``comparison.json``: the grid, every run's record, the per-configuration table and the choice made on dev."""

from __future__ import annotations

from typing import Any

from .aggregate import best_by_dev, differences, summarise
from .bootstrap import paired_bootstrap
from .grid import Grid

TEST_NOTE = "test scores are reported only; not used for any choice (the best configuration is chosen on dev)"


def build_summary(grid: Grid, records: list[dict[str, Any]], test_per_epoch: bool) -> dict[str, Any]:
    """Everything the reports show, JSON-ready."""
    rows = summarise(grid, records)
    best = best_by_dev(rows, grid.metric)
    others = [row["label"] for row in rows if best is not None and row is not best and row["finished"]]
    return {
        "folder": str(grid.folder),
        "task": grid.runs[0].config.task,
        "model": grid.runs[0].config.model.name_or_path,
        "metric": grid.metric,
        "greater_is_better": grid.metric != "loss",
        "chosen_on": f"dev {grid.metric}, mean over seeds",
        "test_note": TEST_NOTE,
        "swept": grid.swept,
        "seeds": grid.seeds,
        "runs_planned": len(grid.runs),
        "runs_finished": sum(r["status"] == "finished" for r in records),
        "runs_failed": sum(r["status"] == "failed" for r in records),
        "test_per_epoch": test_per_epoch,
        "best": best["label"] if best else None,
        "configurations": rows,
        "differences": differences(rows, best, grid.metric) if best else [],
        "bootstrap": paired_bootstrap(records, best["label"], others) if best else {"available": False},
        "runs": [{k: v for k, v in r.items() if k not in ("dev_per_epoch", "train_loss")} for r in records],
    }


def cell(stats: dict[str, Any] | None) -> str:
    """``0.8123 ± 0.0041`` (``0.8123 (1 seed)`` without a spread, ``—`` when missing)."""
    if not stats:
        return "—"
    if stats["std"] is None:
        return f"{stats['mean']:.4f} (1 seed)"
    return f"{stats['mean']:.4f} ± {stats['std']:.4f}"


def metric_names(summary: dict[str, Any], split: str) -> list[str]:
    """The split's metrics in every table: the chosen one first, loss last."""
    names: list[str] = []
    for row in summary["configurations"]:
        names += [key for key in row[split] if key not in names]
    first = [summary["metric"]] if summary["metric"] in names else []
    return first + sorted(n for n in names if n not in first and n != "loss") + (["loss"] if "loss" in names else [])
