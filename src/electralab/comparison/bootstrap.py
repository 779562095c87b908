"""Paired bootstrap on the test predictions of the best configuration against each other one.

Each configuration's per-row correctness is averaged over its seeds (``predictions/test.jsonl`` of each
finished run); the rows are resampled with replacement, the same rows for both configurations, and the
95% interval of the accuracy difference is read off the resamples. Single-label tasks only (rows with one
``gold`` and one ``predicted`` label). Reported, never used for the choice, which is made on dev.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

RESAMPLES = 2000


def _correct(run_dir: str) -> tuple[list[str], np.ndarray] | None:
    path = Path(run_dir) / "predictions" / "test.jsonl"
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows or not all(isinstance(r.get("gold"), str) and isinstance(r.get("predicted"), str) for r in rows):
        return None
    return [r["text"] for r in rows], np.array([r["gold"] == r["predicted"] for r in rows], dtype=float)


def correctness(records: list[dict[str, Any]], label: str) -> tuple[list[str], np.ndarray] | None:
    """Per test row, the share of the configuration's seeds that got it right (None if not comparable)."""
    found = [_correct(r["run_dir"]) for r in records if r["configuration"] == label and r["status"] == "finished"]
    if not found or any(f is None for f in found) or any(f[0] != found[0][0] for f in found):
        return None
    return found[0][0], np.mean([f[1] for f in found], axis=0)


def paired_bootstrap(records: list[dict[str, Any]], best: str, others: list[str], seed: int = 0) -> dict[str, Any]:
    """The best configuration against each other one: accuracy difference, its 95% interval, and a verdict."""
    mine = correctness(records, best)
    if mine is None:
        return {"available": False, "why": "no single-label predictions/test.jsonl in every run of the best"}
    found = []
    for label in others:
        theirs = correctness(records, label)
        if theirs is None or theirs[0] != mine[0]:
            continue
        difference = mine[1] - theirs[1]
        rng = np.random.default_rng(seed)
        samples = rng.integers(0, len(difference), size=(RESAMPLES, len(difference)))
        means = difference[samples].mean(axis=1)
        low, high = (float(x) for x in np.percentile(means, [2.5, 97.5]))
        found.append(
            {
                "configuration": label,
                "rows": len(difference),
                "best_minus_this": float(difference.mean()),
                "ci95": [low, high],
                "significant": bool(low > 0 or high < 0),
            }
        )
    return {"available": True, "resamples": RESAMPLES, "metric": "test accuracy", "pairs": found}
