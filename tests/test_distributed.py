"""Data-parallel training with 2 CPU processes (torchrun, gloo): one run folder, every eval row scored once."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys


def test_two_cpu_processes_share_one_run_and_score_each_row_once(toy_encoder, toy_data, tmp_path):
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
        "-m", "electralab.cli", "train",
        "--model", str(toy_encoder), "--head", "mean", "--output-dir", str(tmp_path / "runs"),
        f"data.data_dir={toy_data}", "data.train_file=train.csv", "data.test_file=test.csv",
        "data.max_train_rows=470",  # dev: 47 rows, odd, so the distributed sampler pads one
        "data.max_length=32", "train.epochs=6", "train.batch_size=8", "train.learning_rate=2e-3", "train.warmup=0.1",
        "train.eval_strategy=epoch", "train.report_to=[]", "train.progress_bar=false",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1, f"one run folder for both processes, got {[r.name for r in runs]}"
    run = runs[0]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["run"]["dev_rows"] == 47 and metrics["run"]["train_rows"] == 423
    # Each optimiser step takes 8 rows from each of the 2 processes.
    steps_per_epoch = math.ceil(423 / 16)
    assert metrics["run"]["global_step"] == 6 * steps_per_epoch
    history = json.loads((run / "log_history.json").read_text())
    evals = [entry for entry in history if "eval_loss" in entry]
    assert [entry["step"] for entry in evals] == [steps_per_epoch * k for k in range(1, 7)]
    assert all(entry["eval_rows"] == 47 for entry in evals), "no row dropped or scored twice"
    checkpoints = [p for p in (run / "checkpoints").iterdir()]
    assert f"checkpoint-{6 * steps_per_epoch}" in {p.name for p in checkpoints} and len(checkpoints) <= 3
    assert all((p / "trainer_state.json").is_file() and (p / "model.safetensors").is_file() for p in checkpoints)
    assert (run / "model" / "model.safetensors").is_file() and (run / "report.html").is_file()
    assert metrics["test"]["accuracy"] >= 0.9
