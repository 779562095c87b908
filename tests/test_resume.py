"""A killed run resumes from its last complete checkpoint and ends where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

from electralab.cli import main
from electralab.config import build_config
from electralab.engine.rundir import last_complete_checkpoint
from electralab.training.recipe import run_training


class _Kill(TrainerCallback):
    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.at_step:
            raise KeyboardInterrupt("simulated kill")


class _SamplerSeen(TrainerCallback):
    def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
        sampler = getattr(train_dataloader, "sampler", None)
        inner = getattr(getattr(train_dataloader, "batch_sampler", None), "sampler", None)
        self.name = type(inner if inner is not None else sampler).__name__


def _config(toy_encoder, toy_data, out, batching="group_by_length"):
    return build_config(
        overrides=[
            f"model.name_or_path={toy_encoder}",
            "model.head=mean",
            f"data.data_dir={toy_data}",
            "data.train_file=train.csv",
            "data.test_file=test.csv",
            "data.max_length=32",
            "train.epochs=2",
            "train.learning_rate=1e-3",
            "train.batch_size=16",
            "train.eval_strategy=steps",
            "train.eval_steps=8",
            "train.keep_checkpoints=10",
            f"train.batching={batching}",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={out}",
        ]
    )


@pytest.mark.parametrize("batching", ["group_by_length", "length_buckets"])
def test_interrupted_run_resumes_to_the_same_end(toy_encoder, toy_data, tmp_path, batching):
    sampler = _SamplerSeen()
    full = run_training(_config(toy_encoder, toy_data, tmp_path / "full", batching), extra_callbacks=[sampler])
    expected = {"group_by_length": "LengthGroupedSampler", "length_buckets": "LengthBucketSampler"}[batching]
    assert sampler.name == expected
    with pytest.raises(KeyboardInterrupt):
        run_training(_config(toy_encoder, toy_data, tmp_path / "cut", batching), extra_callbacks=[_Kill(at_step=21)])
    run_dir = next((tmp_path / "cut").iterdir())
    assert last_complete_checkpoint(run_dir).name == "checkpoint-16"
    # A checkpoint left half-written by a kill during saving is not picked.
    partial = run_dir / "checkpoints" / "checkpoint-20"
    shutil.copytree(run_dir / "checkpoints" / "checkpoint-16", partial)
    (partial / "optimizer.pt").unlink()
    assert last_complete_checkpoint(run_dir).name == "checkpoint-16"
    shutil.rmtree(partial)

    assert main(["train", "--resume", str(run_dir)]) == 0
    resumed = json.loads((run_dir / "metrics.json").read_text())
    history = json.loads((run_dir / "log_history.json").read_text())
    assert resumed["run"]["global_step"] == full.metrics["run"]["global_step"] == 54
    full_history = json.loads((full.run_dir / "log_history.json").read_text())
    # Exactly the remaining steps were run: no evaluation repeated or skipped.
    assert [e["step"] for e in history if "eval_loss" in e] == [e["step"] for e in full_history if "eval_loss" in e]
    assert resumed["test"]["loss"] == pytest.approx(full.metrics["test"]["loss"], abs=1e-4)
    assert resumed["test"]["accuracy"] == full.metrics["test"]["accuracy"]


def _interrupted_run(toy_encoder, toy_data, output_dir, keep_checkpoints: int = 10) -> Path:
    """A run stopped at step 21 of 54: checkpoints at steps 8 and 16, the best among them recorded."""
    config = _config(toy_encoder, toy_data, output_dir)
    config.train.keep_checkpoints = keep_checkpoints
    with pytest.raises(KeyboardInterrupt):
        run_training(config, extra_callbacks=[_Kill(at_step=21)])
    return next(Path(output_dir).iterdir()).resolve()


def _weights(folder: Path) -> dict:
    return load_file(str(folder / "model.safetensors"))


def _assert_model_is_best_checkpoint(run_dir: Path) -> None:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    best = metrics["run"]["best_checkpoint"]
    assert best is not None and not Path(best).is_absolute() and best.startswith("checkpoints/checkpoint-")
    assert (run_dir / best).is_dir()
    assert best != f"checkpoints/checkpoint-{metrics['run']['global_step']}"  # else the test could not fail
    model, chosen = _weights(run_dir / "model"), _weights(run_dir / best)
    assert model.keys() == chosen.keys()
    assert all(torch.equal(model[key], chosen[key]) for key in model)
    state = json.loads((run_dir / best / "trainer_state.json").read_text())
    assert state["best_model_checkpoint"] == Path(best).name  # stored relative to the run folder


def test_resume_from_another_directory_keeps_the_best_model(toy_encoder, toy_data, tmp_path, monkeypatch):
    (tmp_path / "started-here").mkdir()
    monkeypatch.chdir(tmp_path / "started-here")
    run_dir = _interrupted_run(toy_encoder, toy_data, "runs", keep_checkpoints=1)  # a relative --output-dir
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    # A relative run folder from another directory; keeping one checkpoint, rotation must still spare the best.
    assert main(["train", "--resume", os.path.relpath(run_dir)]) == 0
    _assert_model_is_best_checkpoint(run_dir)


def test_resume_of_a_copied_run_uses_its_own_checkpoints(toy_encoder, toy_data, tmp_path):
    original = _interrupted_run(toy_encoder, toy_data, tmp_path / "runs")
    copy = tmp_path / "copied" / original.name
    shutil.copytree(original, copy)
    shutil.rmtree(original)  # the copy must not need (or read) the folder it was copied from
    assert main(["train", "--resume", str(copy)]) == 0
    _assert_model_is_best_checkpoint(copy)


@pytest.mark.parametrize("damaged", ["model.safetensors", "optimizer.pt"])
def test_resume_skips_a_corrupt_checkpoint_and_names_the_file(toy_encoder, toy_data, tmp_path, capsys, damaged):
    run_dir = _interrupted_run(toy_encoder, toy_data, tmp_path / "runs")
    path = run_dir / "checkpoints" / "checkpoint-16" / damaged
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated, as by a full disk
    capsys.readouterr()
    assert main(["train", "--resume", str(run_dir)]) == 0
    err = capsys.readouterr().err
    assert str(path) in "".join(err.split())  # the message names the damaged file (rich wraps long lines)
    assert "checkpoint-8" in err
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["global_step"] == 54


def test_a_checkpoint_appears_only_once_complete(toy_encoder, toy_data, tmp_path, monkeypatch):
    from electralab.engine.trainer import ElectralabTrainer

    save_optimizer = ElectralabTrainer._save_optimizer_and_scheduler

    def dies_at_step_16(self, output_dir):
        if self.state.global_step == 16:
            raise KeyboardInterrupt("killed while saving")
        save_optimizer(self, output_dir)

    monkeypatch.setattr(ElectralabTrainer, "_save_optimizer_and_scheduler", dies_at_step_16)
    with pytest.raises(KeyboardInterrupt):
        run_training(_config(toy_encoder, toy_data, tmp_path / "runs"))
    run_dir = next((tmp_path / "runs").iterdir())
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*")) == ["checkpoint-8"]
