"""After training: keep the last checkpoint (what ``--resume`` continues from) and the best; drop the rest.

The best checkpoint's weights are already the saved model, so its optimizer state (about twice the weights'
size) goes too; the last checkpoint keeps everything a resume needs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..engine.checkpoints import STAGING

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
OPTIMIZER_STATE = "optimizer.pt"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def prune_checkpoints(checkpoints_dir: Path, best_checkpoint: str | None) -> list[str]:
    """Delete every checkpoint but the last and the best, and the best's optimizer state.

    Args:
        checkpoints_dir: The run's ``checkpoints/`` folder.
        best_checkpoint: The Trainer's ``best_model_checkpoint`` (None without model selection).

    Returns:
        Notes saying what was kept, what was deleted and the space freed (empty when nothing was there).
    """
    if not checkpoints_dir.is_dir():
        return []
    shutil.rmtree(checkpoints_dir / STAGING, ignore_errors=True)  # what a kill while saving left
    found = sorted(
        (int(match.group(1)), child)
        for child in checkpoints_dir.iterdir()
        if child.is_dir() and (match := _CHECKPOINT.match(child.name))
    )
    if not found:
        return []
    last = found[-1][1]
    best = Path(best_checkpoint).name if best_checkpoint else None  # by name: the path may be from another folder
    freed, dropped = 0, []
    for _, checkpoint in found:
        if checkpoint == last:
            continue
        if checkpoint.name == best:
            if (checkpoint / OPTIMIZER_STATE).is_file():
                freed += _size(checkpoint / OPTIMIZER_STATE)
                (checkpoint / OPTIMIZER_STATE).unlink()
                dropped.append(f"{checkpoint.name}/{OPTIMIZER_STATE}")
            continue
        freed += _size(checkpoint)
        shutil.rmtree(checkpoint)
        dropped.append(checkpoint.name)
    if best is None:
        kept = f"{last.name} (last, resumable)"
    elif best == last.name:
        kept = f"{last.name} (last and best, resumable)"
    else:
        kept = f"{last.name} (last, resumable) and {best} (best, without optimizer state)"
    if not dropped:
        return [f"checkpoints kept: {kept}"]
    return [f"checkpoints kept: {kept}; deleted {', '.join(dropped)}, freeing {_megabytes(freed)}"]
