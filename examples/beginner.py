"""Beginner: fine-tune an encoder on Korean movie reviews (NSMC), evaluate it, predict new reviews.

    python examples/beginner.py           # multilingual-e5-small (offline), 3,000 NSMC reviews, one epoch
    python examples/beginner.py --tiny    # a tiny random model and 120 reviews: a smoke test (CI runs this)

The same run from the shell: electralab train --preset nsmc --data-dir ../shared/data/nsmc --model <encoder>
  data.max_train_rows=3000 data.max_test_rows=1000 train.epochs=1 train.freeze_word_embeddings=true
"""

import json

from _setup import example_args, first_lines

import electralab as el

args = example_args(__doc__, "me5-small", 3000, lambda data: first_lines(data / "nsmc" / "ratings_train.txt"))

# 1. Configure: a preset names the files and the recipe; keywords and dotted overrides adjust it.
config = el.load_config(
    "nsmc",
    model=args.model,
    data_dir=args.data_dir / "nsmc",
    output_dir=args.output_dir,
    overrides={
        "data.max_train_rows": args.rows,
        "data.max_test_rows": args.rows // 3,
        "train.epochs": 1,
        "train.freeze_word_embeddings": True,  # me5-small's 250k-token table: frozen, a CPU step is ~5x faster
    },
)

# 2. Fit: train, keep the best checkpoint by dev accuracy, score dev and test, write a run folder.
result = el.fit(config, run_name="beginner")
print(f"test accuracy {result.metrics['test']['accuracy']:.4f}; report: {result.report}")

# 3. Load the saved model once; evaluate it on labelled texts (here: a few hand-written reviews).
model = el.load_model(result.model_dir)
reviews = ["정말 재밌어요. 또 보고 싶어요", "시간 낭비였다. 최악", "배우들 연기가 훌륭했다", "지루하고 뻔한 전개"]
metrics = el.evaluate(model, texts=reviews, labels=["positive", "negative", "positive", "negative"])

# 4. Predict: one dict per text, with the label, its score and every label's probability.
for prediction in el.predict(model, reviews):
    print(f"{prediction['label']:>8}  {prediction['score']:.3f}  {prediction['text']}")

summary = {"run_dir": str(result.run_dir), "test_accuracy": result.metrics["test"]["accuracy"]}
print(json.dumps({**summary, "test_rows": result.metrics["test"]["rows"], "handwritten_accuracy": metrics["accuracy"]}))
