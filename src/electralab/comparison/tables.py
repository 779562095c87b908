"""The comparison's tables as headers and rows of text, rendered by both ``comparison.md`` and ``.html``."""

from __future__ import annotations

from typing import Any

from .summary import cell, metric_names

Table = tuple[list[str], list[list[str]]]


def final_table(summary: dict[str, Any], split: str) -> Table:
    """Per configuration: runs, then every metric of ``split`` as mean ± std over seeds."""
    names = metric_names(summary, split)
    rows = []
    for row in summary["configurations"]:
        mark = " (best)" if row["label"] == summary["best"] else ""
        runs = f"{row['finished']}" + (f" (+{len(row['failed'])} failed)" if row["failed"] else "")
        rows.append([row["label"] + mark, runs, *(cell(row[split].get(n)) for n in names)])
    return ["configuration", "runs", *names], rows


def best_verdict(summary: dict[str, Any]) -> str:
    """The best configuration by dev, and whether dev separates it from the others beyond the seed spread."""
    best = summary["best"]
    if not best:
        return "none finished"
    dev = [diff for diff in summary["differences"] if diff["split"] == "dev"]
    close = [diff["configuration"] for diff in dev if diff["exceeds_spread"] is False]
    if close:
        return f"{best}, within the seed spread of {', '.join(close)} on dev: these are not told apart"
    if any(diff["exceeds_spread"] is None for diff in dev):
        return f"{best} (one seed: no spread to judge the differences by)"
    return f"{best}, ahead of every other configuration by more than the seed spread on dev" if dev else best


def epoch_table(summary: dict[str, Any], field: str) -> Table:
    """Per configuration, the chosen metric after each epoch (``dev_per_epoch`` or ``test_per_epoch``)."""
    metric = summary["metric"]
    epochs = sorted({e["epoch"] for row in summary["configurations"] for e in row[field]})
    rows = []
    for row in summary["configurations"]:
        by_epoch = {e["epoch"]: e.get(metric) for e in row[field]}
        rows.append([row["label"], *(cell(by_epoch.get(epoch)) for epoch in epochs)])
    return ["configuration", *(f"epoch {epoch:g}" for epoch in epochs)], rows


def differences_table(summary: dict[str, Any]) -> Table:
    """Each configuration against the best, per split: the difference and whether it exceeds the seed spread."""
    rows = []
    for diff in summary["differences"]:
        verdict = {True: "yes", False: "no", None: "n/a (1 seed)"}[diff["exceeds_spread"]]
        spread = "—" if diff["seed_spread"] is None else f"{diff['seed_spread']:.4f}"
        rows.append([diff["configuration"], diff["split"], f"{diff['best_minus_this']:+.4f}", spread, verdict])
    return ["configuration", "split", "best − this", "std best + std this", "exceeds spread"], rows


def bootstrap_table(summary: dict[str, Any]) -> Table | None:
    """The paired bootstrap of test accuracy, best against each; None when not available."""
    boot = summary["bootstrap"]
    if not boot.get("available") or not boot.get("pairs"):
        return None
    rows = [
        [p["configuration"], str(p["rows"]), f"{p['best_minus_this']:+.4f}",
         f"[{p['ci95'][0]:+.4f}, {p['ci95'][1]:+.4f}]", "yes" if p["significant"] else "no"]
        for p in boot["pairs"]
    ]  # fmt: skip
    return ["configuration", "test rows", "Δ accuracy (best − this)", "95% interval", "interval excludes 0"], rows


def failures(summary: dict[str, Any]) -> list[str]:
    """One line per failed run: configuration, seed and its error."""
    return [
        f"{row['label']}, seed {f['seed']}: {f['error']}" for row in summary["configurations"] for f in row["failed"]
    ]
