"""Expert: warmup schedule, gradient accumulation, clipping, layer-wise LR decay and freezing (KLUE-YNAT topics).

    python examples/expert.py          # multilingual-e5-small (offline), 4,000 news headlines, 7 topics
    python examples/expert.py --tiny   # a tiny random model: a smoke test (CI runs this)

Shell: electralab train --preset ynat --model <encoder> --data-dir ../shared/data/klue_ynat train.warmup=0.1 ...
"""

import json

from _setup import example_args, first_lines

import electralab as el

args = example_args(__doc__, "me5-small", 4000, lambda data: first_lines(data / "klue_ynat" / "ynat-v1.1_train.tsv"))

recipe = {
    "train.epochs": 2,
    "train.batch_size": 16,
    "train.grad_accumulation": 2,  # 16 x 2 = 32 examples per optimiser step
    "train.learning_rate": 1e-4,  # the top encoder layer's peak learning rate ...
    "train.layer_lr_decay": 0.8,  # ... times 0.8 per layer further down (the embeddings get the least)
    "train.head_learning_rate": 1e-3,  # a new head learns faster than the pretrained encoder
    "train.warmup": 0.1,  # linear warmup over the first 10% of the steps ...
    "train.scheduler": "cosine",  # ... then cosine decay
    "train.max_grad_norm": 1.0,  # clip the global gradient norm
    "train.freeze_word_embeddings": True,  # me5-small's 250k-token table stays as pretrained
    "train.freeze_layers": 2,  # and so do its two lowest layers
    "train.freeze_encoder_epochs": 0.25,  # the first quarter epoch trains the head alone
    "train.metric_for_best": "f1_macro",
    "train.logging_steps": max(1, args.rows // 400),  # log the learning rate often enough to see its shape
    "data.max_train_rows": args.rows,
    "data.max_test_rows": args.rows // 2,
    "data.row_sample": "random",  # a seeded random sample of the rows, not the first ones
}
result = el.fit(el.load_config("ynat", model=args.model, data_dir=args.data_dir / "klue_ynat",
                               output_dir=args.output_dir, overrides=recipe), run_name="expert")  # fmt: skip

# The learning rate the Trainer logged: up during warmup, then down (cosine).
history = json.loads((result.run_dir / "log_history.json").read_text(encoding="utf-8"))
rates = [entry["learning_rate"] for entry in history if "learning_rate" in entry]
per_class = result.metrics["test"]["per_class"]
for topic, scores in per_class.items():
    print(f"{topic:>8}: F1 {scores['f1']:.3f} (support {scores['support']})")
print(
    json.dumps(
        {
            "run_dir": str(result.run_dir),
            "test_f1_macro": result.metrics["test"]["f1_macro"],
            "learning_rates": rates,
            "notes": result.metrics["notes"],
            "classes": len(per_class),
        }
    )
)
