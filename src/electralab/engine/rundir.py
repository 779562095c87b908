"""Run folders: one timestamped folder per run, the resolved config inside, complete checkpoints only."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import yaml

from ..config import RunConfig, config_from_dict, save_yaml
from ..errors import ConfigError

RUN_CONFIG = "run_config.yaml"
CHECKPOINTS = "checkpoints"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_CHECKPOINT_FILES = ("trainer_state.json", "optimizer.pt", "scheduler.pt")


def check_output_dir(output_dir: str) -> None:
    """Refuse an ``output_dir`` that cannot hold run folders, before minutes of loading are spent.

    Raises:
        ConfigError: If ``output_dir`` (or a parent of it) is a file, or the folder is not writable.
    """
    folder = Path(output_dir).expanduser()
    existing = next((p for p in [folder, *folder.parents] if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigError(
            f"output_dir={output_dir}: {existing} is a file, not a folder; pass --output-dir a folder for run folders"
        )
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"output_dir={output_dir}: {existing} is not writable; pass --output-dir a writable folder")


def new_run_dir(output_dir: str, name: str) -> Path:
    """Create ``output_dir/<name>-YYYYmmdd-HHMMSS`` (suffixed if it exists); never reuse a folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(output_dir).expanduser() / f"{name}-{stamp}"
    candidate, n = base, 1
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")


def save_run_config(run_dir: Path, config: RunConfig) -> None:
    """Write the resolved config as YAML."""
    save_yaml(run_dir / RUN_CONFIG, config.to_dict())


def load_run_config(run_dir: Path) -> RunConfig:
    """Read a run folder's resolved config (for resume, evaluate and predict)."""
    path = run_dir / RUN_CONFIG
    if not path.is_file():
        raise ConfigError(f"{run_dir} has no {RUN_CONFIG}: pass a folder created by `electralab train`")
    return config_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def complete_checkpoints(run_dir: Path) -> list[Path]:
    """The checkpoints whose state, optimiser and scheduler were all written, oldest first (a kill mid-save: none)."""
    folder = run_dir / CHECKPOINTS
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and all((child / f).is_file() for f in _CHECKPOINT_FILES):
            found.append((int(match.group(1)), child))
    return [child for _, child in sorted(found)]


def last_complete_checkpoint(run_dir: Path) -> Path | None:
    """The newest of :func:`complete_checkpoints` (None when there is none)."""
    found = complete_checkpoints(run_dir)
    return found[-1] if found else None
