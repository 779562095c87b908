"""Per-label decision thresholds for multi-label classification, tuned on the dev split."""

from __future__ import annotations

import numpy as np

CANDIDATES = np.round(np.arange(0.02, 0.981, 0.01), 2)


def _f1_per_threshold(truth: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """F1 of one label at every candidate threshold. truth (N,), probabilities (N,) -> (len(CANDIDATES),)."""
    predicted = probabilities[None, :] >= CANDIDATES[:, None]  # (K, N)
    positives = truth.astype(bool)[None, :]
    true_pos = (predicted & positives).sum(axis=1)
    denominator = predicted.sum(axis=1) + positives.sum()
    return np.where(denominator > 0, 2 * true_pos / np.maximum(denominator, 1), 0.0)


def tune_thresholds(
    truth: np.ndarray, probabilities: np.ndarray, default: float, min_positives: int
) -> tuple[list[float], list[bool]]:
    """Pick, for each label, the threshold that maximises its F1 on dev.

    Labels with fewer than ``min_positives`` positive dev examples keep ``default`` (too few to tune
    without overfitting). Among equally good thresholds the middle one is taken.

    Args:
        truth: Multi-hot dev targets (N, L).
        probabilities: Sigmoid outputs on dev (N, L).
        default: The global threshold used as fallback.
        min_positives: Fewest dev positives needed to tune a label.

    Returns:
        One threshold per label, and whether each was tuned.
    """
    thresholds, tuned = [], []
    for label in range(truth.shape[1]):
        if truth[:, label].sum() < min_positives:
            thresholds.append(float(default))
            tuned.append(False)
            continue
        scores = _f1_per_threshold(truth[:, label], probabilities[:, label])
        best = np.flatnonzero(np.isclose(scores, scores.max()))
        thresholds.append(float(CANDIDATES[best[len(best) // 2]]))
        tuned.append(True)
    return thresholds, tuned
