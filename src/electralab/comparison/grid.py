"""The grid of a comparison: configurations × seeds, every run's config built and validated before any runs.

A configuration is one choice of the swept values (``model.head=mean``, ``train.learning_rate=1e-4``); each is
trained once per seed, seeds being ``train.seed``, ``train.seed + 1``, ... Every run of the grid gets a fixed
folder, ``<comparison>/runs/<configuration>/seed-<seed>``, so that re-running the same grid finds its runs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import RunConfig, build_config, parse_override
from ..errors import ConfigError
from ..tasks import get_task

RUNS = "runs"
HEAD_KEY = "model.head"
_SAFE = re.compile(r"[^A-Za-z0-9.+-]+")


@dataclass
class Configuration:
    """One point of the grid: the swept keys' values, a readable label and a folder-safe slug."""

    values: dict[str, Any]
    label: str
    slug: str


@dataclass
class PlannedRun:
    """One run of the grid: its configuration, seed, resolved config and fixed folder."""

    configuration: Configuration
    seed: int
    config: RunConfig
    folder: Path


@dataclass
class Grid:
    """Every run of a comparison, in the order they train (configuration by configuration, seeds inside)."""

    folder: Path
    configurations: list[Configuration]
    seeds: list[int]
    runs: list[PlannedRun]
    metric: str
    swept: list[str] = field(default_factory=list)


def split_values(text: str) -> list[Any]:
    """``key=v1,v2`` → ``[v1, v2]`` (each parsed as YAML); commas inside ``[...]``/``{...}``/quotes are kept.

    Raises:
        ConfigError: If there is no ``=``, a value is empty or not valid YAML.
    """
    key, _, raw = text.partition("=")
    pieces, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(raw[start:i])
            start = i + 1
    pieces.append(raw[start:])
    if any(not piece.strip() for piece in pieces):
        raise ConfigError(f"sweep {text!r}: a value is empty; expected key=v1,v2 (e.g. train.learning_rate=5e-5,1e-4)")
    return [_value_of(f"{key}={piece}") for piece in pieces]


def _value_of(text: str) -> Any:
    nested: Any = parse_override(text)
    while isinstance(nested, dict) and len(nested) == 1:
        nested = next(iter(nested.values()))
    return nested


def read_sweeps(sweeps: Mapping[str, Sequence[Any]] | Iterable[str]) -> dict[str, list[Any]]:
    """Dotted key → its values, from ``{"train.learning_rate": [5e-5, 1e-4]}`` or ``["key=v1,v2", ...]``."""
    if isinstance(sweeps, Mapping):
        found = {str(k): list(v) if isinstance(v, (list, tuple)) else [v] for k, v in sweeps.items()}
    else:
        found = {}
        for text in sweeps:
            if "=" not in text:
                raise ConfigError(f"sweep {text!r}: expected dotted key=value or key=v1,v2, e.g. train.epochs=2")
            found[text.split("=", 1)[0].strip()] = split_values(text)
    for key, values in found.items():
        if not values:
            raise ConfigError(f"sweep {key}: no values given")
        if key in ("train.seed", "output_dir"):
            raise ConfigError(f"{key} cannot be swept or set in a comparison: use --seeds and --output-dir")
    return found


def dotted_overrides(overrides: Mapping[str, Any] | Iterable[str]) -> dict[str, Any]:
    """Overrides as one dotted mapping: ``["train.epochs=2"]`` (YAML values) or ``{"train.epochs": 2}``."""
    if isinstance(overrides, Mapping):
        return {str(key): value for key, value in overrides.items()}
    return {text.split("=", 1)[0].strip(): _value_of(text) for text in overrides}


def _slug(values: dict[str, Any]) -> str:
    if not values:
        return "base"
    return "__".join(f"{key.rsplit('.', 1)[-1]}-{_SAFE.sub('_', str(value))}" for key, value in values.items())


def configurations(swept: dict[str, list[Any]]) -> list[Configuration]:
    """The cross product of the swept values, in the order given (the first key varies slowest)."""
    keys = [key for key, values in swept.items() if len(values) > 1 or key == HEAD_KEY]
    found = []
    for combination in itertools.product(*(swept[key] for key in keys)):
        values = dict(zip(keys, combination, strict=True))
        label = ", ".join(f"{key.rsplit('.', 1)[-1]}={value}" for key, value in values.items()) or "base"
        found.append(Configuration(values=values, label=label, slug=_slug(values)))
    slugs = [c.slug for c in found]
    if len(set(slugs)) != len(slugs):
        raise ConfigError(f"two configurations share a folder name ({slugs}): give values that differ in letters")
    return found


def plan_grid(
    preset: str | None,
    config_file: str | Path | None,
    sections: dict[str, Any],
    overrides: Mapping[str, Any],
    sweeps: dict[str, list[Any]],
    seeds: int,
    name: str | None,
) -> Grid:
    """Build and validate every run's config (unknown keys, bad values, unknown heads fail here, one line).

    Args:
        preset: A shipped preset, or None.
        config_file: A YAML config, or None.
        sections: Nested sections from keyword arguments (model, data, output_dir), as ``load_config`` builds.
        overrides: Dotted keys applied to every run, before the swept values.
        sweeps: Dotted key → values; keys with one value apply to every run, ``model.head`` is always a column.
        seeds: Runs per configuration.
        name: Name of the comparison folder under ``output_dir`` (default ``compare-<preset or config>``).

    Raises:
        ConfigError: Naming the key and value of the first run config that cannot run.
    """
    if seeds < 1:
        raise ConfigError(f"--seeds {seeds}: expected at least 1 seed per configuration")
    for key, values in sweeps.items():
        if not values:
            raise ConfigError(f"{key}: no values to compare; give at least one (e.g. --heads cls,mean)")
    base = build_config(preset, config_file, overrides, **sections)
    folder = Path(base.output_dir).expanduser() / (name or f"compare-{preset or Path(config_file or 'run').stem}")
    seed_list = [base.train.seed + i for i in range(seeds)]
    grid_configurations = configurations(sweeps)
    fixed = {key: values[0] for key, values in sweeps.items() if len(values) == 1}
    runs = []
    for configuration in grid_configurations:
        for seed in seed_list:
            run_folder = folder / RUNS / configuration.slug / f"seed-{seed}"
            values = {**overrides, **fixed, **configuration.values, "train.seed": seed, "output_dir": str(run_folder)}
            runs.append(PlannedRun(configuration, seed, _checked(preset, config_file, values, sections), run_folder))
    metrics = {run.config.train.metric_for_best for run in runs}
    if len(metrics) > 1:
        raise ConfigError(f"train.metric_for_best differs between configurations ({sorted(metrics)}): keep it fixed")
    return Grid(folder, grid_configurations, seed_list, runs, metrics.pop(), list(grid_configurations[0].values))


def _checked(preset: str | None, config_file: Any, values: dict[str, Any], sections: dict[str, Any]) -> RunConfig:
    """One run's config, refused when its task cannot run it or it would not score dev after every epoch."""
    config = build_config(preset, config_file, values, **sections)
    get_task(config.task).validate(config)
    if config.train.eval_strategy != "epoch":
        raise ConfigError(
            f"train.eval_strategy={config.train.eval_strategy}: a comparison scores dev after every epoch; "
            "leave train.eval_strategy at epoch"
        )
    return config


def comparable(config: RunConfig) -> dict[str, Any]:
    """A run config as its ``run_config.yaml`` holds it, without where it was written."""
    values = yaml.safe_load(yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True))
    values.pop("output_dir", None)
    return values
