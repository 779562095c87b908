"""The search space: ``key=low:high[:log]`` ranges and ``key=a,b,c`` choices, each checked before any trial trains.

A range whose bounds are both written as integers (``train.epochs=2:4``) proposes integers; otherwise floats,
log-uniform with ``:log``. Every bound and every choice is put into the search's config and validated by the
task, so an unknown key, a wrong type or a head the task does not have fails at once, naming the key. Only keys
a trial can change are searchable: the data is read and tokenised once for the whole search, and the settings
that decide how trials are scored stay fixed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..comparison.grid import split_values
from ..config import RunConfig, apply_overrides, config_from_dict
from ..errors import ConfigError
from ..tasks import get_task

SEARCHABLE = {
    "model": ("head", "reuse_pooler", "dropout", "rnn_hidden_size", "cnn_kernel_sizes", "cnn_filters", "crf",
              "attention"),
    "train": ("epochs", "max_steps", "batch_size", "learning_rate", "head_learning_rate", "weight_decay",
              "adam_epsilon", "warmup", "scheduler", "grad_accumulation", "max_grad_norm", "early_stopping_patience",
              "early_stopping_min_delta", "freeze_embeddings", "freeze_word_embeddings", "freeze_layers",
              "freeze_encoder_epochs", "layer_lr_decay", "loss", "class_weights", "pos_weight", "focal_alpha",
              "label_smoothing", "focal_gamma", "batching"),
}  # fmt: skip
"""Keys a trial may change: its model (built afresh per trial), its optimiser, schedule, loss and freezing."""

_SEARCHABLE_KEYS = [f"{section}.{key}" for section, keys in SEARCHABLE.items() for key in keys]
_RANGE = re.compile(r"^\s*([^:,]+):([^:,]+?)(:log)?\s*$")
_HEADS_WITH_POOLING = ("sequence_classification", "multi_label_classification")


@dataclass(frozen=True)
class Parameter:
    """One searched key: a range (``low``, ``high``, integers or floats, ``log``) or a list of ``choices``."""

    key: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    @property
    def integer(self) -> bool:
        """A range of integers (both bounds written as integers)."""
        return isinstance(self.low, int) and isinstance(self.high, int)

    def describe(self) -> str:
        """As the user would write it: ``train.learning_rate=1e-05:0.0001:log`` or ``model.head=cls,mean``."""
        if self.choices:
            return f"{self.key}={','.join(map(str, self.choices))}"
        return f"{self.key}={self.low}:{self.high}" + (":log" if self.log else "")

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for this key's value (the same trial asked again answers the same)."""
        if self.choices:
            encoded = [_encode(choice) for choice in self.choices]
            return decode_choice(trial.suggest_categorical(self.key, encoded))
        if self.integer:
            return trial.suggest_int(self.key, self.low, self.high, log=self.log)
        return trial.suggest_float(self.key, float(self.low), float(self.high), log=self.log)

    def candidates(self) -> list[Any]:
        """The values worth validating before anything trains: both bounds, or every choice."""
        return list(self.choices) if self.choices else [self.low, self.high]


def _encode(choice: Any) -> Any:
    """Optuna's choices are None, bool, int, float or str: anything else travels as JSON."""
    return choice if choice is None or isinstance(choice, (bool, int, float, str)) else json.dumps(choice)


def decode_choice(value: Any) -> Any:
    """A choice as Optuna stored it, back as the config value (lists and mappings travel as JSON)."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _number(text: str, spec: str) -> int | float:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ConfigError(
            f"--space {spec}: {text!r} is not a number; write key=low:high (e.g. train.learning_rate=1e-5:1e-4:log)"
        ) from None


def parse_parameter(spec: str) -> Parameter:
    """``key=low:high[:log]`` or ``key=a,b[,c...]`` → a :class:`Parameter` (its values not validated yet).

    Raises:
        ConfigError: Naming the spec when it is neither a range nor two or more choices.
    """
    key, sep, raw = spec.partition("=")
    key = key.strip()
    if not sep or not key or not raw.strip():
        raise ConfigError(
            f"--space {spec!r}: expected key=low:high[:log] or key=a,b (e.g. train.learning_rate=1e-5:1e-4:log "
            "or model.head=cls,mean)"
        )
    matched = _RANGE.match(raw)
    if matched and "," not in raw:
        low, high = _number(matched.group(1), spec), _number(matched.group(2), spec)
        return _checked_range(Parameter(key, low, high, log=bool(matched.group(3))), spec)
    choices = split_values(f"{key}={raw}")
    if len(choices) < 2:
        raise ConfigError(
            f"--space {spec}: one value is not a search; give a range low:high or two or more choices a,b "
            f"(to fix {key} for every trial, pass it as {key}=value)"
        )
    if len({json.dumps(c, sort_keys=True, default=str) for c in choices}) != len(choices):
        raise ConfigError(f"--space {spec}: a choice is given twice; list each once")
    return Parameter(key, choices=tuple(choices))


def _checked_range(parameter: Parameter, spec: str) -> Parameter:
    if not parameter.low < parameter.high:
        raise ConfigError(f"--space {spec}: expected low < high (got {parameter.low} and {parameter.high})")
    if parameter.log and parameter.low <= 0:
        raise ConfigError(f"--space {spec}: a log range needs low > 0 (got {parameter.low}); drop :log or raise low")
    return parameter


def default_space(config: RunConfig) -> list[Parameter]:
    """The space when none is given: learning rate (log), epochs, warmup ratio, layer-wise decay, pooling head."""
    epochs = max(int(config.train.epochs), 2)
    space = [
        Parameter("train.learning_rate", 1e-5, 1e-4, log=True),
        Parameter("train.epochs", max(epochs - 1, 1), epochs + 1),
        Parameter("train.warmup", 0.0, 0.2),
        Parameter("train.layer_lr_decay", 0.7, 1.0),
    ]
    if config.task in _HEADS_WITH_POOLING:
        space.append(Parameter("model.head", choices=("cls", "mean", "attention")))
    return space


def read_space(specs: Iterable[str] | Mapping[str, Any]) -> list[Parameter]:
    """Specs from the command line (``["train.learning_rate=1e-5:1e-4:log"]``) or a mapping of key to spec.

    A mapping's value is a list of choices, a ``(low, high)`` or ``(low, high, "log")`` tuple, or the text after
    ``=`` (``{"train.learning_rate": "1e-5:1e-4:log"}``).
    """
    if not isinstance(specs, Mapping):
        parameters = [parse_parameter(spec) for spec in ([specs] if isinstance(specs, str) else specs)]
    else:
        parameters = [_from_mapping(str(key), value) for key, value in specs.items()]
    keys = [parameter.key for parameter in parameters]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"--space {twice[0]} is given twice: keep one range or list of choices per key")
    return parameters


def _from_mapping(key: str, value: Any) -> Parameter:
    if isinstance(value, str):
        return parse_parameter(f"{key}={value}")
    if isinstance(value, tuple) and len(value) in (2, 3) and all(isinstance(v, (int, float)) for v in value[:2]):
        log = len(value) == 3 and value[2] == "log"
        return _checked_range(Parameter(key, value[0], value[1], log=log), f"{key}={value}")
    if isinstance(value, list) and len(value) >= 2:
        return Parameter(key, choices=tuple(value))
    raise ConfigError(
        f"space {key}={value!r}: expected a list of two or more choices, (low, high), (low, high, 'log') or "
        "'low:high[:log]'"
    )


def trial_config(base: RunConfig, values: Mapping[str, Any]) -> RunConfig:
    """The base config with a trial's values (dotted keys) applied, validated like any config."""
    return config_from_dict(apply_overrides(base.to_dict(), dict(values)))


def check_space(base: RunConfig, space: list[Parameter]) -> None:
    """Refuse a space a search cannot run: unknown or unsearchable keys, values the config or the task refuses.

    Raises:
        ConfigError: One line naming the key, the value and what to write instead.
    """
    if not space:
        raise ConfigError("the search space is empty: give --space key=low:high or key=a,b (or none for the default)")
    task = get_task(base.task)
    for parameter in space:
        for value in parameter.candidates():
            config = trial_config(base, {parameter.key: value})  # an unknown key or a wrong type fails here
            if parameter.key not in _SEARCHABLE_KEYS:
                raise ConfigError(
                    f"--space {parameter.key}: not searchable (the data is read once for the whole search and "
                    "the seed, evaluation and scoring settings stay fixed); set it with key=value, and search "
                    f"one of: {', '.join(_SEARCHABLE_KEYS)}"
                )
            task.validate(config)
