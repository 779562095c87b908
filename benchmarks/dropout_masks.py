"""Dropout masks, side by side in one process: torch's own vs electralab's CPU generator (train.dropout_masks).

An ELECTRA-small-shaped classifier (random init, 12 layers, hidden 256) trains on the same batch (32 NSMC-length
rows: 13–17 real tokens, padded to 17) in two copies — one with torch's dropout, one after ``use_fast_dropout``
— in fp32 and, where the CPU has bf16, bf16 autocast. The copies alternate every ``--block`` steps for
``--rounds`` rounds, so a slower minute of the machine hits both; each step is forward, backward, AdamW
(fused) and zeroing the gradients. Reported: the median step time of each and their ratio.

Usage: python benchmarks/dropout_masks.py [--rounds 15] [--block 3] [--result dropout_masks]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from common import cpu_description, cpu_flags, save_result
from transformers import ElectraConfig, ElectraForSequenceClassification

from electralab.engine.device import cpu_has_bf16
from electralab.models.dropout import use_fast_dropout

SMALL = {"hidden_size": 256, "num_hidden_layers": 12, "num_attention_heads": 4, "intermediate_size": 1024,
         "embedding_size": 128, "vocab_size": 35_000}  # fmt: skip


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: dict, bf16: bool) -> float:
    """One training step (forward, backward, AdamW, zeroing); its wall time in ms."""
    started = time.perf_counter()
    model.train()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return (time.perf_counter() - started) * 1000


def compare(base: torch.nn.Module, batch: dict, bf16: bool, rounds: int, block: int) -> dict:
    """Step times of a torch-masks copy and an electralab-masks copy of ``base``, alternating in blocks."""
    models = {"torch masks": copy.deepcopy(base), "electralab masks": copy.deepcopy(base)}
    use_fast_dropout(models["electralab masks"])
    optimizers = {name: torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True) for name, m in models.items()}
    times: dict[str, list[float]] = {name: [] for name in models}
    for name in models:  # warm-up
        for _ in range(3):
            train_step(models[name], optimizers[name], batch, bf16)
    for _ in range(rounds):
        for name in models:
            times[name] += [train_step(models[name], optimizers[name], batch, bf16) for _ in range(block)]
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "median_step_ms": medians,
        "quartiles_ms": {name: statistics.quantiles(values, n=4) for name, values in times.items()},
        "steps_each": len(times["torch masks"]),
        "speedup": medians["torch masks"] / medians["electralab masks"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--block", type=int, default=3, help="steps of one copy before switching to the other")
    parser.add_argument("--result", default="dropout_masks")
    args = parser.parse_args()
    torch.manual_seed(0)
    batch = {
        "input_ids": torch.randint(5, SMALL["vocab_size"], (32, 17)),
        "attention_mask": (torch.arange(17) < torch.randint(13, 18, (32, 1))).long(),
        "labels": torch.randint(0, 2, (32,)),
    }
    base = ElectraForSequenceClassification(ElectraConfig(**SMALL, num_labels=2))
    rows = {}
    for precision in ["fp32", "bf16"] if cpu_has_bf16() else ["fp32"]:
        rows[precision] = compare(base, batch, precision == "bf16", args.rounds, args.block)
        medians = {name: round(ms, 1) for name, ms in rows[precision]["median_step_ms"].items()}
        print(precision, medians, f"{rows[precision]['speedup']:.2f}x", flush=True)
    save_result(
        args.result,
        {"machine": {"cpu": cpu_description(), "cpu_flags": cpu_flags(), "torch_threads": torch.get_num_threads(),
                     "torch": torch.__version__},
         "args": vars(args), "results": rows},
    )  # fmt: skip


if __name__ == "__main__":
    main()
