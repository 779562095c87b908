"""SST-2 with the offline MiniLM, head cls, 3 epochs: electralab vs a plain Hugging Face Trainer run.

Both runs use the same model, data, seed and hyperparameters, one after the other in this process.
Usage: python benchmarks/sst2_vs_hf.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import ROOT, SHARED, offline_model, save_result
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    set_seed,
)

from electralab.config import build_config
from electralab.data.readers import read_split
from electralab.training.recipe import run_training

LR, BATCH, WARMUP, MAX_LEN, SEED = 5e-5, 32, 0.1, 66, 42


def ours(model: str, epochs: float, out: str) -> dict:
    config = build_config(
        "sst2",
        overrides=[
            f"model.name_or_path={model}",
            "model.head=cls",
            f"data.data_dir={SHARED / 'data' / 'sst2'}",
            f"train.epochs={epochs}",
            f"train.learning_rate={LR}",
            f"train.batch_size={BATCH}",
            f"train.warmup={WARMUP}",
            f"data.max_length={MAX_LEN}",
            f"train.seed={SEED}",
            f"output_dir={out}",
            "train.report_to=[]",
            "train.progress_bar=false",
        ],
    )
    started = time.perf_counter()
    result = run_training(config, run_name="sst2-ours")
    return {
        "test_accuracy": result.metrics["test"]["accuracy"],
        "dev_accuracy": result.metrics["dev"]["accuracy"],
        "seconds": time.perf_counter() - started,
        "run_dir": str(result.run_dir),
    }


def reference(model: str, epochs: float, out: str) -> dict:
    """AutoModelForSequenceClassification + Trainer, as the Hugging Face examples do it."""
    data_dir = SHARED / "data" / "sst2"
    names = ["negative", "positive"]
    tokenizer = AutoTokenizer.from_pretrained(model)

    def load(split: str):
        ds = read_split("sst2", data_dir / f"stsa.binary.{split}")
        return ds.map(
            lambda b: {
                **tokenizer(b["text"], truncation=True, max_length=MAX_LEN),
                "labels": [names.index(x) for x in b["label"]],
            },
            batched=True,
            remove_columns=ds.column_names,
        )

    train, dev, test = load("train"), load("dev"), load("test")
    set_seed(SEED)
    net = AutoModelForSequenceClassification.from_pretrained(model, num_labels=2)
    args = TrainingArguments(
        output_dir=out + "/hf-reference",
        num_train_epochs=epochs,
        per_device_train_batch_size=BATCH,
        per_device_eval_batch_size=64,
        learning_rate=LR,
        warmup_steps=WARMUP,
        weight_decay=0.01,
        lr_scheduler_type="linear",
        seed=SEED,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        save_total_limit=2,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=False,
    )

    def accuracy(p):
        return {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())}

    trainer = Trainer(
        model=net,
        args=args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=accuracy,
    )
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    return {
        "test_accuracy": trainer.evaluate(test)["eval_accuracy"],
        "dev_accuracy": trainer.evaluate(dev)["eval_accuracy"],
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "sst2"))
    args = parser.parse_args()
    model = offline_model("minilm")
    result = {
        "model": "all-MiniLM-L6-v2 (offline)",
        "epochs": args.epochs,
        "lr": LR,
        "batch": BATCH,
        "warmup": WARMUP,
        "seed": SEED,
        "electralab": ours(model, args.epochs, args.out),
        "hf_reference": reference(model, args.epochs, args.out),
    }
    gap = result["hf_reference"]["test_accuracy"] - result["electralab"]["test_accuracy"]
    result["gap_points"] = round(100 * gap, 2)
    print(save_result("sst2_vs_hf", result))
    print(
        f"| electralab (cls) | {result['electralab']['test_accuracy']:.4f} |\n"
        f"| HF Trainer reference | {result['hf_reference']['test_accuracy']:.4f} |\n| gap (pt) | {100 * gap:.2f} |"
    )


if __name__ == "__main__":
    main()
