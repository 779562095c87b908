"""The console end of a fine-tuning run: warnings in red panels, a results table, where the files are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

SUMMARY_KEYS = (
    "accuracy", "f1_micro", "f1_macro", "f1_weighted", "f1_micro_at_0.5", "f1_macro_at_0.5",
    "f1", "precision", "recall", "token_accuracy", "exact_match", "char_f1", "loss",
)  # fmt: skip
console = Console(stderr=True)


def print_summary(metrics: dict[str, Any], model_dir: Path, report: Path, warnings: list[str] = ()) -> None:
    """Print the warnings, one row of headline metrics per split (dev, test), and the model and report paths."""
    for warning in warnings:
        console.print(Panel(warning, title="WARNING", style="bold red"))
    splits = [split for split in ("dev", "test") if split in metrics]
    keys = [key for key in SUMMARY_KEYS if any(isinstance(metrics[s].get(key), float) for s in splits)]
    table = Table(title="results")
    table.add_column("split")
    for key in keys:
        table.add_column(key, justify="right")
    for split in splits:
        table.add_row(split, *(f"{metrics[split].get(key, float('nan')):.4f}" for key in keys))
    console.print(table)
    console.print(f"model: {model_dir}\nreport: {report}")
