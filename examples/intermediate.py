"""Intermediate: checkpoints and keep-best, early stopping, several metrics, validation on and off (SST-2).

    python examples/intermediate.py          # MiniLM-L6 (offline), 2,000 SST-2 sentences, up to 2 epochs per run
    python examples/intermediate.py --tiny   # a tiny random model: a smoke test (CI runs this)

Shell: electralab train --preset sst2 --model <encoder> --data-dir ../shared/data/sst2 train.eval_strategy=steps ...
"""

import json

from _setup import example_args, first_lines

import electralab as el

args = example_args(__doc__, "minilm", 2000, lambda data: first_lines(data / "sst2" / "stsa.binary.train", 300, 0))


def sst2(overrides: dict) -> el.RunConfig:
    """The sst2 preset on our rows, with a few settings of this example's own."""
    common = {"data.max_train_rows": args.rows, "train.epochs": 2, "train.learning_rate": 1e-4, "train.report_to": []}
    return el.load_config("sst2", model=args.model, data_dir=args.data_dir / "sst2", output_dir=args.output_dir,
                          overrides={**common, **overrides})  # fmt: skip


# 1. Validation on: score dev every few steps and checkpoint there, keep the best by macro-F1 (2 checkpoints on
#    disk at most, the best among them), stop when 3 evaluations in a row bring no improvement.
validated = el.fit(
    sst2({"train.eval_strategy": "steps", "train.eval_steps": max(2, args.rows // 100), "train.keep_checkpoints": 2,
          "train.metric_for_best": "f1_macro", "train.early_stopping_patience": 3}),
    run_name="keep-best",
)  # fmt: skip
run = validated.metrics["run"]
print(f"best checkpoint {run['best_checkpoint']} of {run['global_step']} steps")
for metric in ("accuracy", "f1_macro", "f1_micro", "f1_weighted", "loss"):  # several metrics, dev and test
    print(f"  {metric:>12}: dev {validated.metrics['dev'][metric]:.4f}  test {validated.metrics['test'][metric]:.4f}")

# 2. Validation off: no evaluation while training and the last model kept; dev and test are scored at the end.
blind = el.fit(sst2({"train.eval_strategy": "no"}), run_name="no-validation")
best, last = validated.metrics["test"]["accuracy"], blind.metrics["test"]["accuracy"]
print(f"test accuracy: best by dev {best:.4f}, last {last:.4f}")

checkpoints = sorted(path.name for path in (validated.run_dir / "checkpoints").iterdir())
print(
    json.dumps(
        {
            "keep_best": str(validated.run_dir),
            "checkpoints": checkpoints,
            "run": run,
            "no_validation_run": blind.metrics["run"],
            "test_accuracy": validated.metrics["test"]["accuracy"],
        }
    )
)
