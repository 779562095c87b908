"""Plots for run reports: learning curves and confusion matrices, written as PNG files.

Uses the non-interactive Agg backend so plots work on servers without a display.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .fonts import register_font  # noqa: E402

# Eval keys that are bookkeeping, not metrics worth plotting on the metric panel.
_NON_METRIC_KEYS = {"loss", "runtime", "samples_per_second", "steps_per_second", "epoch", "rows"}


def _is_number(value: object) -> bool:
    """Return True for a finite int/float (bools excluded)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _series(log_history: list[dict], key: str) -> tuple[list[float], list[float]]:
    """Collect (steps, values) for ``key`` from entries that have both a step and a finite value."""
    steps: list[float] = []
    values: list[float] = []
    for entry in log_history:
        if not isinstance(entry, dict):
            continue
        step = entry.get("step")
        value = entry.get(key)
        if _is_number(step) and _is_number(value):
            steps.append(float(step))
            values.append(float(value))
    return steps, values


def _eval_metric_keys(log_history: list[dict]) -> list[str]:
    """Return the eval_* metric keys worth plotting, in first-seen order."""
    keys: list[str] = []
    for entry in log_history:
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            if not isinstance(key, str) or not key.startswith("eval_"):
                continue
            if key[len("eval_") :] in _NON_METRIC_KEYS or key in keys:
                continue
            if _is_number(value):
                keys.append(key)
    return keys


def _epoch_marks(log_history: list[dict]) -> list[float]:
    """Steps where an epoch ended (the first log at or past each whole epoch)."""
    marks, next_epoch = [], 1
    for entry in log_history:
        epoch, step = entry.get("epoch") if isinstance(entry, dict) else None, entry.get("step")
        if _is_number(epoch) and _is_number(step) and epoch >= next_epoch - 1e-6:
            if not marks or step > marks[-1]:
                marks.append(float(step))
            next_epoch = math.floor(epoch + 1e-6) + 1
    return marks


def _without_duplicates(series: dict[str, tuple[list, list]]) -> dict[str, tuple[list, list]]:
    """Merge series with identical points (accuracy = micro-F1 in single-label runs) under one joined label."""
    merged: dict[str, tuple[list, list]] = {}
    for name, points in series.items():
        same = next((key for key, other in merged.items() if other == points), None)
        if same is None:
            merged[name] = points
        else:
            merged[f"{same} = {name}"] = merged.pop(same)
    return merged


def _honest_limits(ax: object, values: list[float], unit_interval: bool) -> None:
    """Y-limits that don't magnify noise: scores on the whole 0-1 scale, losses from 0."""
    if unit_interval and values and min(values) >= 0 and max(values) <= 1:
        ax.set_ylim(0.0, 1.02)
    elif values and min(values) >= 0:
        ax.set_ylim(0.0, max(values) * 1.08 or 1.0)


def _style_steps(ax: object, title: str, ylabel: str, epoch_marks: list[float] = ()) -> None:
    for i, step in enumerate(epoch_marks):
        ax.axvline(step, color="#999", linestyle=":", linewidth=1, label="end of epoch" if i == 0 else None)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def plot_learning_curves(log_history: list[dict], path: Path) -> Path | None:
    """Plot train/eval loss and eval metrics against the training step, with the ends of epochs marked.

    Scores are drawn on the whole 0-1 scale and losses from 0, so a short, noisy run doesn't look like a trend;
    series with identical points (accuracy and micro-F1 of a single-label task) are drawn once.

    Args:
        log_history: ``transformers.Trainer.state.log_history``: dicts with ``"step"`` and either
            ``"loss"`` (training) or ``"eval_loss"`` plus ``"eval_<metric>"`` entries.
        path: Where to write the PNG.

    Returns:
        The path written, or None when the history holds nothing to plot.
    """
    history = log_history or []
    train_steps, train_loss = _series(history, "loss")
    eval_steps, eval_loss = _series(history, "eval_loss")
    metric_series = {}
    for key in _eval_metric_keys(history):
        steps, values = _series(history, key)
        if steps:
            metric_series[key[len("eval_") :]] = (steps, values)
    metric_series = _without_duplicates(metric_series)

    has_loss = bool(train_steps or eval_steps)
    if not has_loss and not metric_series:
        return None
    marks = _epoch_marks(history)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_panels = int(has_loss) + int(bool(metric_series))
    fig, axes = plt.subplots(1, n_panels, figsize=(5.2 * n_panels, 3.6), squeeze=False)
    axes = list(axes[0])
    try:
        if has_loss:
            ax = axes.pop(0)
            if train_steps:
                marker = "o" if len(train_steps) <= 3 else None
                ax.plot(train_steps, train_loss, label="train loss", color="#1f77b4", marker=marker)
            if eval_steps:
                ax.plot(eval_steps, eval_loss, label="dev loss", color="#d62728", marker="o")
            _honest_limits(ax, train_loss + eval_loss, unit_interval=False)
            _style_steps(ax, "Loss", "loss (cross-entropy)", marks)
        if metric_series:
            ax = axes.pop(0)
            for name, (steps, values) in metric_series.items():
                ax.plot(steps, values, label=name, marker="o")
            _honest_limits(ax, [v for _, values in metric_series.values() for v in values], unit_interval=True)
            _style_steps(ax, "Dev metrics", "score", marks)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path


PRETRAINING_LOSSES = ("mlm_loss", "rtd_loss")
PRETRAINING_DIAGNOSTICS = ("disc_precision", "disc_recall", "disc_auc", "disc_accuracy", "mlm_accuracy")


def _accuracy_baseline(records: list[dict]) -> tuple[list[float], list[float]]:
    """The discriminator accuracy of always answering 'original': 1 - replaced fraction, per logged step."""
    steps, fractions = _series(records, "replaced_fraction")
    return steps, [1.0 - fraction for fraction in fractions]


def plot_pretraining_curves(records: list[dict], path: Path) -> Path | None:
    """Plot the generator/discriminator losses and diagnostics (precision, recall, AUC, ...) against the step.

    The discriminator accuracy comes with its constant-prediction baseline (1 - replaced fraction): a
    discriminator that never flags anything already scores that.

    Args:
        records: The lines of a pretraining run's ``metrics.jsonl`` (dicts with ``"step"``).
        path: Where to write the PNG.

    Returns:
        The path written, or None when no record holds a diagnostic yet.
    """
    diagnostics = {key: _series(records, key) for key in PRETRAINING_DIAGNOSTICS}
    diagnostics = {key: series for key, series in diagnostics.items() if series[0]}
    if not diagnostics:
        return None
    baseline = _accuracy_baseline(records)
    if baseline[0] and "disc_accuracy" in diagnostics:
        diagnostics["baseline: always 'original' (1 − replaced fraction)"] = baseline
    losses = {key: _series(records, key) for key in PRETRAINING_LOSSES}
    losses = {key: series for key, series in losses.items() if series[0]}
    panels = [("Discriminator and generator diagnostics", diagnostics, "linear", "score (0-1)")]
    if losses:
        panels.append(("Losses (unweighted)", losses, "log", "loss (log scale)"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context({"font.family": register_font()}):
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
        try:
            for ax, (title, series, scale, ylabel) in zip(axes[0], panels, strict=True):
                for key, (steps, values) in series.items():
                    style = {"linestyle": "--", "color": "#777"} if key.startswith("baseline") else {}
                    ax.plot(steps, values, label=key, marker="o" if len(steps) <= 3 else None, **style)
                ax.set_yscale(scale)
                if scale == "linear":
                    ax.set_ylim(0.0, 1.02)
                _style_steps(ax, title, ylabel)
            fig.tight_layout()
            fig.savefig(path, dpi=100)
        finally:
            plt.close(fig)
    return path


def _annotate_counts(ax: object, counts: np.ndarray, normalised: np.ndarray, size: int) -> None:
    """Write each cell's count, white on dark cells."""
    font_size = 10 if size <= 10 else max(5, 10 - (size - 10) // 3)
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            color = "white" if normalised[i, j] > 0.5 else "black"
            ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", color=color, fontsize=font_size)


def plot_confusion_matrix(
    matrix: list[list[int]], label_names: list[str], path: Path, title: str = "Confusion matrix"
) -> Path:
    """Plot a confusion matrix with counts in the cells and row-normalised colour.

    Labels are drawn with the bundled Korean font; a glyph it lacks raises matplotlib's warning (not hidden).

    Args:
        matrix: Square count matrix; rows are true labels, columns are predicted labels.
        label_names: Names for the rows/columns (may be Korean).
        path: Where to write the PNG.
        title: The plot's title (say which split).

    Returns:
        The path written.
    """
    counts = np.asarray(matrix, dtype=float)
    if counts.ndim != 2:
        counts = np.zeros((0, 0))
    n_rows, n_cols = counts.shape
    names = [str(name) for name in (label_names or [])]
    size = max(n_rows, n_cols)
    if len(names) < size:
        names = names + [str(i) for i in range(len(names), size)]

    row_sums = counts.sum(axis=1, keepdims=True) if n_rows else counts
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = np.where(row_sums > 0, counts / np.where(row_sums > 0, row_sums, 1), 0.0)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    side = min(max(4.2, 0.5 * size + 2.3), 12.0)
    with plt.rc_context({"font.family": register_font()}):
        fig, ax = plt.subplots(figsize=(side, side * 0.85))
        try:
            image = ax.imshow(normalised if normalised.size else np.zeros((1, 1)), cmap="Blues", vmin=0.0, vmax=1.0)
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
            ax.set_xticks(range(n_cols))
            ax.set_yticks(range(n_rows))
            ax.set_xticklabels(names[:n_cols], rotation=45 if n_cols > 4 else 0, ha="right" if n_cols > 4 else "center")
            ax.set_yticklabels(names[:n_rows])
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(title)
            _annotate_counts(ax, counts, normalised, size)
            fig.tight_layout()
            fig.savefig(path, dpi=100, bbox_inches="tight")
        finally:
            plt.close(fig)
    return path


def plot_confidence_histogram(correct: list[float], wrong: list[float], path: Path, title: str) -> Path | None:
    """Histogram of the predicted class's probability, right and wrong predictions stacked.

    Args:
        correct: Confidence of each correct prediction.
        wrong: Confidence of each wrong prediction.
        path: Where to write the PNG.
        title: The plot's title (say which split).

    Returns:
        The path written, or None without predictions.
    """
    if not correct and not wrong:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bins = np.linspace(0.0, 1.0, 21)
    with plt.rc_context({"font.family": register_font()}):
        fig, ax = plt.subplots(figsize=(6.0, 3.2))
        try:
            ax.hist([correct, wrong], bins=bins, stacked=True, color=["#4c9a5b", "#d93025"],
                    label=[f"right ({len(correct)})", f"wrong ({len(wrong)})"])  # fmt: skip
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlim(0.0, 1.0)
            ax.set_xlabel("probability of the predicted class")
            ax.set_ylabel("texts")
            ax.set_title(title)
            ax.legend(fontsize="small")
            fig.tight_layout()
            fig.savefig(path, dpi=100)
        finally:
            plt.close(fig)
    return path


def plot_length_histograms(lengths: dict[str, dict], path: Path) -> Path | None:
    """Token lengths per split (histograms from ``check.json``) with ``data.max_length`` marked."""
    splits = {name: found for name, found in lengths.items() if found.get("histogram")}
    if not splits:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context({"font.family": register_font()}):
        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        try:
            for name, found in splits.items():
                counts, edges = found["histogram"]["counts"], found["histogram"]["edges"]
                shares = np.asarray(counts, dtype=float) / max(sum(counts), 1)
                ax.stairs(shares, edges, label=name, linewidth=1.6)
            max_length = next(iter(splits.values()))["max_length"]
            ax.axvline(max_length, color="#d93025", linestyle="--", label=f"data.max_length={max_length}")
            ax.set_xlabel("tokens per text (special tokens included)")
            ax.set_ylabel("share of texts")
            ax.legend()
            fig.tight_layout()
            fig.savefig(path, dpi=110)
        finally:
            plt.close(fig)
    return path
