"""The comparison's plots: a metric per epoch per configuration with its ±std seed band; training loss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def _band(ax: Any, xs: list[float], cells: list[dict[str, Any]], label: str) -> None:
    means = [cell["mean"] for cell in cells]
    (line,) = ax.plot(xs, means, marker="o", markersize=3, label=label)
    spread = [(x, c["mean"] - c["std"], c["mean"] + c["std"]) for x, c in zip(xs, cells, strict=True) if c["std"]]
    if spread:
        x, low, high = zip(*spread, strict=True)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.18, linewidth=0)


def plot_per_epoch(rows: list[dict[str, Any]], field: str, metric: str, path: Path, title: str) -> Path | None:
    """``metric`` per epoch (mean over seeds, band ±1 std) for every configuration; None when nothing logged it."""
    curves = [(row["label"], [e for e in row[field] if metric in e]) for row in rows]
    curves = [(label, entries) for label, entries in curves if entries]
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for label, entries in curves:
        _band(ax, [e["epoch"] for e in entries], [e[metric] for e in entries], label)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_train_loss(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Training loss per logged step (mean over seeds, band ±1 std) for every configuration."""
    curves = [(row["label"], row["train_loss"]) for row in rows if row["train_loss"]]
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for label, entries in curves:
        _band(ax, [e["step"] for e in entries], entries, label)
    ax.set_title("Training loss (mean over seeds, band ±1 std)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
