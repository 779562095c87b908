"""NSMC heads with the offline multilingual-e5-small: first 10,000 train rows (dev carved out of them),
1 epoch, word embeddings frozen, first 5,000 test rows. Optionally a plain Hugging Face Trainer reference
(AutoModelForSequenceClassification, same rows, same recipe) side by side.

Usage: python benchmarks/nsmc_heads.py [--heads cls mean attention lstm cnn] [--reference]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import ROOT, SHARED, fine_tune, offline_model, save_result
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    set_seed,
)

from electralab.config import build_config
from electralab.data.prepare import load_splits

TRAIN_ROWS, TEST_ROWS, SEED = 10_000, 5_000, 42
COMMON = [
    f"data.data_dir={SHARED / 'data' / 'nsmc'}",
    f"data.max_train_rows={TRAIN_ROWS}",
    f"data.max_test_rows={TEST_ROWS}",
    "train.epochs=1",
    "train.freeze_word_embeddings=true",
    f"train.seed={SEED}",
    "train.report_to=[]",
    "train.progress_bar=false",
]


def ours(model: str, head: str, out: str) -> dict:
    overrides = [*COMMON, f"model.name_or_path={model}", f"model.head={head}", f"output_dir={out}"]
    return {"head": head, **fine_tune("nsmc", overrides, f"nsmc-{head}")}


def reference(model: str, out: str) -> dict:
    """The same rows and recipe through AutoModelForSequenceClassification + a plain Trainer."""
    config = build_config("nsmc", overrides=[*COMMON, f"model.name_or_path={model}"])
    splits = load_splits(config.data, SEED)  # the same train/dev/test rows as ours
    tokenizer = AutoTokenizer.from_pretrained(model)
    names = splits.label_names

    def encode(ds):
        return ds.map(
            lambda b: {
                **tokenizer(b["text"], truncation=True, max_length=128),
                "labels": [names.index(x) for x in b["label"]],
            },
            batched=True,
            remove_columns=ds.column_names,
        )

    set_seed(SEED)
    net = AutoModelForSequenceClassification.from_pretrained(model, num_labels=2)
    net.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    args = TrainingArguments(
        output_dir=out + "/hf-reference",
        num_train_epochs=1,
        per_device_train_batch_size=32,
        per_device_eval_batch_size=64,
        learning_rate=5e-5,
        warmup_steps=0,
        lr_scheduler_type="linear",
        weight_decay=0.01,
        seed=SEED,
        eval_strategy="no",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=False,
    )

    def accuracy(p):
        return {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())}

    trainer = Trainer(
        model=net,
        args=args,
        train_dataset=encode(splits.train),
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=accuracy,
    )
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    return {
        "head": "hf-reference (pooler)",
        "test_accuracy": trainer.evaluate(encode(splits.test))["eval_accuracy"],
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heads", nargs="+", default=["cls", "mean", "attention", "lstm", "cnn"])
    parser.add_argument("--reference", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "nsmc"))
    args = parser.parse_args()
    model = offline_model("me5-small")
    rows = []
    for head in args.heads:
        rows.append(ours(model, head, args.out))
        save_result(
            "nsmc_heads",
            {
                "model": "multilingual-e5-small (offline), word embeddings frozen",
                "train_rows": TRAIN_ROWS,
                "test_rows": TEST_ROWS,
                "rows": rows,
            },
        )
        print(rows[-1], flush=True)
    if args.reference:
        rows.append(reference(model, args.out))
    print(
        save_result(
            "nsmc_heads",
            {
                "model": "multilingual-e5-small (offline), word embeddings frozen",
                "train_rows": TRAIN_ROWS,
                "test_rows": TEST_ROWS,
                "rows": rows,
            },
        )
    )
    for row in rows:
        print(f"| {row['head']} | {row['test_accuracy']:.4f} |")


if __name__ == "__main__":
    main()
