"""What ``GET /v1/model`` says about the model being served, read from the predictor without knowing its task."""

from __future__ import annotations

from typing import Any

from .settings import ServeSettings


def describe_model(predictor: Any, settings: ServeSettings, version: str) -> dict[str, Any]:
    """The served model: task, labels, decision thresholds, max length, precision, folder, and the server's limits.

    Args:
        predictor: A loaded model (``electralab.load_model``); fields it lacks are reported as None.
        settings: The server's settings.
        version: electralab's version.
    """
    config = getattr(getattr(predictor, "model", None), "config", None)
    labels = list(getattr(predictor, "label_names", None) or [])
    folder = getattr(predictor, "folder", None)
    return {
        "model": str(folder) if folder is not None else None,
        "task": getattr(getattr(predictor, "task", None), "name", None),
        "labels": labels,
        "thresholds": _thresholds(config, len(labels)),
        "max_length": getattr(predictor, "max_length", None),
        "precision": getattr(predictor, "precision", None),
        "electralab_version": version,
        "batching": {"max_batch": settings.max_batch, "max_wait_ms": settings.max_wait_ms},
        "limits": {
            "max_texts": settings.max_texts,
            "max_chars": settings.max_chars,
            "max_body_bytes": settings.max_body_bytes,
        },
    }


def _thresholds(config: Any, num_labels: int) -> list[float] | None:
    """Per-label decision thresholds of a multi-label model (tuned on dev, else the global one); None otherwise."""
    tuned = getattr(config, "label_thresholds", None)
    if tuned:
        return [float(value) for value in tuned]
    if getattr(config, "problem_type", None) == "multi_label_classification" and hasattr(config, "threshold"):
        return [float(config.threshold)] * num_labels
    return None
