"""Multi-label: Korean hate speech (korean_unsmile, 10 labels), a sigmoid per label and thresholds tuned on dev.

    python examples/multilabel.py          # multilingual-e5-small (offline), all 15,005 training comments, 1 epoch
    python examples/multilabel.py --tiny   # a tiny random model: a smoke test (CI runs this)

Shell: electralab train --preset unsmile --model <encoder> --data-dir ../shared/data/korean_unsmile model.head=mean ...
"""

import json

from _setup import example_args, first_lines

import electralab as el

TRAIN_FILE = "korean_unsmile/unsmile_train_v1.0.tsv"
args = example_args(__doc__, "me5-small", 0, lambda data: first_lines(data / TRAIN_FILE, column=0))

config = el.load_config(
    "unsmile",  # multi-hot label columns, `clean` as the none label, best checkpoint by macro ROC-AUC
    model=args.model,
    head="mean",  # e5 encoders were trained with mean pooling
    data_dir=args.data_dir / "korean_unsmile",
    output_dir=args.output_dir,
    overrides={
        "train.epochs": 1,
        "train.freeze_word_embeddings": True,
        "train.pos_weight": "balanced",  # rare labels: weigh positives by negatives/positives in train
        "train.tune_thresholds": True,  # per label, the threshold that maximises its F1 on dev
        "data.max_train_rows": args.rows or None,  # 0: every row
    },
)
result = el.fit(config, run_name="multilabel")
test = result.metrics["test"]
print(f"micro-F1 at 0.5: {test['f1_micro_at_0.5']:.4f}; at the tuned thresholds: {test['f1_micro']:.4f}")
for label, scores in test["per_class"].items():
    print(f"{label:>8}: threshold {scores['threshold']:.2f}  F1 {scores['f1']:.3f} (0.5: {scores['f1_at_global']:.3f})")

# The thresholds are saved with the model: predict() applies them.
comments = ["오늘 날씨 정말 좋네요", "여자들은 다 이래서 안돼"]
predictions = el.predict(result.model_dir, comments)
for prediction in predictions:
    print(prediction["labels"], prediction["text"])
thresholds = {label: scores["threshold"] for label, scores in test["per_class"].items()}
summary = {"run_dir": str(result.run_dir), "f1_micro": test["f1_micro"], "f1_micro_at_0.5": test["f1_micro_at_0.5"]}
summary.update(thresholds=thresholds, predicted=[prediction["labels"] for prediction in predictions])
print(json.dumps(summary, ensure_ascii=False))
