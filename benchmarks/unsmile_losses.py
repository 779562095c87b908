"""korean_unsmile multi-label with the offline multilingual-e5-small (word embeddings frozen, mean-pooling
head): BCE vs BCE + pos_weight vs focal loss, same seed and recipe, each scored at threshold 0.5 and with
per-label thresholds tuned on a dev split carved out of train. Test = unsmile_valid_v1.0.tsv.

Usage: python benchmarks/unsmile_losses.py [--epochs 1] [--losses bce pos_weight focal] [--head mean]
"""

from __future__ import annotations

import argparse
import time

from common import ROOT, SHARED, offline_model, save_result

from electralab.config import build_config
from electralab.training.recipe import run_training

VARIANTS = {
    "bce": ["train.loss=bce"],
    "pos_weight": ["train.loss=bce", "train.pos_weight=balanced"],
    "focal": ["train.loss=focal", "train.focal_gamma=2.0"],
}


def run(model: str, variant: str, epochs: float, head: str, out: str) -> dict:
    config = build_config(
        "unsmile",
        overrides=[
            f"data.data_dir={SHARED / 'data' / 'korean_unsmile'}",
            f"model.name_or_path={model}",
            f"train.epochs={epochs}",
            "train.freeze_word_embeddings=true",
            f"model.head={head}",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={out}",
            *VARIANTS[variant],
        ],
    )
    started = time.perf_counter()
    result = run_training(config, run_name=f"unsmile-{variant}")
    test = result.metrics["test"]
    return {
        "variant": variant,
        "head": head,
        "f1_micro_at_0.5": test["f1_micro_at_0.5"],
        "f1_macro_at_0.5": test["f1_macro_at_0.5"],
        "f1_micro_tuned": test["f1_micro"],
        "f1_macro_tuned": test["f1_macro"],
        "f1_samples_tuned": test["f1_samples"],
        "exact_match_tuned": test["exact_match"],
        "roc_auc_macro": test["roc_auc_macro"],
        "collapsed": test["collapsed"],
        "per_label": {
            name: {"f1_tuned": s["f1"], "f1_at_0.5": s["f1_at_global"], "threshold": s["threshold"]}
            for name, s in test["per_class"].items()
        },
        "seconds": round(time.perf_counter() - started, 1),
        "run_dir": str(result.run_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--losses", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--head", default="mean", help="e5 encoders are trained with mean pooling")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "unsmile"))
    args = parser.parse_args()
    model = offline_model("me5-small")
    rows = []
    for variant in args.losses:
        rows.append(run(model, variant, args.epochs, args.head, args.out))
        save_result(
            "unsmile_losses",
            {"model": "multilingual-e5-small (offline), word embeddings frozen", "epochs": args.epochs, "rows": rows},
        )
        print({k: v for k, v in rows[-1].items() if k != "per_label"}, flush=True)


if __name__ == "__main__":
    main()
