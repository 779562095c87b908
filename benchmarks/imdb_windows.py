"""IMDB long reviews: truncation vs sliding windows, side by side (same model, rows, seed and recipe).

For each window length (512 by default, and 128 where most reviews are longer than a window) the script
fine-tunes offline MiniLM twice — once truncating every review, once cutting it into overlapping windows
(``data.long_documents=windows``, every window a training example) — and scores both on the same test
reviews. The windows model is also scored with each aggregation (mean of logits, element-wise max, first
window only), which needs no retraining: aggregation happens at prediction.

Usage: python benchmarks/imdb_windows.py [--lengths 512 128] [--train-rows 2000] [--test-rows 2000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import ROOT, SHARED, fine_tune, fresh_dir, offline_model, save_result

from electralab.data.readers import read_split
from electralab.data.windows import AGGREGATIONS, WindowSettings
from electralab.inference.predictor import Predictor

IMDB = SHARED / "data" / "imdb"
SEED = 42


def recipe(model: str, length: int, args: argparse.Namespace, out: Path, long_documents: str) -> list[str]:
    return [
        f"data.data_dir={IMDB}",
        f"data.max_train_rows={args.train_rows}",
        f"data.max_test_rows={args.test_rows}",
        f"data.max_length={length}",
        f"data.long_documents={long_documents}",
        f"data.window_stride={length // 4}",
        f"model.name_or_path={model}",
        "model.head=mean",
        f"train.epochs={args.epochs}",
        f"train.learning_rate={args.learning_rate}",
        "train.batch_size=16",
        "train.precision=bf16",
        "train.batching=length_buckets",
        f"train.seed={SEED}",
        "train.report_to=[]",
        "train.progress_bar=false",
        f"output_dir={out}",
    ]


def test_reviews(rows: int) -> tuple[list[str], np.ndarray, list[str]]:
    """The same seeded random test rows the recipe scores (``data.row_sample=random``, the imdb preset's)."""
    dataset = read_split("imdb", IMDB / "test.csv.xz")
    picked = np.sort(np.random.default_rng(SEED).choice(len(dataset), size=rows, replace=False))
    subset = dataset.select(picked)
    return subset["text"][:], np.asarray(subset["label"][:]), sorted(set(subset["label"][:]))


def aggregation_rows(model_dir: Path, length: int, texts: list[str], labels: np.ndarray) -> list[dict]:
    """Accuracy of the windows model under each aggregation (fp32, as the recipe's own test score)."""
    trained = Predictor.from_folder(model_dir)
    rows = []
    for aggregation in AGGREGATIONS:
        windows = WindowSettings(stride=length // 4, aggregation=aggregation)
        predictor = Predictor(trained.model, trained.tokenizer, trained.max_length, windows=windows)
        predicted = np.asarray([row["label"] for row in predictor.predict(texts, batch_size=32)])
        rows.append({"aggregation": aggregation, "test_accuracy": float((predicted == labels).mean())})
        print(length, rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 128])
    parser.add_argument("--train-rows", type=int, default=2000)
    parser.add_argument("--test-rows", type=int, default=2000)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "imdb_windows"))
    args = parser.parse_args()
    out = fresh_dir(args.out)
    model = offline_model("minilm")
    texts, labels, _ = test_reviews(args.test_rows)
    results = []
    for length in args.lengths:
        runs = {}
        for mode in ("truncate", "windows"):
            runs[mode] = fine_tune("imdb", recipe(model, length, args, out, mode), f"imdb-{length}-{mode}")
            print(length, mode, runs[mode], flush=True)
        windows_model = Path(runs["windows"]["run_dir"]) / "model"
        results.append(
            {
                "max_length": length,
                "stride": length // 4,
                "truncate": runs["truncate"],
                "windows": runs["windows"],
                "windows_by_aggregation": aggregation_rows(windows_model, length, texts, labels),
                "gain_points": round(100 * (runs["windows"]["test_accuracy"] - runs["truncate"]["test_accuracy"]), 2),
            }
        )
    save_result(
        "imdb_windows",
        {
            "model": "all-MiniLM-L6-v2 (offline)",
            "train_rows": args.train_rows,
            "test_rows": args.test_rows,
            "epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
