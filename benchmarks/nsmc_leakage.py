"""NSMC with and without `data.deduplicate`: test size and accuracy of the plain run beside the deduplicated one,
and the time of `electralab check` on the whole of NSMC (200k rows) with the me5-small tokenizer.

    cd benchmarks && ../.venv/bin/python nsmc_leakage.py [--train-rows 10000] [--test-rows 5000]

me5-small, word embeddings frozen, 1 epoch, seed 42; train and test rows sampled at random (seeded) from the
whole files, so that the test sample holds its share of the rows that also occur in train.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from common import SHARED, fine_tune, fresh_dir, offline_model, save_result


def check_time(model: str, out) -> dict:
    from electralab.api import check, load_config

    started = time.perf_counter()
    result = check(load_config("nsmc", model=model, data_dir=SHARED / "data" / "nsmc", output_dir=out))
    report = result.report
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "train_repeated_rows": report["duplicates"]["train"]["exact_rows"],
        "test_rows_in_train": report["leakage"]["train->test"]["rows"],
        "test_texts_in_train": report["leakage"]["train->test"]["texts"],
        "report": str(result.html_path),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-rows", type=int, default=10000)
    parser.add_argument("--test-rows", type=int, default=5000)
    args = parser.parse_args()
    model = offline_model("me5-small")
    out = fresh_dir("out/nsmc_leakage")
    common = [
        f"data.data_dir={SHARED / 'data' / 'nsmc'}", f"model.name_or_path={model}", f"output_dir={out}",
        f"data.max_train_rows={args.train_rows}", f"data.max_test_rows={args.test_rows}", "data.row_sample=random",
        "train.epochs=1", "train.freeze_word_embeddings=true", "train.report_to=[]", "train.progress_bar=false",
    ]  # fmt: skip
    rows = []
    for mode in ("none", "leakage", "both"):
        result = fine_tune("nsmc", [*common, f"data.deduplicate={mode}"], f"nsmc-dedup-{mode}")
        metrics = json.loads((Path(result["run_dir"]) / "metrics.json").read_text(encoding="utf-8"))
        facts = {"deduplicated": metrics["run"].get("deduplicated", {}), "data_check": metrics["run"]["data_check"]}
        rows.append({"deduplicate": mode, "test_rows": metrics["test"]["rows"], **result, **facts})
    save_result("nsmc_leakage", {
        "cpu": platform.processor() or platform.machine(), "model": "multilingual-e5-small (word embeddings frozen)",
        "train_rows": args.train_rows, "test_rows": args.test_rows, "runs": rows, "check": check_time(model, out),
    })  # fmt: skip


if __name__ == "__main__":
    main()
