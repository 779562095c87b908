"""Reference check of electralab's ELECTRA objective: the same run, once through ``electralab pretrain`` and once
through replaced-token detection wired from Hugging Face classes alone, compared step by step.

Ours: ``run_pretraining`` (the ``electralab pretrain --from-scratch`` recipe) on the first ``--lines`` NSMC train
documents, unchanged: its Trainer, data order, masking, sampling, loss and optimiser. A callback keeps its
initial weights and, at every training forward, the batch, the masks and the losses it produced.

Reference (after ours has finished): an ``ElectraForMaskedLM`` generator and an ``ElectraForPreTraining``
discriminator, built from the same configs, wired as in Clark et al. (2020) and the original TF code:

* the generator reuses the discriminator's embedding block (word, position and token-type tables and the
  embedding LayerNorm; ``embeddings_project`` stays each model's own), its output layer tied to the word table;
* generator loss: HF's own masked-LM loss (labels = original ids at the masked positions, -100 elsewhere);
* replacements: Gumbel-max samples from the generator's softmax at temperature 1 (``torch.no_grad``: no
  gradient through sampling), written at every masked position; label = corrupted token differs from the
  original (a sample equal to the original counts as original);
* discriminator loss: HF's own ``ElectraForPreTraining`` loss, binary cross-entropy over every real
  (attention_mask = 1) token, [CLS]/[SEP] included; total = MLM + 50 × discriminator (ours' objective weights);
* AdamW (β 0.9/0.999, ε and weight decay from ours' config, no decay on biases and LayerNorm), clipping at
  ours' max_grad_norm, linear warmup then linear decay (``get_linear_schedule_with_warmup``), fp32.

Shared between the two sides: the corpus, the vocabulary and tokenisation, the packed sequences and their batch
order (the reference replays ours' batches), the masks (the reference takes ours' masked positions and
[MASK]-shown inputs, i.e. the output of electralab's ``mask_tokens``), the model configs, the initial weights
(ours' weights before step 1 are loaded into the reference; ``initial_weights_match_fresh_hf_build`` says whether a
fresh HF build with the same seed already had them), the seed and the optimiser settings and steps.
Not shared: the sampled replacements (ours: inverse-CDF from the global RNG; reference: Gumbel-max from its own
seeded RNG, so the discriminator sees different corruptions; ``--replay-samples`` makes the reference use ours'
samples instead), dropout noise, and the AdamW kernel (ours: the Trainer's fused one; reference: torch's default).
With ``--dropout 0 --replay-samples`` any difference beyond float rounding is a difference of objective or
optimiser. The masks being shared, how positions are chosen is not compared (ours: each non-special token with
probability 0.15; the original code: exactly round(0.15 × real tokens) positions per sequence).

Recorded per step for both: generator MLM loss, discriminator loss, discriminator ROC-AUC (sklearn, over real
tokens) and replaced fraction. Results: ``results/<name>.json`` (curves and summary) and ``results/<name>_curves.png``.

Usage: cd benchmarks && python rtd_reference.py [--steps 300] [--lines 4000] [--batch-size 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from common import ROOT, SHARED, cpu_description, fresh_dir, save_result
from sklearn.metrics import roc_auc_score
from transformers import (
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraForPreTraining,
    TrainerCallback,
    get_linear_schedule_with_warmup,
    set_seed,
)

from electralab.config import build_pretrain_config
from electralab.data.readers import read_split
from electralab.training.recipe import run_pretraining
from electralab.vocab.build import build_vocab

NSMC = SHARED / "data" / "nsmc"
METRICS = ("mlm_loss", "disc_loss", "disc_auc", "replaced_fraction")
BATCH_KEYS = ("input_ids", "attention_mask", "masked_input_ids", "masked_positions", "sampled_ids")


def write_corpus(out: Path, lines: int) -> Path:
    """The first ``lines`` non-empty NSMC train documents, one per line (labels dropped)."""
    texts = [" ".join(text.split()) for text in read_split("nsmc", NSMC / "ratings_train.txt")["text"][:]]
    path = out / "nsmc_documents.txt"
    path.write_text("".join(f"{text}\n" for text in [t for t in texts if t][:lines]), encoding="utf-8")
    return path


def step_metrics(mlm_loss: float, disc_loss: float, logits: torch.Tensor, replaced: torch.Tensor, real: torch.Tensor):
    """One step's numbers; the AUC over real tokens (NaN when the step replaced nothing or everything)."""
    labels = replaced[real].cpu().numpy()
    scores = logits[real].float().cpu().numpy()
    auc = roc_auc_score(labels, scores) if 0 < labels.sum() < len(labels) else math.nan
    return {
        "mlm_loss": mlm_loss,
        "disc_loss": disc_loss,
        "disc_auc": float(auc),
        "replaced_fraction": float(labels.mean()),
    }


class OursTap(TrainerCallback):
    """Keeps ours' initial weights and configs, and each training forward's batch, masks and numbers."""

    def __init__(self) -> None:
        self.initial: dict[str, torch.Tensor] = {}
        self.configs: dict[str, dict] = {}
        self.batches: list[dict[str, torch.Tensor]] = []
        self.metrics: list[dict[str, float]] = []

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.initial = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
        self.configs = {
            "discriminator": model.discriminator.config.to_dict(),
            "generator": model.generator.config.to_dict(),
        }
        model.register_forward_hook(self._record)

    def _record(self, module, inputs, output) -> None:
        if not module.training:
            return
        self.batches.append({key: getattr(output, key).detach().cpu() for key in BATCH_KEYS})
        real = output.attention_mask.bool()
        self.metrics.append(
            step_metrics(
                float(output.mlm_loss), float(output.rtd_loss), output.discriminator_logits, output.replaced_mask, real
            )
        )


def run_ours(corpus: Path, vocab: Path, arch: Path, out: Path, args: argparse.Namespace):
    """electralab's pretraining recipe with a tap; returns (config, tap, seconds)."""
    config = build_pretrain_config(
        overrides=[
            f"model.from_scratch={arch}",
            f"model.vocab={vocab}",
            f"model.generator_fraction={args.generator_fraction}",
            f"corpus.paths=[{corpus}]",
            f"corpus.max_length={args.max_length}",
            f"train.max_steps={args.steps}",
            f"train.batch_size={args.batch_size}",
            f"train.learning_rate={args.lr}",
            f"train.warmup_steps={max(1, int(args.steps * args.warmup))}",
            "train.precision=fp32",
            f"train.logging_steps={max(1, args.steps // 20)}",
            "train.view_steps=0",
            "train.save_steps=1000000000",
            f"train.seed={args.seed}",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={out}",
        ]
    )
    tap = OursTap()
    started = time.perf_counter()
    run_pretraining(config, run_name="rtd-ours", extra_callbacks=[tap])
    return config, tap, time.perf_counter() - started


def reference_pair(configs: dict[str, dict], seed: int) -> tuple[ElectraForMaskedLM, ElectraForPreTraining]:
    """Generator and discriminator from HF classes, seeded as ours; embeddings shared as in the paper."""
    set_seed(seed)
    discriminator = ElectraForPreTraining(ElectraConfig.from_dict(configs["discriminator"]))
    generator = ElectraForMaskedLM(ElectraConfig.from_dict(configs["generator"]))
    generator.electra.embeddings = discriminator.electra.embeddings
    generator.generator_lm_head.weight = discriminator.electra.embeddings.word_embeddings.weight
    return generator, discriminator


def load_initial(generator, discriminator, initial: dict[str, torch.Tensor]) -> bool:
    """Load ours' initial weights; True when the fresh HF build already had exactly those weights."""
    same = True
    for prefix, model in (("discriminator.", discriminator), ("generator.", generator)):
        state = {key[len(prefix) :]: value for key, value in initial.items() if key.startswith(prefix)}
        fresh = model.state_dict()
        if set(state) != set(fresh):
            raise RuntimeError(f"{prefix[:-1]}: parameter names differ: {sorted(set(state) ^ set(fresh))[:5]}")
        same = same and all(torch.equal(fresh[key].cpu(), value) for key, value in state.items())
        model.load_state_dict(state, strict=True)
    return same


def gumbel_sample(logits: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """argmax(logits + Gumbel noise): one draw per row from softmax(logits), as the original code samples."""
    uniform = torch.rand(logits.shape, generator=rng, device=logits.device)
    return (logits - torch.log(-torch.log(uniform + 1e-9) + 1e-9)).argmax(dim=-1)


def run_reference(config, tap: OursTap, args: argparse.Namespace, device: torch.device) -> tuple[list, bool, float]:
    """Replay ours' batches and masks through the HF-only objective; per-step metrics and whether inits matched."""
    generator, discriminator = reference_pair(tap.configs, config.train.seed)
    initial_matched = load_initial(generator, discriminator, tap.initial)
    generator.to(device).train()
    discriminator.to(device).train()
    named = [*discriminator.named_parameters(), *generator.named_parameters()]
    params = list({id(param): (name, param) for name, param in reversed(named)}.values())  # shared: counted once
    no_decay = [param for name, param in params if "LayerNorm" in name or name.endswith("bias")]
    decay = [param for name, param in params if not ("LayerNorm" in name or name.endswith("bias"))]
    train = config.train
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": train.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=train.learning_rate,
        betas=(0.9, 0.999),
        eps=train.adam_epsilon,
    )
    schedule = get_linear_schedule_with_warmup(optimizer, train.warmup_steps, len(tap.batches))
    rng = torch.Generator(device=device).manual_seed(train.seed)
    objective = config.objective
    metrics = []
    started = time.perf_counter()
    for batch in tap.batches:
        input_ids, attention_mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
        masked = batch["masked_positions"].to(device)
        labels = input_ids.masked_fill(~masked, -100)
        generated = generator(
            input_ids=batch["masked_input_ids"].to(device), attention_mask=attention_mask, labels=labels
        )
        with torch.no_grad():
            if args.replay_samples:
                sampled = batch["sampled_ids"].to(device)[masked]
            else:
                sampled = gumbel_sample(generated.logits[masked].float() / objective.temperature, rng)
        corrupted = input_ids.clone()
        corrupted[masked] = sampled
        replaced = corrupted != input_ids
        judged = discriminator(input_ids=corrupted, attention_mask=attention_mask, labels=replaced.long())
        loss = objective.mlm_weight * generated.loss + objective.rtd_weight * judged.loss
        loss.backward()
        if train.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_([param for _, param in params], train.max_grad_norm)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses = float(generated.loss.detach()), float(judged.loss.detach())
        metrics.append(step_metrics(*losses, judged.logits.detach(), replaced, attention_mask.bool()))
    return metrics, initial_matched, time.perf_counter() - started


def _mean(values: list[float]) -> float | None:
    kept = [value for value in values if not math.isnan(value)]
    return sum(kept) / len(kept) if kept else None


def _std(values: list[float]) -> float | None:
    kept = [value for value in values if not math.isnan(value)]
    if len(kept) < 2:
        return None
    mean = sum(kept) / len(kept)
    return math.sqrt(sum((value - mean) ** 2 for value in kept) / (len(kept) - 1))


def summarise(ours: list[dict], reference: list[dict], window: int) -> dict:
    """Per metric: step-1 values, final-window means and stds, and the mean |ours − reference| over that window."""
    summary = {}
    for key in METRICS:
        a = [step[key] for step in ours[-window:]]
        b = [step[key] for step in reference[-window:]]
        summary[key] = {
            "step1_ours": ours[0][key],
            "step1_reference": reference[0][key],
            "final_window_mean_ours": _mean(a),
            "final_window_mean_reference": _mean(b),
            "final_window_std_ours": _std(a),
            "final_window_std_reference": _std(b),
            "final_window_mean_abs_difference": _mean([abs(x - y) for x, y in zip(a, b, strict=True)]),
        }
    return summary


def _finite(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def plot(ours: list[dict], reference: list[dict], path: Path, title: str) -> Path:
    """Three panels (MLM loss, discriminator loss, discriminator AUC) with both sides, raw and smoothed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    steps = list(range(1, len(ours) + 1))
    smooth = max(1, len(ours) // 30)
    for axis, key, label in zip(
        axes, METRICS[:3], ("generator MLM loss", "discriminator loss", "discriminator ROC-AUC"), strict=True
    ):
        for side, color, name in ((ours, "tab:blue", "electralab"), (reference, "tab:orange", "HF reference")):
            values = [step[key] for step in side]
            averaged = [_mean(values[max(0, i - smooth + 1) : i + 1]) for i in range(len(values))]
            axis.plot(steps, values, color=color, alpha=0.25, linewidth=0.8)
            axis.plot(steps, averaged, color=color, linewidth=1.6, label=f"{name} ({smooth}-step mean)")
        axis.set_title(label)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lines", type=int, default=4000, help="NSMC train documents in the corpus")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--layers", type=int, default=4, help="ELECTRA-small (electralab's `small`) has 12")
    parser.add_argument("--hidden-size", type=int, default=256, help="ELECTRA-small: 256 (FFN 4x)")
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--embedding-size", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1, help="0 makes both forwards deterministic")
    parser.add_argument("--generator-fraction", type=float, default=0.25)
    parser.add_argument("--lr", type=float, default=5e-4, help="the paper's for ELECTRA-small")
    parser.add_argument("--warmup", type=float, default=0.1, help="warmup as a fraction of the steps")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--window", type=int, default=None, help="final steps summarised (default steps // 5)")
    parser.add_argument("--replay-samples", action="store_true", help="the reference reuses ours' replacements")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--result", default="rtd_reference", help="name of results/<name>.json and <name>_curves.png")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "rtd_reference"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = fresh_dir(args.out)

    corpus = write_corpus(out, args.lines)
    vocab = build_vocab([str(corpus)], out / "vocab", size=args.vocab_size)
    arch = out / "electra_config.json"
    shape = {
        "hidden_size": args.hidden_size,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "intermediate_size": 4 * args.hidden_size,
        "embedding_size": args.embedding_size,
        "hidden_dropout_prob": args.dropout,
        "attention_probs_dropout_prob": args.dropout,
        "max_position_embeddings": 512,
    }
    arch.write_text(json.dumps(shape))

    config, tap, ours_seconds = run_ours(corpus, vocab.folder, arch, out, args)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    reference, initial_matched, reference_seconds = run_reference(config, tap, args, device)
    ours = tap.metrics
    window = min(len(ours), args.window or max(1, len(ours) // 5))
    summary = summarise(ours, reference, window)
    figure = plot(ours, reference, ROOT / "benchmarks" / "results" / f"{args.result}_curves.png", _title(args, config))
    result = {
        "cpu": cpu_description(),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "corpus": {"lines": args.lines, "vocab_size": vocab.size, "max_length": args.max_length},
        "architecture": {**shape, "generator": {k: tap.configs["generator"][k] for k in _SIZE_KEYS}},
        "train": {
            "steps": len(ours),
            "batch_size": args.batch_size,
            "learning_rate": config.train.learning_rate,
            "warmup_steps": config.train.warmup_steps,
            "weight_decay": config.train.weight_decay,
            "adam_epsilon": config.train.adam_epsilon,
            "max_grad_norm": config.train.max_grad_norm,
            "seed": config.train.seed,
            "objective": {
                "mask_prob": config.objective.mask_prob,
                "mask_token_ratio": config.objective.mask_token_ratio,
                "mlm_weight": config.objective.mlm_weight,
                "rtd_weight": config.objective.rtd_weight,
                "temperature": config.objective.temperature,
            },
        },
        "replay_samples": args.replay_samples,
        "initial_weights_match_fresh_hf_build": initial_matched,
        "seconds": {"ours": round(ours_seconds, 1), "reference": round(reference_seconds, 1)},
        "window": window,
        "summary": {key: {k: _finite(v) for k, v in values.items()} for key, values in summary.items()},
        "curves": {
            side: {key: [_finite(round(step[key], 6)) for step in steps] for key in METRICS}
            for side, steps in (("ours", ours), ("reference", reference))
        },
        "figure": str(figure.relative_to(ROOT)),
    }
    print(f"wrote {save_result(args.result, result)} and {figure}", flush=True)
    for key, values in summary.items():
        print(key, {k: None if v is None else round(v, 4) for k, v in values.items()}, flush=True)


_SIZE_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "embedding_size")


def _title(args: argparse.Namespace, config) -> str:
    return (
        f"ELECTRA objective, electralab vs HF-only reference: {args.layers}x{args.hidden_size} discriminator, "
        f"{args.steps} steps x {args.batch_size} x {args.max_length} tokens, NSMC {args.lines} lines, "
        f"seed {config.train.seed}, dropout {args.dropout:g}" + (", replayed samples" if args.replay_samples else "")
    )


if __name__ == "__main__":
    main()
