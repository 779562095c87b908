"""The comparison's numbers: mean ± std over seeds per configuration, per epoch, the best on dev, the spread.

The standard deviation is the sample one (n - 1) over the seeds that finished; with one seed there is none.
The best configuration is the one with the best mean dev ``train.metric_for_best``; the test split is only
reported. A difference from the best "exceeds the seed spread" when it is larger than the two
configurations' standard deviations added (their mean ± std intervals do not overlap).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from .grid import Grid


def mean_std(values: list[float]) -> dict[str, Any]:
    """``{"mean", "std", "n"}`` of a list of numbers (std None below two values)."""
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "n": len(values),
    }


def _split_table(records: list[dict[str, Any]], split: str) -> dict[str, dict[str, Any]]:
    keys = [key for key in records[0][split] if all(key in r[split] for r in records)] if records else []
    return {key: mean_std([r[split][key] for r in records]) for key in keys}


def _per_epoch(records: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Per epoch, each metric's mean ± std over the seeds that logged it."""
    by_epoch: dict[float, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        for entry in record[field]:
            for key, value in entry.items():
                if key != "epoch":
                    by_epoch[round(entry["epoch"], 4)][key].append(value)
    return [{"epoch": epoch, **{k: mean_std(v) for k, v in by_epoch[epoch].items()}} for epoch in sorted(by_epoch)]


def _train_loss(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_step: dict[int, list[float]] = defaultdict(list)
    for record in records:
        for entry in record["train_loss"]:
            by_step[int(entry["step"])].append(entry["loss"])
    return [{"step": step, **mean_std(by_step[step])} for step in sorted(by_step)]


def summarise(grid: Grid, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per configuration: runs finished and failed, dev and test mean ± std, curves per epoch."""
    rows = []
    for configuration in grid.configurations:
        mine = [r for r in records if r["configuration"] == configuration.label]
        done = [r for r in mine if r["status"] == "finished"]
        rows.append(
            {
                "label": configuration.label,
                "slug": configuration.slug,
                "values": configuration.values,
                "finished": len(done),
                "failed": [{"seed": r["seed"], "error": r["error"]} for r in mine if r["status"] == "failed"],
                "dev": _split_table(done, "dev"),
                "test": _split_table(done, "test"),
                "dev_per_epoch": _per_epoch(done, "dev_per_epoch"),
                "test_per_epoch": _per_epoch(done, "test_per_epoch"),
                "train_loss": _train_loss(done),
            }
        )
    return rows


def best_by_dev(rows: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
    """The configuration with the best mean dev ``metric`` (lowest for ``loss``); None if none finished."""
    scored = [row for row in rows if metric in row["dev"]]
    if not scored:
        return None
    sign = -1.0 if metric == "loss" else 1.0
    return max(scored, key=lambda row: sign * row["dev"][metric]["mean"])


def differences(rows: list[dict[str, Any]], best: dict[str, Any], metric: str) -> list[dict[str, Any]]:
    """Each other configuration against the best, on dev and test: the difference and whether it beats the spread."""
    found = []
    for row in rows:
        if row is best:
            continue
        for split in ("dev", "test"):
            if metric not in row[split] or metric not in best[split]:
                continue
            mine, theirs = best[split][metric], row[split][metric]
            delta = mine["mean"] - theirs["mean"]
            spread = None if mine["std"] is None or theirs["std"] is None else mine["std"] + theirs["std"]
            found.append(
                {
                    "configuration": row["label"],
                    "split": split,
                    "best_minus_this": delta,
                    "seed_spread": spread,
                    "exceeds_spread": None if spread is None else abs(delta) > spread,
                }
            )
    return found
