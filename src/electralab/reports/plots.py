"""Plots for run reports: learning curves and confusion matrices, written as PNG files.

Uses the non-interactive Agg backend so plots work on servers without a display.
"""

from __future__ import annotations

import functools
import math
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Eval keys that are bookkeeping, not metrics worth plotting on the metric panel.
_NON_METRIC_KEYS = {"loss", "runtime", "samples_per_second", "steps_per_second", "epoch", "rows"}


# Fonts with Hangul glyphs, tried in order when installed; DejaVu Sans stays first for Latin text.
_CJK_FONT_CANDIDATES = (
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "NanumGothic",
    "NanumBarunGothic",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
    "AppleGothic",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Source Han Sans KR",
    "UnDotum",
    "Baekmuk Gulim",
)


@functools.lru_cache(maxsize=1)
def _font_family() -> list[str]:
    """Return a font fallback list: DejaVu Sans, then any installed font with Hangul glyphs."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans"] + [name for name in _CJK_FONT_CANDIDATES if name in installed]


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


def plot_learning_curves(log_history: list[dict], path: Path) -> Path | None:
    """Plot train/eval loss and eval metrics against the training step.

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

    has_loss = bool(train_steps or eval_steps)
    if not has_loss and not metric_series:
        return None

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_panels = int(has_loss) + int(bool(metric_series))
    fig, axes = plt.subplots(1, n_panels, figsize=(6.0 * n_panels, 4.2), squeeze=False)
    axes = list(axes[0])
    try:
        if has_loss:
            ax = axes.pop(0)
            if train_steps:
                marker = "o" if len(train_steps) == 1 else None
                ax.plot(train_steps, train_loss, label="train loss", color="#1f77b4", marker=marker)
            if eval_steps:
                ax.plot(eval_steps, eval_loss, label="eval loss", color="#d62728", marker="o")
            ax.set_title("Loss")
            ax.set_xlabel("step")
            ax.set_ylabel("loss")
            ax.grid(True, alpha=0.3)
            ax.legend()
        if metric_series:
            ax = axes.pop(0)
            for name, (steps, values) in metric_series.items():
                ax.plot(steps, values, label=name, marker="o")
            ax.set_title("Eval metrics")
            ax.set_xlabel("step")
            ax.set_ylabel("value")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


PRETRAINING_LOSSES = ("mlm_loss", "rtd_loss")
PRETRAINING_DIAGNOSTICS = ("disc_precision", "disc_recall", "disc_auc", "disc_accuracy", "mlm_accuracy")


def plot_pretraining_curves(records: list[dict], path: Path) -> Path | None:
    """Plot the generator/discriminator losses and diagnostics (precision, recall, AUC, ...) against the step.

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
    losses = {key: _series(records, key) for key in PRETRAINING_LOSSES}
    losses = {key: series for key, series in losses.items() if series[0]}
    panels = [("Discriminator and generator diagnostics", diagnostics, "linear")]
    if losses:
        panels.append(("Losses (unweighted)", losses, "log"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), 4.2), squeeze=False)
    try:
        for ax, (title, series, scale) in zip(axes[0], panels, strict=True):
            for key, (steps, values) in series.items():
                ax.plot(steps, values, label=key, marker="o" if len(steps) == 1 else None)
            ax.set_title(title)
            ax.set_xlabel("step")
            ax.set_yscale(scale)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
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


def plot_confusion_matrix(matrix: list[list[int]], label_names: list[str], path: Path) -> Path:
    """Plot a confusion matrix with counts in the cells and row-normalised colour.

    Args:
        matrix: Square count matrix; rows are true labels, columns are predicted labels.
        label_names: Names for the rows/columns (may be Korean; missing glyphs are tolerated).
        path: Where to write the PNG.

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
    side = min(max(4.5, 0.55 * size + 2.5), 16.0)
    with warnings.catch_warnings():
        # Korean (or other) label glyphs may be missing from the available fonts.
        # The glyph warning is attributed to the caller's module, hence the message filter too.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"matplotlib.*")
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph.*missing.*")
        with plt.rc_context({"font.family": _font_family()}):
            fig, ax = plt.subplots(figsize=(side, side * 0.85))
            try:
                image = ax.imshow(normalised if normalised.size else np.zeros((1, 1)), cmap="Blues", vmin=0.0, vmax=1.0)
                fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="row fraction")
                ax.set_xticks(range(n_cols))
                ax.set_yticks(range(n_rows))
                ax.set_xticklabels(
                    names[:n_cols], rotation=45 if n_cols > 4 else 0, ha="right" if n_cols > 4 else "center"
                )
                ax.set_yticklabels(names[:n_rows])
                ax.set_xlabel("predicted")
                ax.set_ylabel("true")
                ax.set_title("Confusion matrix")
                _annotate_counts(ax, counts, normalised, size)
                fig.tight_layout()
                fig.savefig(path, dpi=110, bbox_inches="tight")
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
    with plt.rc_context({"font.family": _font_family()}):
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
