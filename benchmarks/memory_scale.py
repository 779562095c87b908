"""Peak RSS of a training run on 20,000 vs all 150,000 NSMC rows (each in its own process).

The model is the ELECTRA-small-shaped random-init encoder written by `throughput.py` (run that first, or
pass --model). Each run reads, tokenises and trains for a few steps, then evaluates on a small dev/test
sample, so the difference between the two is what the data costs in memory.

Usage: python benchmarks/memory_scale.py [--model FOLDER] [--rows 20000 150000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import ROOT, SHARED, save_result

CHILD = """
import json, resource, sys
from electralab.config import build_config
from electralab.training.recipe import run_training
config = build_config("nsmc", overrides=json.loads(sys.argv[1]))
result = run_training(config, run_name="memory")
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "train_rows": result.metrics["run"]["train_rows"]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--model", default=str(ROOT / "benchmarks" / "out" / "throughput" / "small-nsmc" / "small-random")
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 150_000])
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    rows = []
    for count in args.rows:
        overrides = [
            f"data.data_dir={SHARED / 'data' / 'nsmc'}",
            f"data.max_train_rows={count}",
            "data.max_dev_rows=500",
            "data.max_test_rows=500",
            f"model.name_or_path={args.model}",
            f"train.max_steps={args.steps}",
            "train.batching=length_buckets",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={ROOT / 'benchmarks' / 'out' / 'memory'}",
        ]
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(overrides)], check=True, capture_output=True, text=True
        )
        rows.append({"rows_requested": count, **json.loads(out.stdout.strip().splitlines()[-1])})
        print(rows[-1], flush=True)
    ratio = rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    save_result("memory_scale", {"model": args.model, "steps": args.steps, "rows": rows, "ratio_last_to_first": ratio})
    print(f"peak RSS ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
