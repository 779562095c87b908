"""Domain adaptation: further-pretrain an encoder as an ELECTRA discriminator on movie reviews, then fine-tune it.

    python examples/domain_adaptation.py          # MiniLM-L6 (offline), 150 adaptation steps on SST-2 text
    python examples/domain_adaptation.py --tiny   # a tiny random model: a smoke test (CI runs this)

Shell: electralab pretrain --discriminator <encoder> --corpus reviews.txt train.max_steps=150, then
       electralab train --preset sst2 --model runs/pretrain-.../discriminator
"""

import json

from _setup import example_args, first_lines

import electralab as el

args = example_args(__doc__, "minilm", 2000, lambda data: first_lines(data / "sst2" / "stsa.binary.train", 300))

# 1. The domain corpus: one document per line (here the SST-2 training sentences, labels dropped).
sentences = first_lines(args.data_dir / "sst2" / "stsa.binary.train", count=10_000)
corpus = args.output_dir / "sst2_corpus.txt"
corpus.parent.mkdir(parents=True, exist_ok=True)
corpus.write_text("\n".join(sentences) + "\n", encoding="utf-8")

# 2. Replaced-token detection: a generator (by default a copy of the encoder's lower third of layers) fills masked
#    tokens, the discriminator (our encoder plus a small head) learns to spot them. Every 25 steps the run shows one
#    sequence: what was replaced and what was caught (also in pretrain_report.html).
steps = 150 if not args.tiny else 6
pretrain_config = el.load_pretrain_config(
    discriminator=args.model,
    corpus=[corpus],
    output_dir=args.output_dir,
    overrides={"corpus.max_length": 64, "train.max_steps": steps, "train.learning_rate": 1e-4,
               "train.view_steps": 25, "train.logging_steps": 25, "train.save_steps": steps, "train.report_to": []},
)  # fmt: skip
adapted = el.pretrain(pretrain_config)
last = adapted.metrics["last_log"]
print(f"after {steps} steps: discriminator loss {last.get('loss', float('nan')):.3f}; report: {adapted.report}")

# 3. Fine-tune the adapted discriminator like any encoder.
config = el.load_config(
    "sst2",
    model=adapted.discriminator_dir,
    data_dir=args.data_dir / "sst2",
    output_dir=args.output_dir,
    overrides={"data.max_train_rows": args.rows, "train.epochs": 1, "train.learning_rate": 1e-4},
)
fine_tuned = el.fit(config, run_name="sst2-adapted")
print(f"SST-2 test accuracy after adaptation: {fine_tuned.metrics['test']['accuracy']:.4f}")
print(
    json.dumps(
        {
            "pretrain_run": str(adapted.run_dir),
            "pretrain_steps": adapted.metrics["run"]["global_step"],
            "discriminator": str(adapted.discriminator_dir),
            "fine_tune_run": str(fine_tuned.run_dir),
            "test_accuracy": fine_tuned.metrics["test"]["accuracy"],
        }
    )
)
