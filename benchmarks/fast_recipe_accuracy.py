"""Does the fast recipe cost accuracy? The same fine-tune twice, side by side in one process: fp32 with the
Trainer's length grouping vs bf16 autocast with length-bucketed batches (same model, rows, seed, recipe); the
recipes name their dropout masks (torch's own, or electralab's CPU default: NumPy's SFC64 generator).

Default model: the discriminator pretrained from scratch by `pretrain_nsmc.py` (ELECTRA-small-shaped).

Usage: python benchmarks/fast_recipe_accuracy.py [--model FOLDER] [--train-rows 20000] [--test-rows 5000]
       [--seeds 42,43,44] [--recipes 'fp32 + group_by_length,bf16 + length_buckets'] [--result NAME]
The gap is between the mean test accuracies of the last recipe and the first (the baseline).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common import ROOT, SHARED, cpu_description, fine_tune, save_result

TORCH_MASKS = "train.dropout_masks=torch"
RECIPES = {
    "fp32 + group_by_length": ["train.precision=fp32", "train.batching=group_by_length", TORCH_MASKS],
    "bf16 + length_buckets": ["train.precision=bf16", "train.batching=length_buckets", TORCH_MASKS],
    # the fast recipe as electralab runs it by default on a CPU: dropout masks from its CPU generator
    "bf16 + length_buckets + fast masks": ["train.precision=bf16", "train.batching=length_buckets"],
    # faster on a CPU, but trained a worse model (see BENCHMARKS.md), hence not what model.attention=auto picks
    "bf16 + length_buckets + eager attention": [
        "train.precision=bf16",
        "train.batching=length_buckets",
        "model.attention=eager",
        TORCH_MASKS,
    ],
}


def pretrained_small() -> Path:
    runs = sorted((ROOT / "benchmarks" / "out" / "pretrain_nsmc" / "pretrain").glob("nsmc-scratch-*"))
    if not runs:
        raise SystemExit("no pretrained model: run benchmarks/pretrain_nsmc.py first, or pass --model")
    return runs[-1] / "discriminator"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--test-rows", type=int, default=5_000)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--seeds", default="42", help="comma-separated; every recipe runs once per seed")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated; the first is the baseline")
    parser.add_argument("--result", default="fast_recipe_accuracy", help="name of the results/<name>.json file")
    args = parser.parse_args()
    unknown = set(args.recipes.split(",")) - set(RECIPES)
    if unknown:
        raise SystemExit(f"--recipes: unknown {sorted(unknown)}; expected some of {list(RECIPES)}")
    model = args.model or pretrained_small()
    names = args.recipes.split(",")
    seeds = [int(seed) for seed in args.seeds.split(",")]
    rows = []
    for seed in seeds:
        for name in names:
            recipe = RECIPES[name]
            overrides = [
                f"data.data_dir={SHARED / 'data' / 'nsmc'}",
                f"data.max_train_rows={args.train_rows}",
                f"data.max_test_rows={args.test_rows}",
                f"model.name_or_path={model}",
                f"train.epochs={args.epochs}",
                f"train.learning_rate={args.learning_rate}",
                "train.warmup=0.1",
                f"train.seed={seed}",
                "train.report_to=[]",
                "train.progress_bar=false",
                f"output_dir={ROOT / 'benchmarks' / 'out' / 'fast_recipe'}",
                *recipe,
            ]
            run_name = "nsmc-" + "-".join(override.split("=")[1] for override in recipe) + f"-seed{seed}"
            rows.append({"recipe": name, "seed": seed, **fine_tune("nsmc", overrides, run_name)})
            print(rows[-1], flush=True)
    per_recipe = {
        name: {
            "test_accuracy_mean": statistics.mean(r["test_accuracy"] for r in rows if r["recipe"] == name),
            "test_accuracy_std": statistics.stdev(r["test_accuracy"] for r in rows if r["recipe"] == name)
            if len(seeds) > 1
            else 0.0,
            "seconds_total": sum(r["seconds"] for r in rows if r["recipe"] == name),
            "collapsed_runs": sum(r["collapsed"] for r in rows if r["recipe"] == name),
        }
        for name in names
    }
    baseline, fast = per_recipe[names[0]], per_recipe[names[-1]]
    save_result(
        args.result,
        {
            "cpu": cpu_description(),
            "model": str(model),
            "train_rows": args.train_rows,
            "test_rows": args.test_rows,
            "epochs": args.epochs,
            "seeds": seeds,
            "rows": rows,
            "per_recipe": per_recipe,
            "accuracy_gap_points": round(100 * (fast["test_accuracy_mean"] - baseline["test_accuracy_mean"]), 2),
            "wall_clock_ratio": baseline["seconds_total"] / fast["seconds_total"],
        },
    )


if __name__ == "__main__":
    main()
