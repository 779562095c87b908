"""ELECTRA from scratch on NSMC: a WordPiece vocabulary built from NSMC train text, a small discriminator
(ELECTRA-small-shaped, fewer layers by default) pretrained on the NSMC train documents (labels unused)
within a wall-clock budget, then fine-tuned on the first 20,000 train rows and tested on the first 5,000
test rows, side by side with the same architecture fine-tuned from random init (same seed and recipe).

The budget is kept by calibration: a short run measures seconds per step, then the real run gets the
number of steps that fits (so its learning-rate schedule ends properly).

Usage: python benchmarks/pretrain_nsmc.py [--minutes 30] [--layers 6] [--precision bf16]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from common import ROOT, SHARED, diagnostics_curve, fine_tune, fresh_dir, save_result
from transformers import AutoTokenizer, ElectraConfig, ElectraModel, set_seed

from electralab.config import build_pretrain_config
from electralab.data.readers import read_split
from electralab.training.recipe import run_pretraining
from electralab.vocab.build import build_vocab

NSMC = SHARED / "data" / "nsmc"
SEED = 42


def write_corpus(out: Path) -> Path:
    """NSMC train documents, one per line (labels dropped, empty documents skipped)."""
    texts = [text for text in read_split("nsmc", NSMC / "ratings_train.txt")["text"][:] if text.strip()]
    path = out / "nsmc_train_documents.txt"
    path.write_text("".join(f"{' '.join(text.split())}\n" for text in texts), encoding="utf-8")
    return path


def pretrain(corpus: Path, vocab: Path, arch: Path, out: Path, steps: int, args: argparse.Namespace):
    config = build_pretrain_config(
        overrides=[
            f"model.from_scratch={arch}",
            f"model.vocab={vocab}",
            f"corpus.paths=[{corpus}]",
            f"corpus.max_length={args.max_length}",
            f"train.max_steps={steps}",
            f"train.batch_size={args.batch_size}",
            f"train.learning_rate={args.pretrain_lr}",
            f"train.warmup_steps={max(1, int(steps * args.warmup))}",
            f"model.generator_fraction={args.generator_fraction}",
            f"train.precision={args.precision}",
            f"train.logging_steps={max(5, steps // 40)}",
            f"train.view_steps={max(5, steps // 10)}",
            f"train.save_steps={max(5, steps // 4)}",
            f"train.seed={SEED}",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={out}",
        ]
    )
    return run_pretraining(config, run_name="nsmc-scratch")


def random_init(pretrained: Path, folder: Path, seed: int = SEED) -> Path:
    """The same architecture and tokenizer as ``pretrained`` with freshly initialised weights, in ``folder``."""
    set_seed(seed)
    model = ElectraModel(ElectraConfig.from_pretrained(pretrained))
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(pretrained).save_pretrained(folder)
    return folder


def fine_tune_nsmc(model: Path, name: str, out: Path, args: argparse.Namespace) -> dict:
    overrides = [
        f"data.data_dir={NSMC}",
        f"data.max_train_rows={args.train_rows}",
        f"data.max_test_rows={args.test_rows}",
        f"model.name_or_path={model}",
        f"train.epochs={args.epochs}",
        f"train.learning_rate={args.finetune_lr}",
        "train.warmup=0.1",
        f"train.seed={SEED}",
        "train.report_to=[]",
        "train.progress_bar=false",
        f"output_dir={out}",
    ]
    return {"init": name, **fine_tune("nsmc", overrides, f"nsmc-{name}")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget of the pretraining run")
    parser.add_argument("--vocab-size", type=int, default=16000)
    parser.add_argument("--layers", type=int, default=6, help="ELECTRA-small has 12")
    parser.add_argument("--hidden-size", type=int, default=256, help="ELECTRA-small: 256 (4 heads, FFN 4x)")
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--embedding-size", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1, help="encoder dropout (pretraining, fine-tuning)")
    parser.add_argument("--generator-fraction", type=float, default=0.25)
    parser.add_argument("--warmup", type=float, default=0.1, help="pretraining warmup as a fraction of its steps")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--pretrain-lr", type=float, default=5e-4, help="the product's default for small models")
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--test-rows", type=int, default=5_000)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--finetune-lr", type=float, default=2e-4)
    parser.add_argument("--no-random", action="store_true", help="skip the random-init fine-tune (exploration)")
    parser.add_argument(
        "--also-generator", action="store_true", help="also fine-tune the generator's encoder and its random-init twin"
    )
    parser.add_argument("--result", default="pretrain_nsmc", help="name of the results/<name>.json file")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "pretrain_nsmc"))
    args = parser.parse_args()
    out = fresh_dir(args.out)

    corpus = write_corpus(out)
    started = time.perf_counter()
    vocab = build_vocab([str(corpus)], out / "vocab", size=args.vocab_size)
    vocab_seconds = time.perf_counter() - started
    arch = out / "electra_config.json"
    shape = {
        "hidden_size": args.hidden_size,
        "num_attention_heads": args.heads,
        "intermediate_size": 4 * args.hidden_size,
        "embedding_size": args.embedding_size,
        "hidden_dropout_prob": args.dropout,
        "attention_probs_dropout_prob": args.dropout,
    }
    arch.write_text(json.dumps({**shape, "num_hidden_layers": args.layers, "max_position_embeddings": 512}))

    calibration = pretrain(corpus, vocab.folder, arch, out / "calibration", 20, args)
    per_step = calibration.metrics["run"]["train_seconds"] / 20
    steps = int(args.minutes * 60 * 0.95 / per_step)
    print(f"calibration: {per_step:.2f} s/step → {steps} steps in {args.minutes:g} minutes", flush=True)
    shutil.rmtree(out / "calibration")

    result = pretrain(corpus, vocab.folder, arch, out / "pretrain", steps, args)
    curve = diagnostics_curve(result.run_dir)
    rows = [fine_tune_nsmc(result.discriminator_dir, "pretrained", out, args)]
    if not args.no_random:
        rows.append(fine_tune_nsmc(random_init(result.discriminator_dir, out / "random-init"), "random", out, args))
    generator_rows = []
    if args.also_generator:  # does masked-LM pretraining alone transfer at this budget?
        generator_rows.append(fine_tune_nsmc(result.generator_dir, "generator-pretrained", out, args))
        folder = random_init(result.generator_dir, out / "random-init-generator")
        generator_rows.append(fine_tune_nsmc(folder, "generator-random", out, args))
    save_result(
        args.result,
        {
            "vocab": {"size": vocab.size, "documents": vocab.documents, "seconds": round(vocab_seconds, 1)},
            "architecture": {**shape, "num_hidden_layers": args.layers, "generator_fraction": args.generator_fraction},
            "pretraining": {
                **result.metrics["run"],
                "precision": args.precision,
                "batch_size": args.batch_size,
                "max_length": args.max_length,
                "budget_minutes": args.minutes,
                "report": str(result.run_dir / "pretrain_report.html"),
            },
            "diagnostics_over_steps": curve,
            "fine_tune": {
                "train_rows": args.train_rows,
                "test_rows": args.test_rows,
                "epochs": args.epochs,
                "learning_rate": args.finetune_lr,
                "rows": rows,
                "generator_rows": generator_rows,
            },
            "win_points": round(100 * (rows[0]["test_accuracy"] - rows[-1]["test_accuracy"]), 2),
        },
    )
    for row in rows + generator_rows:
        print(row, flush=True)


if __name__ == "__main__":
    main()
