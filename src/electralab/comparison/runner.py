"""Run a comparison grid through the one fine-tuning path, resumably, and write its three reports.

A finished run (``metrics.json`` and ``log_history.json`` in its fixed folder) is read, not trained again;
an unfinished one (a killed grid) is cleared and trained from the start. A run that raises is recorded with
its error and the grid goes on. ``comparison.json`` is rewritten after every run, so a killed grid leaves
the state so far; the Markdown and HTML reports are written at the end.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console

from ..files import write_json
from ..results import ComparisonResult
from ..training.recipe import run_training
from .aggregate import best_by_dev, summarise
from .folders import check_finished_runs, clear_unfinished, finished_run, read_run
from .grid import Grid, PlannedRun
from .html import write_html
from .markdown import write_markdown
from .summary import build_summary, cell
from .test_epochs import TestEachEpoch, check_test_per_epoch

console = Console(stderr=True)


def run_comparison(grid: Grid, test_per_epoch: bool = False) -> ComparisonResult:
    """Train every run of ``grid`` not yet finished, then write ``comparison.json``, ``.md`` and ``.html``.

    Raises:
        ConfigError: Before any run, when the folder holds finished runs of another config or
            ``test_per_epoch`` cannot be honoured.
    """
    check_finished_runs(grid)
    if test_per_epoch:
        check_test_per_epoch(grid.runs[0].config)
    to_train = sum(finished_run(run.folder) is None for run in grid.runs)
    console.print(
        f"[bold]comparison[/bold] {grid.folder}: {len(grid.configurations)} configurations × "
        f"{len(grid.seeds)} seeds = {len(grid.runs)} runs, {len(grid.runs) - to_train} already finished"
    )
    records: list[dict[str, Any]] = []
    durations: list[float] = []
    for index, run in enumerate(grid.runs, 1):
        header = f"run {index} of {len(grid.runs)}: {run.configuration.label}, seed {run.seed}"
        done = finished_run(run.folder)
        if done is not None:
            console.print(f"[bold]{header}[/bold] — finished before, reading {done}")
            records.append(read_run(run, done))
        else:
            console.print(f"[bold]{header}[/bold]{_eta(durations, to_train)}")
            started = time.perf_counter()
            records.append(_train(run, test_per_epoch))
            durations.append(time.perf_counter() - started)
            to_train -= 1
        _print_best(grid, records)
        write_json(grid.folder / "comparison.json", build_summary(grid, records, test_per_epoch))
    return _write_reports(grid, records, test_per_epoch)


def _train(run: PlannedRun, test_per_epoch: bool) -> dict[str, Any]:
    clear_unfinished(run.folder)
    callbacks = [TestEachEpoch(run.config)] if test_per_epoch else []
    try:
        result = run_training(run.config, run_name="run", extra_callbacks=callbacks)
    except Exception as err:  # noqa: BLE001  (any failure of one run is recorded; the grid goes on)
        error = f"{type(err).__name__}: {err}".splitlines()[0]
        console.print(f"[bold red]failed[/bold red] {run.configuration.label}, seed {run.seed}: {error}")
        return {"configuration": run.configuration.label, "seed": run.seed, "status": "failed", "error": error}
    return read_run(run, result.run_dir)


def _eta(durations: list[float], remaining: int) -> str:
    if not durations:
        return ""
    seconds = sum(durations) / len(durations) * remaining
    return f" (ETA {int(seconds // 60)} min {int(seconds % 60)} s for {remaining} runs)"


def _print_best(grid: Grid, records: list[dict[str, Any]]) -> None:
    best = best_by_dev(summarise(grid, records), grid.metric)
    if best is not None:
        console.print(f"  current best (dev {grid.metric}): {best['label']} {cell(best['dev'][grid.metric])}")


def _write_reports(grid: Grid, records: list[dict[str, Any]], test_per_epoch: bool) -> ComparisonResult:
    summary = build_summary(grid, records, test_per_epoch)
    json_path = grid.folder / "comparison.json"
    write_json(json_path, summary)
    markdown = write_markdown(grid.folder / "comparison.md", summary)
    html = write_html(grid.folder, summary)
    console.print(f"[bold]best by dev {grid.metric}:[/bold] {summary['best']}  report: {html}")
    return ComparisonResult(grid.folder, summary, json_path, markdown, html)
