"""Helpers shared by the benchmark scripts: offline model folders and result files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results"


def offline_model(name: str) -> str:
    """Folder of an offline pretrained encoder (``minilm`` or ``me5-small``)."""
    out = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "offline_models.py"), name],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def save_result(name: str, result: dict) -> Path:
    """Write ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
