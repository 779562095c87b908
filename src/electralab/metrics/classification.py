"""Classification metrics from scikit-learn, and the one-class collapse check."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from transformers import EvalPrediction

COLLAPSE_SHARE = 0.98
"""A model that predicts one class for this share of examples, when the data is not that skewed, has collapsed."""


def summary_metrics(labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """Accuracy and macro/micro/weighted F1."""
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1_macro": float(f1_score(labels, predictions, average="macro", zero_division=0)),
        "f1_micro": float(f1_score(labels, predictions, average="micro", zero_division=0)),
        "f1_weighted": float(f1_score(labels, predictions, average="weighted", zero_division=0)),
    }


def trainer_metrics(eval_prediction: EvalPrediction) -> dict[str, float]:
    """``compute_metrics`` for the Trainer: summary metrics from logits."""
    logits = eval_prediction.predictions
    logits = logits[0] if isinstance(logits, tuple) else logits
    return summary_metrics(np.asarray(eval_prediction.label_ids), np.argmax(logits, axis=-1))


def is_collapsed(labels: np.ndarray, predictions: np.ndarray) -> bool:
    """True when nearly every prediction is one class although the true labels are not that skewed."""
    if len(predictions) < 10:
        return False
    top_predicted = Counter(predictions.tolist()).most_common(1)[0][1] / len(predictions)
    top_true = Counter(labels.tolist()).most_common(1)[0][1] / len(labels)
    return top_predicted >= COLLAPSE_SHARE and top_true < COLLAPSE_SHARE


def full_report(labels: np.ndarray, predictions: np.ndarray, label_names: list[str]) -> dict[str, Any]:
    """Summary metrics, per-class precision/recall/F1/support, confusion matrix and collapse flag."""
    ids = list(range(len(label_names)))
    precision, recall, f1, support = precision_recall_fscore_support(labels, predictions, labels=ids, zero_division=0)
    counts = Counter(predictions.tolist())
    return {
        **summary_metrics(labels, predictions),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(label_names)
        },
        "confusion_matrix": confusion_matrix(labels, predictions, labels=ids).tolist(),
        "label_names": list(label_names),
        "prediction_distribution": {name: int(counts.get(i, 0)) for i, name in enumerate(label_names)},
        "collapsed": is_collapsed(labels, predictions),
    }
