"""The cookbook examples, run end to end with --tiny from another working directory, asserting what they wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ("beginner", "intermediate", "expert", "multilabel", "domain_adaptation")


def run_example(name: str, tmp_path: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--tiny", "--output-dir", "runs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_example_is_tested_and_short():
    found = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
    assert found == sorted(NAMES)
    for name in NAMES:
        code = [line for line in (EXAMPLES / f"{name}.py").read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(code) <= 60, (name, len(code))


def test_beginner(tmp_path):
    summary = run_example("beginner", tmp_path)
    run_dir = tmp_path / summary["run_dir"]
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert summary["test_accuracy"] == metrics["test"]["accuracy"] and summary["test_rows"] == 40
    assert summary["handwritten_accuracy"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert (run_dir / "model" / "model.safetensors").is_file() and (run_dir / "report.html").is_file()


def test_intermediate_keeps_the_best_checkpoint_and_can_skip_validation(tmp_path):
    summary = run_example("intermediate", tmp_path)
    run = summary["run"]
    assert 1 <= len(summary["checkpoints"]) <= 2  # train.keep_checkpoints=2, the best among them
    assert Path(run["best_checkpoint"]).name in summary["checkpoints"]
    history = json.loads((tmp_path / summary["keep_best"] / "log_history.json").read_text(encoding="utf-8"))
    eval_steps = [entry["step"] for entry in history if "eval_f1_macro" in entry]
    assert eval_steps == list(range(2, run["global_step"] + 1, 2))  # every 2 steps (--tiny: 120 rows // 100 -> 2)
    assert summary["no_validation_run"]["best_checkpoint"] is None  # validation off: nothing to choose by


def test_expert_schedule_warms_up_then_decays(tmp_path):
    summary = run_example("expert", tmp_path)
    rates = summary["learning_rates"]
    peak = rates.index(max(rates))
    assert 0 < peak < len(rates) - 1 and rates[-1] < max(rates)  # warmup up, then cosine down
    assert summary["classes"] == 7
    assert "frozen for the whole run: 33 encoder tensors" in summary["notes"]  # word embeddings + 2 layers x 16


def test_multilabel_saves_the_tuned_thresholds(tmp_path):
    summary = run_example("multilabel", tmp_path)
    config = json.loads((tmp_path / summary["run_dir"] / "model" / "config.json").read_text(encoding="utf-8"))
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    assert config["label_thresholds"] == [summary["thresholds"][label] for label in labels]
    assert all(set(predicted) <= set(labels) for predicted in summary["predicted"])


def test_domain_adaptation_fine_tunes_the_pretrained_discriminator(tmp_path):
    summary = run_example("domain_adaptation", tmp_path)
    assert summary["pretrain_steps"] == 6
    run_config = yaml.safe_load((tmp_path / summary["fine_tune_run"] / "run_config.yaml").read_text(encoding="utf-8"))
    assert run_config["model"]["name_or_path"] == summary["discriminator"]
    assert 0.0 <= summary["test_accuracy"] <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_example_help_names_its_shell_command(name):
    assert "electralab " in (EXAMPLES / f"{name}.py").read_text(encoding="utf-8").split('"""')[1]
