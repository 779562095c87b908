"""Pretraining where labels are scarce: the discriminator pretrained by `pretrain_nsmc.py` vs the same
architecture and vocabulary from random init, fine-tuned on the first 500 and 2,000 NSMC train rows (dev carved
from them, as in every run), several seeds each, tested on the same first 5,000 test rows.

Each seed changes the random init (for the random twin), the head's init, the batch order and dropout; the
rows stay the same, so the spread is the training's, and each pretrained/random pair differs only in the
weights it starts from. Small sets train for at least ``--min-steps`` optimiser steps (more epochs), the same
for both inits. The 20,000-row pair is in `pretrain_nsmc.py`'s own result.

Usage: python benchmarks/label_scarce.py [--pretrained DISCRIMINATOR] [--sizes 500,2000] [--seeds 42,43,44]
"""

from __future__ import annotations

import argparse
import math
import statistics
from pathlib import Path

from common import ROOT, SHARED, cpu_description, fine_tune, save_result
from fast_recipe_accuracy import pretrained_small
from pretrain_nsmc import random_init

DEV_FRACTION = 0.1  # the nsmc preset's dev carve


def epochs_for(rows: int, args: argparse.Namespace) -> int:
    """Enough epochs for ``--min-steps`` optimiser steps on the rows left after the dev carve."""
    steps_per_epoch = math.ceil(rows * (1 - DEV_FRACTION) / args.batch_size)
    return max(args.epochs, math.ceil(args.min_steps / steps_per_epoch))


def run(model: Path, init: str, rows: int, seed: int, args: argparse.Namespace) -> dict:
    overrides = [
        f"data.data_dir={SHARED / 'data' / 'nsmc'}",
        f"data.max_train_rows={rows}",
        f"data.max_test_rows={args.test_rows}",
        f"model.name_or_path={model}",
        f"train.epochs={epochs_for(rows, args)}",
        f"train.batch_size={args.batch_size}",
        f"train.learning_rate={args.learning_rate}",
        "train.warmup=0.1",
        f"train.seed={seed}",
        "train.report_to=[]",
        "train.progress_bar=false",
        f"output_dir={ROOT / 'benchmarks' / 'out' / 'label_scarce'}",
    ]
    row = {"init": init, "rows": rows, "seed": seed, "epochs": epochs_for(rows, args)}
    return {**row, **fine_tune("nsmc", overrides, f"nsmc-{init}-{rows}-seed{seed}")}


def summary(rows: list[dict], sizes: list[int]) -> list[dict]:
    """Mean ± std of test accuracy per size and init, and the pretrained - random gain in points."""
    table = []
    for size in sizes:
        entry = {"rows": size}
        for init in ("pretrained", "random"):
            scores = [row["test_accuracy"] for row in rows if row["rows"] == size and row["init"] == init]
            entry[init] = {
                "mean": round(statistics.mean(scores), 4),
                "std": round(statistics.stdev(scores), 4) if len(scores) > 1 else 0.0,
                "seeds": len(scores),
            }
        entry["gain_points"] = round(100 * (entry["pretrained"]["mean"] - entry["random"]["mean"]), 2)
        table.append(entry)
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pretrained", help="encoder folder (default: the latest pretrain_nsmc.py discriminator)")
    parser.add_argument("--sizes", default="500,2000", help="labelled rows, comma-separated")
    parser.add_argument("--seeds", default="42,43,44")
    parser.add_argument("--test-rows", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=2, help="at least this many epochs")
    parser.add_argument("--min-steps", type=int, default=300, help="at least this many optimiser steps")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--result", default="label_scarce")
    args = parser.parse_args()
    pretrained = Path(args.pretrained) if args.pretrained else pretrained_small()
    sizes = [int(size) for size in args.sizes.split(",")]
    seeds = [int(seed) for seed in args.seeds.split(",")]
    twins = ROOT / "benchmarks" / "out" / "label_scarce" / "random-init" / pretrained.name
    rows = []
    for seed in seeds:
        twin = random_init(pretrained, twins / f"seed{seed}", seed)
        for size in sizes:
            for init, model in (("pretrained", pretrained), ("random", twin)):
                rows.append(run(model, init, size, seed, args))
                print(rows[-1], flush=True)
    table = summary(rows, sizes)
    save_result(
        args.result,
        {
            "cpu": cpu_description(),
            "pretrained": str(pretrained),
            "test_rows": args.test_rows,
            "learning_rate": args.learning_rate,
            "batch_size": args.batch_size,
            "min_steps": args.min_steps,
            "summary": table,
            "rows": rows,
        },
    )
    for entry in table:
        print(entry, flush=True)


if __name__ == "__main__":
    main()
