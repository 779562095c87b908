"""The Trainer, extended only where the recipes need it: optimiser groups (rank decay, LLRD), length buckets.

Its checkpoints are published whole and name the best checkpoint relative to the run folder.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import torch
from transformers import Trainer, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

from .checkpoints import STAGING, TRAINER_STATE, best_checkpoint_name, publish_checkpoint
from .params import optimizer_groups
from .sampling import LengthBucketSampler


def build_adamw(groups: list[dict], args: TrainingArguments) -> torch.optim.AdamW:
    """AdamW over ``groups`` with the Trainer's hyperparameters; the fused kernel when ``args.optim`` asks for it.

    The fused kernel (the Trainer's default, ``adamw_torch_fused``) updates all tensors at once: about 3× faster
    than the per-tensor loop on a CPU, which is several percent of a small model's training step.
    """
    settings = {"lr": args.learning_rate, "betas": (args.adam_beta1, args.adam_beta2), "eps": args.adam_epsilon}
    if "fused" in str(getattr(args.optim, "value", args.optim)):
        try:
            return torch.optim.AdamW(groups, fused=True, **settings)
        except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
            pass
    return torch.optim.AdamW(groups, **settings)


class ElectralabTrainer(Trainer):
    """``transformers.Trainer`` with electralab's parameter groups, length-bucketed batches and atomic checkpoints.

    Args:
        *args: Passed to ``Trainer``.
        head_learning_rate: Learning rate of the parameters outside ``encoder.*``; default the Trainer's.
        layer_lr_decay: Layer-wise learning-rate decay of the encoder (1.0: none).
        batching: ``length_buckets`` (our :class:`LengthBucketSampler`), ``group_by_length`` or ``random``.
        **kwargs: Passed to ``Trainer``.
    """

    def __init__(
        self,
        *args: object,
        head_learning_rate: float | None = None,
        layer_lr_decay: float = 1.0,
        batching: str = "random",
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.head_learning_rate = head_learning_rate
        self.layer_lr_decay = layer_lr_decay
        self.batching = batching
        self._staging = False

    def _get_output_dir(self, trial: object) -> str:
        """While a checkpoint is being saved: the staging folder beside the checkpoints (see ``_save_checkpoint``)."""
        folder = super()._get_output_dir(trial)
        return str(Path(folder) / STAGING) if self._staging else folder

    def _save_checkpoint(self, model: torch.nn.Module, trial: object) -> None:
        """The Trainer's checkpoint, written under ``checkpoints/.staging/`` and renamed into place when complete.

        A kill while saving leaves no ``checkpoint-N`` folder (only the staging folder, cleared at the next save).
        ``trainer_state.json`` names the best checkpoint by folder name, resolved against the run on resume.
        """
        root = Path(super()._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staged = root / STAGING / name
        if self.args.should_save:  # what a kill while saving left
            shutil.rmtree(staged.parent, ignore_errors=True)
        self.accelerator.wait_for_everyone()
        self._staging = True
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging = False
        best = self.state.best_model_checkpoint
        if best is not None and Path(best).parent == staged.parent:  # the checkpoint just saved is the best
            self.state.best_model_checkpoint = str(root / Path(best).name)
        best, best_name = self.state.best_model_checkpoint, best_checkpoint_name(self.state.best_model_checkpoint)
        if self.args.should_save:  # the state on disk names the best checkpoint by folder name
            self.state.best_model_checkpoint = best_name
            try:
                self.state.save_to_json(str(staged / TRAINER_STATE))
            finally:
                self.state.best_model_checkpoint = best
        self.accelerator.wait_for_everyone()
        if self.args.should_save:
            publish_checkpoint(staged, root / name)
            with contextlib.suppress(OSError):  # the staging folder, now empty
                staged.parent.rmdir()
            rotate_checkpoints(str(root), self.args.save_total_limit, str(root / best_name) if best_name else None)
        self.accelerator.wait_for_everyone()

    def create_optimizer(self, model: torch.nn.Module | None = None) -> torch.optim.Optimizer:
        """AdamW over :func:`optimizer_groups` (weight decay by tensor rank, layer-wise LR decay)."""
        if self.optimizer is None:
            args = self.args
            groups = optimizer_groups(
                self.model, args.learning_rate, args.weight_decay, self.head_learning_rate, self.layer_lr_decay
            )
            self.optimizer = build_adamw(groups, self.args)
        return self.optimizer

    def _get_train_sampler(self, train_dataset: object = None) -> torch.utils.data.Sampler | None:
        """A :class:`LengthBucketSampler` with ``batching=length_buckets``, else the Trainer's own."""
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        columns = getattr(dataset, "column_names", None) or ()
        if self.batching != "length_buckets" or not {"length", "input_ids"} & set(columns):
            return super()._get_train_sampler(train_dataset)
        if "length" in columns:
            lengths = dataset["length"][:]
        else:  # the Trainer dropped the column the model does not take
            lengths = [len(ids) for ids in dataset["input_ids"][:]]
        return LengthBucketSampler(lengths, self.args.train_batch_size, self.args.seed)

    def _get_eval_sampler(self, eval_dataset: object) -> torch.utils.data.Sampler | None:
        """Evaluation rows in their order, whatever the training batching.

        ``transformers`` 5 groups evaluation rows by length when training does (``group_by_length``); metrics
        that read rows by position (windows scored as documents, a question's answer windows) would be
        computed on shuffled rows. Distributed: ``None``, the rows gathered back in order by ``accelerate``.
        """
        if eval_dataset is None or self.args.world_size > 1:
            return None
        return torch.utils.data.SequentialSampler(eval_dataset)
