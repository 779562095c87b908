"""A killed run resumes from its last complete checkpoint and ends where an uninterrupted run ends."""

from __future__ import annotations

import json
import shutil

import pytest
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
