"""A search's reports: the comparison's ``comparison.json``, ``.md`` and ``.html``, with the Optuna study added."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console

from ..comparison.html import write_html
from ..comparison.markdown import write_markdown
from ..comparison.summary import build_summary
from ..comparison.tables import Table
from ..files import write_json
from ..results import SearchResult
from .trials import trial_label, trial_values

if TYPE_CHECKING:
    from ..comparison.grid import Grid
    from .runner import SearchPlan

TEST_NOTE = "the test split is not evaluated in a search: train the best parameters with `electralab train` to score it"


def study_summary(plan: SearchPlan, study: Any, optuna_version: str) -> dict[str, Any]:
    """The study: sampler, direction, space, every trial (number, params, objective, state), the best parameters."""
    metric = plan.base.train.metric_for_best
    trials = []
    for trial in study.trials:
        values = trial_values(plan.space, trial.params)
        entry = {
            "number": trial.number,
            "label": trial_label(trial.number, values),
            "state": trial.state.name,
            "objective": trial.value,
            "params": values,
        }
        if "error" in trial.user_attrs:
            entry["error"] = trial.user_attrs["error"]
        trials.append(entry)
    complete = [t for t in trials if t["state"] == "COMPLETE" and t["objective"] is not None]
    best = study.best_trial.number if complete else None
    best_params = next((t["params"] for t in trials if t["number"] == best), {})
    return {
        "backend": "optuna",
        "optuna_version": optuna_version,
        "sampler": f"TPESampler(seed={plan.base.train.seed})",
        "pruner": "none (every trial trains all its epochs)",
        "direction": "minimize" if metric == "loss" else "maximize",
        "objective": f"dev {metric} of the trial's best epoch",
        "n_trials": plan.trials,
        "space": [parameter.describe() for parameter in plan.space],
        "best_trial": best,
        "best_value": next((t["objective"] for t in trials if t["number"] == best), None),
        "best_params": best_params,
        "best_overrides": [f"{key}={_plain(value)}" for key, value in best_params.items()],
        "trials": trials,
    }


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ",".join(map(_plain, value)) + "]"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def search_tables(summary: dict[str, Any]) -> list[tuple[str, Table]]:
    """The sections a search adds to the comparison's reports: best parameters and the Optuna study."""
    search = summary["search"]
    keys = [spec.split("=", 1)[0] for spec in search["space"]]
    best = (["key", "value"], [[key, _plain(value)] for key, value in search["best_params"].items()])
    study_rows = []
    for trial in search["trials"]:
        objective = "—" if trial["objective"] is None else f"{trial['objective']:.4f}"
        params = [_plain(trial["params"][key]) if key in trial["params"] else "—" for key in keys]
        mark = " (best)" if trial["number"] == search["best_trial"] else ""
        study_rows.append([f"{trial['number']}{mark}", trial["state"], objective, *params])
    study = (["trial", "state", f"objective ({search['objective']})", *keys], study_rows)
    title = f"Optuna study: {search['sampler']}, {search['direction']}, {search['n_trials']} trials"
    return [(f"Best parameters (trial {search['best_trial']})", best), (title, study)]


def write_search_reports(
    plan: SearchPlan, grid: Grid, records: list[dict[str, Any]], study: Any, optuna_version: str, console: Console
) -> SearchResult:
    """Write ``comparison.json``, ``comparison.md`` and ``comparison.html`` of a finished search."""
    summary = build_summary(grid, records, test_per_epoch=False)
    summary.update(
        title="Search",
        dev_title="Dev (each trial's best epoch)",
        chosen_on=f"dev {grid.metric} of each trial's best epoch (one seed per trial; the Optuna objective)",
        test_note=TEST_NOTE,
        search=study_summary(plan, study, optuna_version),
    )
    json_path = grid.folder / "comparison.json"
    write_json(json_path, summary)
    extra = search_tables(summary)
    markdown = write_markdown(grid.folder / "comparison.md", summary, extra)
    html = write_html(grid.folder, summary, extra)
    best = summary["search"]
    console.print(
        f"[bold]best trial by dev {grid.metric}:[/bold] {best['best_trial']} ({best['best_value']}) "
        f"{' '.join(best['best_overrides'])}  report: {html}"
    )
    return SearchResult(grid.folder, summary, json_path, markdown, html)
