"""Checkpoints a run can trust: published whole, named relative to the run folder, checked before a resume.

A checkpoint is written into ``checkpoints/.staging/`` and renamed into place once every file is on disk, so a
``checkpoint-N`` folder is either complete or absent. The best checkpoint is recorded by folder name and resolved
against the run folder being resumed, so a run folder can be moved, copied or resumed from any directory.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import torch

STAGING = ".staging"
TRAINER_STATE = "trainer_state.json"
WEIGHTS = "model.safetensors"
TORCH_STATES = ("optimizer.pt", "scheduler.pt")


def publish_checkpoint(staged: Path, target: Path) -> None:
    """Move a fully written checkpoint folder to ``target``, replacing a stale folder of the same name."""
    replaced = staged.with_name(f".replaced-{staged.name}")
    if target.exists():
        shutil.rmtree(replaced, ignore_errors=True)
        target.rename(replaced)
    staged.rename(target)
    shutil.rmtree(replaced, ignore_errors=True)


def best_checkpoint_name(best_model_checkpoint: str | None) -> str | None:
    """The folder name of the Trainer's best checkpoint (its path, relative or absolute, from any directory)."""
    return Path(best_model_checkpoint).name if best_model_checkpoint else None


def resolve_best_checkpoint(checkpoint: Path) -> str | None:
    """Point the resumed state's best checkpoint at the folder of that name beside ``checkpoint``.

    The Trainer reads ``best_model_checkpoint`` from ``trainer_state.json`` and drops it unless it is a folder seen
    from the current directory; an old run folder may name it relative to where training started, or name the
    folder it was copied from. The name is resolved against this run's ``checkpoints/`` and the file rewritten.

    Returns:
        The resolved path, or None when the state names no best checkpoint or that folder is gone.
    """
    path = checkpoint / TRAINER_STATE
    state = json.loads(path.read_text(encoding="utf-8"))
    name = best_checkpoint_name(state.get("best_model_checkpoint"))
    best = checkpoint.parent / name if name else None
    # Spelled as the Trainer spells its checkpoints (from the run folder as given), so its rotation keeps this one.
    resolved = str(best) if best is not None and best.is_dir() else None
    if resolved != state.get("best_model_checkpoint"):
        state["best_model_checkpoint"] = resolved
        staged = path.with_name(TRAINER_STATE + ".tmp")
        staged.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(staged, path)
    return resolved


def checkpoint_problem(checkpoint: Path, model: torch.nn.Module) -> str | None:
    """What makes ``checkpoint`` unusable for resuming ``model`` (None when every file loads and matches)."""
    for name in (TRAINER_STATE, WEIGHTS, *TORCH_STATES):
        if not (checkpoint / name).is_file():
            return f"{checkpoint / name} is missing"
    try:
        json.loads((checkpoint / TRAINER_STATE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"{checkpoint / TRAINER_STATE} is not readable JSON ({err})"
    problem = _weights_problem(checkpoint / WEIGHTS, model)
    if problem:
        return problem
    from transformers.trainer_pt_utils import safe_globals  # the numpy types of rng_state.pth, as the Trainer allows

    for path in [*(checkpoint / name for name in TORCH_STATES), *sorted(checkpoint.glob("rng_state*.pth"))]:
        try:  # mmap reads the archive's index, not the tensors: a truncated file fails here, cheaply
            with safe_globals():
                torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except Exception as err:  # noqa: BLE001 - torch raises many kinds for a damaged archive
            return f"{path} does not load ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
    return None


def _weights_problem(path: Path, model: torch.nn.Module) -> str | None:
    """Check that the safetensors file opens and holds the model's tensors with the model's shapes."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as weights:
            shapes = {key: tuple(weights.get_slice(key).get_shape()) for key in weights.keys()}  # noqa: SIM118
    except (OSError, SafetensorError, ValueError) as err:
        return f"{path} does not open ({str(err).splitlines()[0][:120]})"
    expected = model.state_dict()
    for key, shape in shapes.items():
        if key not in expected:
            return f"{path} holds {key!r}, which the model does not have"
        if tuple(expected[key].shape) != shape:
            return f"{path}: {key} has shape {list(shape)}, the model {list(expected[key].shape)}"
    stored = {expected[key].data_ptr() for key in shapes}
    missing = [key for key, tensor in expected.items() if key not in shapes and tensor.data_ptr() not in stored]
    if missing:
        return f"{path} lacks {len(missing)} of the model's tensors (first: {missing[0]})"
    return None


def newest_good_checkpoint(checkpoints: list[Path], model: torch.nn.Module, say: Callable[[str], None]) -> Path | None:
    """The newest of ``checkpoints`` (oldest first) that :func:`checkpoint_problem` accepts; says why others fail."""
    for checkpoint in reversed(checkpoints):
        problem = checkpoint_problem(checkpoint, model)
        if problem is None:
            return checkpoint
        say(f"skipping {checkpoint.name}: {problem}; trying the checkpoint before it")
    return None
