"""electralab's defaults vs a plain Hugging Face Trainer, dataset by dataset (issue: compare and defaults).

Per dataset, electralab runs its preset with nothing set but the model, the rows, the epochs and the seed (and
frozen word embeddings for multilingual-e5-small); beside it, `AutoModelForSequenceClassification` + `Trainer`
with the Trainer's own recipe (lr 5e-5, linear decay, no warmup, no weight decay) at the same batch size and
maximum length, on exactly electralab's train/dev/test rows (its seeded dev carve), the same epochs and seed,
keeping the best epoch by the same dev metric. The score is test accuracy (macro-F1 for KLUE-YNAT); the
acceptance is the mean difference over the datasets, and the worst one.

Usage: python benchmarks/defaults_vs_hf.py [--datasets sst2,nsmc,ynat] [--epochs 2] [--seed 42]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import ROOT, SHARED, cpu_description, offline_model, save_result
from sklearn.metrics import accuracy_score, f1_score
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
from electralab.training.recipe import run_training

FROZEN = "train.freeze_word_embeddings=true"
DATASETS = {
    "sst2": {"model": "minilm", "folder": "sst2", "metric": "accuracy", "overrides": []},
    "nsmc": {
        "model": "me5-small",
        "folder": "nsmc",
        "metric": "accuracy",
        "overrides": ["data.max_train_rows=10000", "data.max_test_rows=5000", FROZEN],
    },
    "ynat": {
        "model": "me5-small",
        "folder": "klue_ynat",
        "metric": "f1_macro",
        "overrides": ["data.max_train_rows=10000", FROZEN],
    },
}


def settings(name: str, model: str, args: argparse.Namespace) -> list[str]:
    spec = DATASETS[name]
    return [
        f"data.data_dir={SHARED / 'data' / spec['folder']}",
        f"model.name_or_path={model}",
        f"train.epochs={args.epochs}",
        f"train.seed={args.seed}",
        *spec["overrides"],
    ]


def ours(name: str, model: str, args: argparse.Namespace) -> dict:
    overrides = [*settings(name, model, args), "train.report_to=[]", "train.progress_bar=false",
                 f"output_dir={ROOT / 'benchmarks' / 'out' / 'defaults_vs_hf'}"]  # fmt: skip
    config = build_config(name, overrides=overrides)
    started = time.perf_counter()
    result = run_training(config, run_name=f"{name}-ours")
    test = result.metrics["test"]
    return {
        "head": result.metrics["run"]["head"],
        "test_accuracy": test["accuracy"],
        "test_f1_macro": test["f1_macro"],
        "seconds": round(time.perf_counter() - started, 1),
        "run_dir": str(result.run_dir),
    }


def reference(name: str, model: str, args: argparse.Namespace) -> dict:
    """AutoModelForSequenceClassification + a plain Trainer on electralab's rows, best epoch by the same dev metric."""
    config = build_config(name, overrides=settings(name, model, args))
    splits = load_splits(config.data, args.seed)
    names = splits.label_names
    tokenizer = AutoTokenizer.from_pretrained(model)

    def encode(ds):
        return ds.map(
            lambda b: {
                **tokenizer(b["text"], truncation=True, max_length=config.data.max_length),
                "labels": [names.index(x) for x in b["label"]],
            },
            batched=True,
            remove_columns=ds.column_names,
        )

    def scores(p):
        predicted = np.argmax(p.predictions, -1)
        return {
            "accuracy": float(accuracy_score(p.label_ids, predicted)),
            "f1_macro": float(f1_score(p.label_ids, predicted, average="macro")),
        }

    set_seed(args.seed)
    net = AutoModelForSequenceClassification.from_pretrained(model, num_labels=len(names))
    if FROZEN in DATASETS[name]["overrides"]:
        net.get_input_embeddings().weight.requires_grad_(False)
    training = TrainingArguments(
        output_dir=str(ROOT / "benchmarks" / "out" / "defaults_vs_hf" / f"{name}-hf"),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=config.train.batch_size,
        per_device_eval_batch_size=64,
        seed=args.seed,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model=DATASETS[name]["metric"],
        save_total_limit=1,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=False,
    )
    trainer = Trainer(
        model=net,
        args=training,
        train_dataset=encode(splits.train),
        eval_dataset=encode(splits.dev),
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=scores,
    )
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    test = trainer.evaluate(encode(splits.test))
    return {
        "test_accuracy": test["eval_accuracy"],
        "test_f1_macro": test["eval_f1_macro"],
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--result", default="defaults_vs_hf")
    args = parser.parse_args()
    names = args.datasets.split(",")
    unknown = set(names) - set(DATASETS)
    if unknown:
        raise SystemExit(f"--datasets: unknown {sorted(unknown)}; expected some of {list(DATASETS)}")
    rows = []
    for name in names:
        model = offline_model(DATASETS[name]["model"])
        score = "test_" + DATASETS[name]["metric"]
        row = {"dataset": name, "model": DATASETS[name]["model"], "score": score}
        row["electralab"] = ours(name, model, args)
        row["hf_trainer"] = reference(name, model, args)
        row["difference_points"] = round(100 * (row["electralab"][score] - row["hf_trainer"][score]), 2)
        rows.append(row)
        print(row, flush=True)
        differences = [r["difference_points"] for r in rows]
        save_result(
            args.result,
            {
                "cpu": cpu_description(),
                "epochs": args.epochs,
                "seed": args.seed,
                "rows": rows,
                "mean_difference_points": round(statistics.mean(differences), 2),
                "worst_difference_points": min(differences),
            },
        )


if __name__ == "__main__":
    main()
