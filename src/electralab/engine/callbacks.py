"""Trainer callbacks: head-first warm-up freezing, and a run-interruption hook used in tests."""

from __future__ import annotations

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class FreezeEncoderCallback(TrainerCallback):
    """Train only the head for the first ``epochs`` epochs, then unfreeze the encoder.

    Parameters frozen for the whole run (``apply_freezing``) stay frozen.
    """

    def __init__(self, model, epochs: float) -> None:  # noqa: ANN001
        self.epochs = epochs
        self.params = [p for p in model.encoder.parameters() if p.requires_grad]
        for param in self.params:
            param._electralab_warm_frozen = True  # keep them in the optimiser groups

    def _set(self, state: TrainerState) -> None:
        trainable = (state.epoch or 0.0) >= self.epochs
        for param in self.params:
            param.requires_grad_(trainable)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: object
    ) -> None:
        """Freeze before the first step (or keep unfrozen when resuming past the warm-up)."""
        self._set(state)

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: object
    ) -> None:
        """Unfreeze once the warm-up epochs are over."""
        self._set(state)


class LogFinalStep(TrainerCallback):
    """Log the final step too, so a run shorter than ``logging_steps`` (or not ending on one) logs its end."""

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: object
    ) -> None:
        """Ask for a log at the last optimizer step."""
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_log = True
