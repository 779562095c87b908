"""The Trainer for ELECTRA pretraining: records each forward, logs diagnostics, saves shared weights once."""

from __future__ import annotations

import os
from pathlib import Path

import safetensors.torch
import torch
from torch import nn

from ..engine.trainer import ElectralabTrainer
from .diagnostics import DiagnosticsAccumulator
from .model import ElectraPretrainingOutput

WEIGHTS_NAME = "model.safetensors"


class StepRecorder:
    """What the last training forward produced, and the diagnostics summed since the last log."""

    def __init__(self) -> None:
        self.last: ElectraPretrainingOutput | None = None
        self.diagnostics = DiagnosticsAccumulator()

    def record(self, output: ElectraPretrainingOutput) -> None:
        """Keep ``output`` for the per-step view and add its counts to the diagnostics."""
        self.last = output
        self.diagnostics.add(output)


def unique_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict with every shared tensor stored once (under its first name)."""
    seen: set[tuple[int, torch.Size]] = set()
    unique = {}
    for name, tensor in model.state_dict().items():
        key = (tensor.data_ptr(), tensor.shape)
        if key in seen:
            continue
        seen.add(key)
        unique[name] = tensor.contiguous()
    return unique


class PretrainingTrainer(ElectralabTrainer):
    """``transformers.Trainer`` for :class:`~electralab.pretraining.model.ElectraPretrainingModel`.

    It records every training forward in ``recorder`` (for the per-step view), adds the generator and
    discriminator diagnostics to each training log (so every tracker receives them), and checkpoints the
    shared embeddings once. Optimiser groups (decay by tensor rank) are the fine-tuning trainer's.
    """

    def __init__(self, *args: object, recorder: StepRecorder, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.recorder = recorder

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, ElectraPretrainingOutput]:
        """The model's combined loss; training forwards are recorded."""
        outputs = model(**inputs)
        if model.training:
            self.recorder.record(outputs)
        return (outputs.loss, outputs) if return_outputs else outputs.loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the diagnostics since the last log to a training log, then log as usual."""
        if "loss" in logs:
            logs.update(self.recorder.diagnostics.pop())
        super().log(logs, start_time)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """Checkpoint the weights with each shared tensor stored once."""
        if not self.args.should_save:
            return
        folder = Path(output_dir or self.args.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        unwrapped = self.accelerator.unwrap_model(self.model)
        safetensors.torch.save_file(unique_state_dict(unwrapped), str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
        torch.save(self.args, os.path.join(folder, "training_args.bin"))

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: nn.Module | None = None) -> None:
        """Load a checkpoint written by :meth:`_save`; the shared tensors' other names need no values."""
        target = self.accelerator.unwrap_model(model or self.model)
        state = safetensors.torch.load_file(str(Path(resume_from_checkpoint) / WEIGHTS_NAME), device="cpu")
        result = target.load_state_dict(state, strict=False)
        aliases = set(target.state_dict()) - set(unique_state_dict(target))
        missing = [key for key in result.missing_keys if key not in aliases]
        if missing or result.unexpected_keys:
            raise RuntimeError(
                f"checkpoint {resume_from_checkpoint} does not match the model: "
                f"missing {missing[:5]}, unexpected {result.unexpected_keys[:5]}"
            )
