"""Domain-adaptive ELECTRA pretraining on IMDB: the offline MiniLM loaded as the discriminator (with a fresh
replaced-token-detection head) and a generator sharing its embeddings (the product's default: MiniLM's lower
third of layers; ``--generator-init random``: a fresh quarter-width one), further trained on
the IMDB train reviews; then both the adapted and the original MiniLM are fine-tuned on the same 2,000 IMDB
train reviews (seeded random sample: the files are sorted by label) and tested on the same 5,000 test reviews.

Usage: python benchmarks/dapt_imdb.py [--steps 600] [--precision bf16] [--pretrain-lr 1e-4,2e-5] [--seeds 42,43,44]
       [--train-rows 1000] [--result dapt_imdb_1000] [--generator-init discriminator --generator-fraction 0.34]
       [--mask-prob 0.25] [--baseline results/<earlier>.json]  (reuse the original MiniLM's fine-tunes of an earlier
       run: its rows of the seeds asked for)
Each adaptation learning rate gets its own run; the original and every adapted encoder are fine-tuned with each seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from common import ROOT, SHARED, cpu_description, diagnostics_curve, fine_tune, fresh_dir, offline_model, save_result

from electralab.config import build_pretrain_config
from electralab.data.readers import read_split
from electralab.training.recipe import run_pretraining

IMDB = SHARED / "data" / "imdb"
SEED = 42


def write_corpus(out: Path) -> Path:
    """IMDB train reviews, one per line (labels dropped)."""
    texts = read_split("imdb", IMDB / "train.csv.xz")["text"][:]
    path = out / "imdb_train_reviews.txt"
    path.write_text("".join(f"{' '.join(text.split())}\n" for text in texts if text.strip()), encoding="utf-8")
    return path


def adapt(model: str, corpus: Path, out: Path, lr: float, args: argparse.Namespace):
    config = build_pretrain_config(
        overrides=[
            f"model.discriminator={model}",
            f"model.generator_init={args.generator_init}",
            *([f"model.generator_fraction={args.generator_fraction}"] if args.generator_fraction else []),
            f"corpus.paths=[{corpus}]",
            f"corpus.max_length={args.max_length}",
            *([f"objective.mask_prob={args.mask_prob}"] if args.mask_prob else []),
            f"train.max_steps={args.steps}",
            f"train.batch_size={args.batch_size}",
            f"train.learning_rate={lr}",
            f"train.warmup_steps={args.steps // 10}",
            f"train.precision={args.precision}",
            f"train.logging_steps={max(5, args.steps // 30)}",
            f"train.view_steps={max(5, args.steps // 6)}",
            f"train.save_steps={max(5, args.steps // 3)}",
            f"train.seed={SEED}",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={out}",
        ]
    )
    return run_pretraining(config, run_name="imdb-dapt")


def fine_tune_imdb(model: str | Path, name: str, seed: int, out: Path, args: argparse.Namespace) -> dict:
    overrides = [
        f"data.data_dir={IMDB}",
        f"data.max_train_rows={args.train_rows}",
        f"data.max_test_rows={args.test_rows}",
        "data.row_sample=random",
        f"data.max_length={args.finetune_length}",
        f"model.name_or_path={model}",
        f"train.epochs={args.epochs}",
        f"train.learning_rate={args.finetune_lr}",
        f"train.precision={args.precision}",
        f"train.seed={seed}",
        "train.report_to=[]",
        "train.progress_bar=false",
        f"output_dir={out}",
    ]
    return {"init": name, "seed": seed, **fine_tune("imdb", overrides, f"imdb-{name}-seed{seed}")}


def spread(rows: list[dict]) -> dict:
    """Mean and sample standard deviation of the test accuracy over seeds."""
    scores = [row["test_accuracy"] for row in rows]
    return {
        "test_accuracy_mean": round(statistics.mean(scores), 4),
        "test_accuracy_std": round(statistics.stdev(scores), 4) if len(scores) > 1 else 0.0,
        "seeds": [row["seed"] for row in rows],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=600, help="pretraining steps on the IMDB reviews")
    parser.add_argument("--max-length", type=int, default=128, help="tokens per packed pretraining sequence")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--pretrain-lr", default="1e-4", help="peak learning rate(s) of the adaptation, comma-separated: one run each"
    )
    parser.add_argument(
        "--mask-prob", type=float, help="fraction of tokens the generator fills (default: the product's)"
    )
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
    parser.add_argument("--train-rows", type=int, default=2_000)
    parser.add_argument("--test-rows", type=int, default=5_000)
    parser.add_argument("--finetune-length", type=int, default=256)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--finetune-lr", type=float, default=5e-5)
    parser.add_argument("--generator-init", default="auto", choices=["auto", "random", "discriminator"])
    parser.add_argument(
        "--generator-fraction",
        type=float,
        help="of the width (random; default 0.25) or depth (discriminator, auto; default 1/3)",
    )
    parser.add_argument(
        "--baseline",
        metavar="RESULT",
        help="reuse the original MiniLM fine-tunes of this earlier result (same fine-tune settings and seeds)",
    )
    parser.add_argument("--seeds", default="42", help="fine-tuning seeds, comma-separated (same rows for every seed)")
    parser.add_argument("--result", default="dapt_imdb", help="name of results/<name>.json")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "dapt_imdb"))
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    out = fresh_dir(args.out)
    minilm = offline_model("minilm")
    corpus = write_corpus(out)

    fine_tune_settings = {
        "train_rows": args.train_rows,
        "test_rows": args.test_rows,
        "epochs": args.epochs,
        "max_length": args.finetune_length,
        "learning_rate": args.finetune_lr,
        "precision": args.precision,
    }
    if args.baseline:
        earlier = json.loads(Path(args.baseline).read_text(encoding="utf-8"))
        original = [row for row in earlier["original"]["rows"] if row["seed"] in seeds]
        if earlier["fine_tune"] != fine_tune_settings or [row["seed"] for row in original] != seeds:
            raise SystemExit(f"{args.baseline}: its fine-tune settings differ from this run's, or it lacks some seeds")
    else:
        original = [fine_tune_imdb(minilm, "original", seed, out, args) for seed in seeds]
    baseline = spread(original)
    adapted = []
    for lr in (float(value) for value in args.pretrain_lr.split(",")):
        name = f"adapted-lr{lr:g}" + ("-random-generator" if args.generator_init == "random" else "-warm-generator")
        name += f"-mask{args.mask_prob:g}" if args.mask_prob else ""
        result = adapt(minilm, corpus, out / name, lr, args)
        rows = [fine_tune_imdb(result.discriminator_dir, name, seed, out, args) for seed in seeds]
        scores = spread(rows)
        adapted.append(
            {
                "pretraining": {
                    **result.metrics["run"],
                    "learning_rate": lr,
                    "generator_init": args.generator_init,
                    "generator_fraction": args.generator_fraction,
                    "precision": args.precision,
                    "batch_size": args.batch_size,
                    "max_length": args.max_length,
                    "report": str(result.run_dir / "pretrain_report.html"),
                },
                "diagnostics_over_steps": diagnostics_curve(result.run_dir),
                "rows": rows,
                **scores,
                "gain_points": round(100 * (scores["test_accuracy_mean"] - baseline["test_accuracy_mean"]), 2),
            }
        )
        print(f"lr {lr:g}: {scores} vs original {baseline}", flush=True)
    save_result(
        args.result,
        {
            "cpu": cpu_description(),
            "fine_tune": fine_tune_settings,
            "original": {"rows": original, **baseline, "from": args.baseline or "this run"},
            "adapted": adapted,
        },
    )


if __name__ == "__main__":
    main()
