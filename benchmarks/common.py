"""Helpers shared by the benchmark scripts: offline model folders and result files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
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


SPEED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8", "amx_tile")
"""CPU flags that decide fp32/bf16/int8 matmul speed."""


def cpu_flags() -> list[str]:
    """Which of :data:`SPEED_FLAGS` this CPU has (from /proc/cpuinfo; empty where it cannot be read)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return [flag for flag in SPEED_FLAGS if flag in flags]


def cpu_description() -> str:
    """The CPU model and the flags that decide bf16 speed (AMX, AVX-512 BF16), from /proc/cpuinfo."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    wanted = [flag for flag in ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if flag in flags]
    return f"{model} ({', '.join(wanted) or 'no AVX-512'})"


def fresh_dir(path: str | Path) -> Path:
    """``path`` as a new, empty folder (whatever an earlier run left there is removed)."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def save_result(name: str, result: dict) -> Path:
    """Write ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def fine_tune(preset: str, overrides: list[str], run_name: str) -> dict:
    """Fine-tune through electralab's recipe; the test/dev scores, whether it collapsed, time and run folder."""
    from electralab.config import build_config
    from electralab.training.recipe import run_training

    started = time.perf_counter()
    result = run_training(build_config(preset, overrides=overrides), run_name=run_name)
    test = result.metrics["test"]
    return {
        "test_accuracy": test["accuracy"],
        "test_f1_macro": test["f1_macro"],
        "dev_accuracy": result.metrics["dev"]["accuracy"],
        "collapsed": test["collapsed"],
        "seconds": round(time.perf_counter() - started, 1),
        "run_dir": str(result.run_dir),
    }


def diagnostics_curve(run_dir: Path) -> list[dict]:
    """The discriminator's precision/recall/AUC and the generator's accuracy at each log of a pretraining run."""
    logs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    keys = ("step", "disc_precision", "disc_recall", "disc_auc", "mlm_accuracy")
    return [{key: entry[key] for key in keys if key in entry} for entry in logs if "disc_precision" in entry]
