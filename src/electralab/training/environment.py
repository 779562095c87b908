"""Where and with what a run ran: hardware, precision and the versions of everything, for ``environment.json``."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
import transformers


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` knows)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def git_commit(folder: Path) -> str | None:
    """The commit checked out in the git work tree holding ``folder`` (``+dirty`` with local changes), or None."""
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()

        commit = git("rev-parse", "HEAD")
        return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.SubprocessError):
        return None  # not a git work tree, or no git installed


def accelerators() -> list[dict[str, Any]]:
    """The CUDA devices this process sees (name, memory); empty on a CPU-only machine."""
    if not torch.cuda.is_available():
        return []
    found = []
    for index in range(torch.cuda.device_count()):
        properties = torch.cuda.get_device_properties(index)
        found.append({"name": properties.name, "memory_gib": round(properties.total_memory / 2**30, 1)})
    return found


def collect_environment(precision: str) -> dict[str, Any]:
    """Hardware, precision and versions of this process.

    Args:
        precision: The run's ``train.precision`` setting.
    """
    package_dir = Path(__file__).resolve().parents[1]
    return {
        "hardware": {
            "cpu": cpu_model(),
            "cpu_cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "gpus": accelerators(),
            "precision": precision,
        },
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "electralab": _version("electralab"),
            "electralab_git_commit": git_commit(package_dir),
            "working_directory_git_commit": git_commit(Path.cwd()),
        },
        "platform": platform.platform(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else None,
    }
