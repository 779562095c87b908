"""A run killed with SIGKILL mid-epoch and resumed ends exactly where an uninterrupted run with the same seed ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_resume import _config

import electralab
from electralab.cli import main
from electralab.config import save_yaml
from electralab.training.recipe import run_training

# Trains in a child process; after step 20 (mid-epoch 1, checkpoints at 8 and 16) it says so and waits to be killed.
_CHILD = """
import sys, time
from pathlib import Path
import torch
from transformers import TrainerCallback
from electralab.config import config_from_dict, load_yaml
from electralab.training.recipe import run_training

torch.set_num_threads(1)

class WaitForKill(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 20:
            Path(sys.argv[1]).write_text("step 20")
            time.sleep(600)

run_training(config_from_dict(load_yaml(Path(sys.argv[2]))), extra_callbacks=[WaitForKill()])
"""


def _kill_mid_epoch(config_file: Path, marker: Path) -> None:
    src = str(Path(electralab.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(marker), str(config_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if child.poll() is not None:
                pytest.fail(f"the training process ended before step 20: {child.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the training process did not reach step 20 within 120 s")
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _logged_at_checkpoints(config):
    # The Trainer's logged training loss averages the steps since its last log in this process; logs every 8 steps
    # (the checkpoint interval) make the windows of a resumed run those of an uninterrupted one.
    config.train.logging_steps = 8
    return config


def test_sigkilled_run_resumes_to_the_same_bytes(toy_encoder, toy_data, tmp_path):
    full = run_training(_logged_at_checkpoints(_config(toy_encoder, toy_data, tmp_path / "full")))
    cut = _logged_at_checkpoints(_config(toy_encoder, toy_data, tmp_path / "cut"))
    save_yaml(tmp_path / "cut.yaml", cut.to_dict())
    _kill_mid_epoch(tmp_path / "cut.yaml", tmp_path / "step-20")
    (run_dir,) = (tmp_path / "cut").iterdir()
    assert not (run_dir / "model").exists()
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*")) == ["checkpoint-16", "checkpoint-8"]

    assert main(["train", "--resume", str(run_dir)]) == 0

    resumed = json.loads((run_dir / "metrics.json").read_text())
    expected = full.metrics
    assert resumed["run"]["global_step"] == expected["run"]["global_step"] == 54
    assert resumed["run"]["best_checkpoint"] == expected["run"]["best_checkpoint"]
    for split in ("dev", "test"):
        assert resumed[split] == expected[split]
    # Every training and evaluation log of the uninterrupted run, at the same steps, with the same values.
    history = json.loads((run_dir / "log_history.json").read_text())
    full_history = json.loads((full.run_dir / "log_history.json").read_text())
    logged = ("loss", "eval_loss", "eval_accuracy")
    assert [(e["step"], k) for e in history for k in logged if k in e] == [
        (e["step"], k) for e in full_history for k in logged if k in e
    ]
    values = [e[k] for e in history for k in logged if k in e]
    assert values == pytest.approx([e[k] for e in full_history for k in logged if k in e], rel=1e-6)
    assert (run_dir / "model" / "model.safetensors").read_bytes() == (
        full.run_dir / "model" / "model.safetensors"
    ).read_bytes()
