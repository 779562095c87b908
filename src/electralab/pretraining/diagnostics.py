"""What the generator and discriminator got right: accuracies, precision, recall, AUC.

``step_counts`` reads one forward's tensors; ``DiagnosticsAccumulator`` sums them between two logs
so the logged numbers cover every token seen since the last log (micro averages; AUC per step, averaged).
"""

from __future__ import annotations

import math

import torch

from .model import ElectraPretrainingOutput

METRIC_NAMES = (
    "mlm_accuracy",
    "sampled_accuracy",
    "disc_accuracy",
    "disc_precision",
    "disc_recall",
    "disc_auc",
    "replaced_fraction",
)


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve from scores and 0/1 labels (Mann–Whitney, ties averaged); NaN if one class."""
    labels = labels.bool().flatten()
    scores = scores.float().flatten()
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return math.nan
    order = scores.argsort()
    sorted_scores = scores[order]
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype, device=scores.device)
    # Average the ranks of tied scores.
    unique, inverse = torch.unique(sorted_scores, return_inverse=True)
    if len(unique) < len(scores):
        sums = torch.zeros(len(unique), dtype=scores.dtype, device=scores.device).index_add_(0, inverse, ranks[order])
        counts = torch.bincount(inverse, minlength=len(unique)).to(scores.dtype)
        ranks[order] = (sums / counts)[inverse]
    rank_sum = float(ranks[labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def step_counts(output: ElectraPretrainingOutput) -> dict[str, float]:
    """Token counts of one forward (summable across steps) and its AUC."""
    masked = output.masked_positions
    real = output.attention_mask.bool()
    original = output.input_ids
    replaced = output.replaced_mask[real]
    flagged = output.discriminator_logits[real] > 0
    return {
        "masked": float(masked.sum()),
        "mlm_correct": float((output.mlm_predictions[masked] == original[masked]).sum()),
        "sampled_correct": float((output.sampled_ids[masked] == original[masked]).sum()),
        "tokens": float(real.sum()),
        "disc_correct": float((flagged == replaced).sum()),
        "replaced": float(replaced.sum()),
        "flagged": float(flagged.sum()),
        "caught": float((flagged & replaced).sum()),
        "auc": roc_auc(output.discriminator_logits[real], replaced),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def metrics_from_counts(counts: dict[str, float], auc: float) -> dict[str, float]:
    """The logged metrics from summed counts."""
    return {
        "mlm_accuracy": _ratio(counts["mlm_correct"], counts["masked"]),
        "sampled_accuracy": _ratio(counts["sampled_correct"], counts["masked"]),
        "disc_accuracy": _ratio(counts["disc_correct"], counts["tokens"]),
        "disc_precision": _ratio(counts["caught"], counts["flagged"]),
        "disc_recall": _ratio(counts["caught"], counts["replaced"]),
        "disc_auc": auc,
        "replaced_fraction": _ratio(counts["replaced"], counts["tokens"]),
    }


class DiagnosticsAccumulator:
    """Sums step counts (and losses) between logs; ``pop`` returns the metrics and starts over."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._counts: dict[str, float] = {}
        self._aucs: list[float] = []
        self._losses: dict[str, list[float]] = {"mlm_loss": [], "rtd_loss": []}

    def add(self, output: ElectraPretrainingOutput) -> None:
        """Add one forward's counts."""
        counts = step_counts(output)
        auc = counts.pop("auc")
        if not math.isnan(auc):
            self._aucs.append(auc)
        for key, value in counts.items():
            self._counts[key] = self._counts.get(key, 0.0) + value
        self._losses["mlm_loss"].append(float(output.mlm_loss))
        self._losses["rtd_loss"].append(float(output.rtd_loss))

    def pop(self) -> dict[str, float]:
        """Metrics since the last ``pop`` (empty when nothing was added)."""
        if not self._counts:
            return {}
        auc = sum(self._aucs) / len(self._aucs) if self._aucs else math.nan
        metrics = metrics_from_counts(self._counts, auc)
        metrics.update({key: sum(values) / len(values) for key, values in self._losses.items() if values})
        self._reset()
        return {key: round(value, 6) for key, value in metrics.items()}
