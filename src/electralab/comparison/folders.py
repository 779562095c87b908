"""Which runs of a grid are done: a finished run folder is reused, an unfinished one is cleared and run again.

Inside a run's fixed folder (``runs/<configuration>/seed-<seed>``) the training path writes one timestamped
run folder. It is finished once ``metrics.json`` and ``log_history.json`` are written (both atomically, in
that order, at the end of training); anything else there is what a killed or failed run left behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from .grid import Grid, PlannedRun, comparable
from .test_epochs import TEST_PER_EPOCH

FINISHED_FILES = ("metrics.json", "log_history.json")


def finished_run(folder: Path) -> Path | None:
    """The finished run folder inside a run's fixed folder, or None."""
    if not folder.is_dir():
        return None
    done = [child for child in sorted(folder.iterdir()) if all((child / name).is_file() for name in FINISHED_FILES)]
    return done[-1] if done else None


def clear_unfinished(folder: Path) -> None:
    """Remove what a killed or failed run left in its fixed folder (the run starts again from scratch)."""
    if folder.is_dir():
        shutil.rmtree(folder)


def check_finished_runs(grid: Grid) -> None:
    """Refuse a grid whose folder holds finished runs trained with another config than this grid's.

    Raises:
        ConfigError: Naming the run folder and the first key whose value differs.
    """
    for run in grid.runs:
        done = finished_run(run.folder)
        if done is None:
            continue
        saved = yaml.safe_load((done / "run_config.yaml").read_text(encoding="utf-8")) or {}
        saved.pop("output_dir", None)
        key = _first_difference(saved, comparable(run.config))
        if key is not None:
            raise ConfigError(
                f"{done} was trained with another config ({key}); this grid's folder is {grid.folder}: "
                "pass another --name or --output-dir, or remove that run folder"
            )


def _first_difference(saved: Any, planned: Any, prefix: str = "") -> str | None:
    if isinstance(saved, dict) and isinstance(planned, dict):
        for key in sorted(set(saved) | set(planned), key=str):
            found = _first_difference(saved.get(key), planned.get(key), f"{prefix}{key}.")
            if found is not None:
                return found
        return None
    return None if saved == planned else f"{prefix.rstrip('.')}: {saved!r} there, {planned!r} now"


def read_run(run: PlannedRun, run_dir: Path) -> dict[str, Any]:
    """A finished run as the comparison records it: metrics per split, dev/train curves, test per epoch."""
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    history = json.loads((run_dir / "log_history.json").read_text(encoding="utf-8"))
    test_epochs = run_dir / TEST_PER_EPOCH
    return {
        "configuration": run.configuration.label,
        "seed": run.seed,
        "status": "finished",
        "run_dir": str(run_dir),
        "dev": _scalars(metrics.get("dev")),
        "test": _scalars(metrics.get("test")),
        "train_seconds": (metrics.get("run") or {}).get("train_seconds"),
        "dev_per_epoch": [epoch_entry(e, "eval_") for e in history if "eval_loss" in e and "epoch" in e],
        "train_loss": [{"step": e["step"], "loss": e["loss"]} for e in history if "loss" in e and "step" in e],
        "test_per_epoch": json.loads(test_epochs.read_text(encoding="utf-8")) if test_epochs.is_file() else [],
    }


def _scalars(split: Any) -> dict[str, float]:
    """The numeric metrics of a split (not row counts, flags or tables)."""
    if not isinstance(split, dict):
        return {}
    return {
        key: float(value)
        for key, value in split.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "rows"
    }


def epoch_entry(entry: dict[str, Any], prefix: str) -> dict[str, float]:
    """One evaluation of a log history: its epoch and its numeric scores without ``prefix`` (no timings)."""
    skip = {"runtime", "samples_per_second", "steps_per_second", "rows"}
    found = {
        key[len(prefix) :]: float(value)
        for key, value in entry.items()
        if key.startswith(prefix) and key[len(prefix) :] not in skip and isinstance(value, (int, float))
    }
    return {"epoch": float(entry["epoch"]), **found}
