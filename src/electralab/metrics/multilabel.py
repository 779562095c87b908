"""Multi-label metrics: micro/macro/weighted/samples F1, per-label scores and ROC-AUC, hamming loss."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import f1_score, hamming_loss, precision_recall_fscore_support, roc_auc_score
from transformers import EvalPrediction

PRIOR_COLLAPSE_STD = 0.01
"""Below this mean spread of each label's probability across texts, a model outputs the label priors."""


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Element-wise logistic function, computed in float64."""
    return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))


def _roc_auc(truth: np.ndarray, probabilities: np.ndarray) -> float | None:
    if truth.min() == truth.max():
        return None  # undefined with one class only
    return float(roc_auc_score(truth, probabilities))


def summary(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """F1 averages, hamming loss and exact-match ratio of multi-hot predictions."""
    scores = {
        f"f1_{average}": float(f1_score(truth, predicted, average=average, zero_division=0))
        for average in ("micro", "macro", "weighted", "samples")
    }
    scores["hamming_loss"] = float(hamming_loss(truth, predicted))
    scores["exact_match"] = float((truth == predicted).all(axis=1).mean())
    return scores


def is_prior_collapse(probabilities: np.ndarray) -> bool:
    """True when every text gets (nearly) the same probabilities: the model learned only the label priors."""
    return len(probabilities) >= 10 and float(probabilities.std(axis=0).mean()) < PRIOR_COLLAPSE_STD


def trainer_metrics(eval_prediction: EvalPrediction) -> dict[str, float]:
    """``compute_metrics`` for the Trainer: scores at 0.5 and the threshold-free macro ROC-AUC."""
    logits = eval_prediction.predictions
    logits = logits[0] if isinstance(logits, tuple) else logits
    truth = np.asarray(eval_prediction.label_ids).astype(int)
    probabilities = sigmoid(logits)
    scores = summary(truth, (probabilities >= 0.5).astype(int))
    aucs = [a for a in (_roc_auc(truth[:, i], probabilities[:, i]) for i in range(truth.shape[1])) if a is not None]
    scores["roc_auc_macro"] = float(np.mean(aucs)) if aucs else 0.5
    return scores


def full_report(
    truth: np.ndarray,
    probabilities: np.ndarray,
    thresholds: list[float],
    label_names: list[str],
    global_threshold: float,
) -> dict[str, Any]:
    """Scores at the per-label thresholds, the same at the global threshold, per-label table, collapse flag."""
    predicted = (probabilities >= np.asarray(thresholds)[None, :]).astype(int)
    at_global = summary(truth, (probabilities >= global_threshold).astype(int))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, zero_division=0)
    aucs = [_roc_auc(truth[:, i], probabilities[:, i]) for i in range(truth.shape[1])]
    report: dict[str, Any] = summary(truth, predicted)
    report.update({f"{key}_at_{global_threshold:g}": value for key, value in at_global.items() if key.startswith("f1")})
    valid_aucs = [a for a in aucs if a is not None]
    report["roc_auc_macro"] = float(np.mean(valid_aucs)) if valid_aucs else None
    report["per_class"] = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "threshold": float(thresholds[i]),
            "f1_at_global": float(f1_score(truth[:, i], probabilities[:, i] >= global_threshold, zero_division=0)),
            "roc_auc": aucs[i],
        }
        for i, name in enumerate(label_names)
    }
    report["label_names"] = list(label_names)
    report["prediction_distribution"] = {name: int(predicted[:, i].sum()) for i, name in enumerate(label_names)}
    report["collapsed"] = is_prior_collapse(probabilities)
    return report
