"""Refuse to predict with a head that was never trained: a bare encoder folder gets a random classifier.

``from_pretrained`` fills the weights a folder lacks (a classification head on an encoder saved without one) with
random values and says so only in a log line; predictions from such a model look confident and mean nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ModelLoadError


def load_trained_model(auto_class: Any, folder: Path, force: bool = False) -> Any:
    """Load ``folder`` with ``auto_class``; refuse it when weights had to be newly initialised (unless ``force``).

    Args:
        auto_class: The ``transformers`` Auto class of the model's task.
        folder: The model folder.
        force: Load it anyway (the untrained weights stay random).

    Raises:
        ModelLoadError: If the folder lacks weights of the model (its head, typically), or some have another shape.
    """
    model, info = auto_class.from_pretrained(folder, output_loading_info=True)
    missing = sorted(info.get("missing_keys") or ())
    mismatched = sorted(str(entry[0]) for entry in info.get("mismatched_keys") or ())
    untrained = missing + mismatched
    if untrained and not force:
        raise ModelLoadError(
            f"{folder} has no trained head: {len(untrained)} weights of {type(model).__name__} are not in the folder "
            f"(e.g. {untrained[0]}) and would be random, so its labels would mean nothing; pass the model/ folder "
            "of a run written by `electralab train` (e.g. runs/<run>/model), or --force (force=True) to use it anyway"
        )
    return model
