"""Entity-level metrics with seqeval's strict semantics (overall and per type), and token accuracy.

Per-type scores are under ``per_class`` (the key the report's per-class table reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2, IOBES

SCHEMES = {"BIO": IOB2, "IOB2": IOB2, "BIOES": IOBES}


def entity_scores(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], scheme: str) -> dict[str, Any]:
    """Precision, recall and F1 of exact entity matches (type and both boundaries), overall and per type.

    Args:
        truth: Gold tags per sentence (per unit: word or character).
        predicted: Predicted tags per sentence, same lengths.
        scheme: BIO / IOB2 or BIOES.
    """
    truth, predicted = [list(t) for t in truth], [list(p) for p in predicted]
    mode = {"mode": "strict", "scheme": SCHEMES[scheme]}
    report = classification_report(truth, predicted, output_dict=True, zero_division=0, **mode)
    per_type = {
        kind: {"precision": float(v["precision"]), "recall": float(v["recall"]), "f1": float(v["f1-score"]),
               "support": int(v["support"])}
        for kind, v in report.items()
        if not kind.endswith(" avg")
    }  # fmt: skip
    units = sum(len(t) for t in truth)
    correct = sum(a == b for t, p in zip(truth, predicted, strict=True) for a, b in zip(t, p, strict=True))
    return {
        "f1": float(f1_score(truth, predicted, zero_division=0, **mode)),
        "precision": float(precision_score(truth, predicted, zero_division=0, **mode)),
        "recall": float(recall_score(truth, predicted, zero_division=0, **mode)),
        "token_accuracy": correct / units if units else 0.0,
        "per_class": per_type,
        "entities": sum(v["support"] for v in per_type.values()),
    }
