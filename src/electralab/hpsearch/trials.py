"""What each trial of ``Trainer.hyperparameter_search`` runs: its model, its arguments, its objective, its record.

The Trainer asks :meth:`Trials.model_init` for a fresh model at the start of every trial (after seeding with
``train.seed``) and then :meth:`Trials.hp_space` for the values it sets on ``TrainingArguments``. Both read the
trial's config, the search's config with the trial's values applied (Optuna answers the same key with the same
value within a trial), so a searched model key builds another model, a searched optimiser or schedule key lands in
``TrainingArguments``, and ``layer_lr_decay`` / ``head_learning_rate`` / ``batching`` are set on the trainer.
Dev is scored after every epoch; the objective is the best dev ``train.metric_for_best`` so far, which is what
keep-best would keep. The test split is not scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from transformers import TrainerCallback

from ..comparison.folders import epoch_entry
from ..config import RunConfig, save_yaml
from ..engine.arguments import shared_arguments
from ..files import write_json
from ..tasks import Task, TrainingParts
from ..tasks.sequence import recipe_arguments, recipe_callbacks
from ..training.recipe import cpu_dropout
from .space import Parameter, decode_choice, trial_config

SEARCH_ARGUMENTS = {"save_strategy": "no", "load_best_model_at_end": False}
"""No checkpoints during a search: a trial's dev scores are its result (train the best parameters afterwards)."""

_TRAINER_SETTINGS = ("head_learning_rate", "layer_lr_decay", "batching")


def trial_name(trial: Any) -> str:
    """A trial's folder under ``trials/``: ``trial-000``."""
    return f"trial-{trial.number:03d}"


def best_entry(history: list[dict[str, Any]], metric: str) -> dict[str, float]:
    """The dev scores of the best evaluation in a log history (the first of equals; lowest for ``loss``)."""
    evaluations = [epoch_entry(e, "eval_") for e in history if "eval_loss" in e and "epoch" in e]
    evaluations = [e for e in evaluations if metric in e]
    if not evaluations:
        return {}
    sign = -1.0 if metric == "loss" else 1.0
    best = max(evaluations, key=lambda entry: (sign * entry[metric], -entry["epoch"]))
    return {key: value for key, value in best.items() if key != "epoch"}


def trial_values(space: list[Parameter], params: dict[str, Any]) -> dict[str, Any]:
    """A trial's parameters as config values, in the order of the space."""
    return {p.key: decode_choice(params[p.key]) for p in space if p.key in params}


def trial_label(number: int, values: dict[str, Any]) -> str:
    """``trial 3: learning_rate=3.1e-05, head=mean``."""
    shown = ", ".join(f"{key.rsplit('.', 1)[-1]}={short(value)}" for key, value in values.items())
    return f"trial {number}: {shown}"


class Trials:
    """The per-trial plumbing between the search's config and the Trainer (see the module docstring)."""

    def __init__(
        self, base: RunConfig, task: Task, parts: TrainingParts, space: list[Parameter], folder: Path, console: Console
    ) -> None:
        self.base, self.task, self.parts, self.space = base, task, parts, space
        self.folder, self.console = folder, console
        self.metric = base.train.metric_for_best
        self.trainer: Any = None
        self.callbacks: list[Any] = list(parts.callbacks)
        self.base_arguments = self.arguments(base)
        self.touched: set[str] = set()
        self.best: float | None = None
        self.configs: dict[int, RunConfig] = {}

    def arguments(self, config: RunConfig) -> dict[str, Any]:
        """The ``TrainingArguments`` keywords of a config, as a search runs them (no checkpoints)."""
        task_arguments = {**self.parts.arguments, **recipe_arguments(config)}
        return {**shared_arguments(config.train), **task_arguments, **SEARCH_ARGUMENTS}

    def values(self, trial: Any) -> dict[str, Any]:
        """The trial's value of every searched key (dotted)."""
        return {parameter.key: parameter.suggest(trial) for parameter in self.space}

    def config(self, trial: Any) -> RunConfig:
        """The search's config with the trial's values applied."""
        if trial.number not in self.configs:
            self.configs[trial.number] = trial_config(self.base, self.values(trial))
        return self.configs[trial.number]

    def hp_space(self, trial: Any) -> dict[str, Any]:
        """The ``TrainingArguments`` the trial changes, and those an earlier trial changed (put back to its own)."""
        arguments = self.arguments(self.config(trial))
        self.touched |= {key for key, value in arguments.items() if value != self.base_arguments[key]}
        return {key: arguments[key] for key in sorted(self.touched)}

    def model_init(self, trial: Any = None) -> Any:
        """The trial's fresh model (the search's own model when the Trainer is built), with its trainer settings."""
        if trial is None:
            return self.parts.model
        config = self.config(trial)
        self.best = None
        model = self.task.fresh_model(config, self.parts.state)
        cpu_dropout(config.train, model)
        for key in _TRAINER_SETTINGS:
            setattr(self.trainer, key, getattr(config.train, key))
        self._preset_arguments(trial)
        self._swap_callbacks(config, model)
        save_yaml(self.folder / trial_name(trial) / "trial_config.yaml", config.to_dict())
        values = ", ".join(f"{key}={short(value)}" for key, value in self.values(trial).items())
        self.console.print(f"[bold]trial {trial.number}[/bold]: {values}")
        return model

    def _preset_arguments(self, trial: Any) -> None:
        """Set the values whose type the Trainer's cast would change (``int(0.06) == 0`` after a warmup in steps).

        The Trainer casts each value to the type of the attribute it replaces; set here first with its own type,
        the cast that follows is a no-op.
        """
        args = self.trainer.args
        for key, value in self.hp_space(trial).items():
            old = getattr(args, key, None)
            if old is not None and value is not None and type(old)(value) != value:
                setattr(args, key, value)

    def _swap_callbacks(self, config: RunConfig, model: Any) -> None:
        """The recipe's callbacks hold the model (head-first freezing) and the trial's patience: rebuild them."""
        for callback in self.callbacks:
            self.trainer.remove_callback(callback)
        self.callbacks = recipe_callbacks(config, model)
        for callback in self.callbacks:
            self.trainer.add_callback(callback)

    def compute_objective(self, metrics: dict[str, float]) -> float:
        """The best dev ``train.metric_for_best`` of the trial so far (lowest for ``loss``)."""
        value = float(metrics[f"eval_{self.metric}"])
        better = self.best is None or (value < self.best if self.metric == "loss" else value > self.best)
        self.best = value if better else self.best
        return self.best

    def recorder(self) -> TrainerCallback:
        """The callback that writes each finished trial's ``log_history.json`` and ``metrics.json``."""
        return _RecordTrial(self)

    def record(self, trial: Any, history: list[dict[str, Any]]) -> None:
        """Write ``trials/trial-NNN/log_history.json`` and ``metrics.json`` (``dev``: the best evaluation's)."""
        folder = self.folder / trial_name(trial)
        dev = best_entry(history, self.metric)
        write_json(folder / "metrics.json", {"dev": dev, "trial": trial.number, "params": self.values(trial)})
        write_json(folder / "log_history.json", history)
        self.console.print(f"  dev {self.metric} {dev.get(self.metric, float('nan')):.4f} (best epoch)")


class _RecordTrial(TrainerCallback):
    def __init__(self, trials: Trials) -> None:
        self.trials = trials

    def on_train_end(self, args, state, control, **kwargs):
        """Record the trial that just finished (the Trainer keeps it as ``_trial``)."""
        trial = getattr(self.trials.trainer, "_trial", None)
        if trial is not None:
            self.trials.record(trial, list(state.log_history))


def short(value: Any) -> str:
    """A value as a label shows it (floats to 3 significant digits)."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)
