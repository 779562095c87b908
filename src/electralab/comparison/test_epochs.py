"""``--test-per-epoch``: score the test file after every dev evaluation, for the report only.

The scores go to ``test_per_epoch.json`` in the run folder; nothing in training or in the comparison's
choice reads them (the best checkpoint and the best configuration are chosen on dev).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from ..config import RunConfig
from ..errors import ConfigError
from ..files import write_json
from ..tasks import get_task

TEST_PER_EPOCH = "test_per_epoch.json"


def check_test_per_epoch(config: RunConfig) -> None:
    """Refuse ``--test-per-epoch`` for a task that cannot score raw test texts, or without a test file.

    Raises:
        ConfigError: Naming the task or the missing ``data.test_file``.
    """
    task = get_task(config.task)
    if not hasattr(task, "split_logits"):
        raise ConfigError(f"--test-per-epoch: task {config.task} has no per-text scoring; leave the flag out")
    if config.data.test_file is None:
        raise ConfigError("--test-per-epoch needs a test file (data.test_file)")


class TestEachEpoch(TrainerCallback):
    """After each dev evaluation, score the test split and append the scores to ``test_per_epoch.json``."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.task: Any = get_task(config.task)
        self.test: Any = None
        self.epochs: list[dict[str, float]] = []

    def on_evaluate(self, args, state, control, model=None, processing_class=None, **kwargs):
        """Score the test rows with the model as it is now (train mode restored afterwards)."""
        if self.test is None:
            self.test = self.task.raw_splits(self.config)["test"]
        training = model.training
        model.eval()
        with torch.no_grad():
            logits = self.task.split_logits(self.config, model, processing_class, self.test)
        model.train(training)
        scores = self.task.score(model.config, logits, self.test, "test")
        numbers = {k: float(v) for k, v in scores.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        numbers.pop("rows", None)
        self.epochs.append({"epoch": float(state.epoch), **numbers})
        write_json(Path(args.output_dir).parent / TEST_PER_EPOCH, self.epochs)
