"""Plan a search (every check before anything trains), run ``Trainer.hyperparameter_search``, write its reports.

The search reads and tokenises the data once, builds one Trainer with a ``model_init`` and lets Optuna propose
``--trials`` configurations: a TPE sampler seeded with ``train.seed`` (the same command proposes the same trials),
no pruning (every trial trains its epochs), a failed trial recorded with its error while the others go on. Each
trial is one configuration trained with one seed; the reports are a comparison's (``comparison.json``, ``.md``,
``.html``) with the study added: every trial's number, parameters, objective and state, and the best parameters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from ..comparison.folders import read_run
from ..comparison.grid import Configuration, Grid, PlannedRun
from ..config import RunConfig, build_config
from ..engine.arguments import build_training_arguments, check_trackers
from ..errors import ConfigError
from ..results import SearchResult
from ..tasks import get_task
from ..training.recipe import counting_rows
from .reports import write_search_reports
from .space import Parameter, check_space, default_space, read_space, trial_config
from .trials import SEARCH_ARGUMENTS, Trials, trial_label, trial_name, trial_values

TRIALS = "trials"
STUDY_NAME = "electralab-search"
console = Console(stderr=True)


@dataclass
class SearchPlan:
    """A checked search: the config every trial starts from, the space, the number of trials, the folder."""

    base: RunConfig
    space: list[Parameter]
    trials: int
    folder: Path


def require_optuna() -> Any:
    """The ``optuna`` module, or a clear error saying how to install it.

    Raises:
        ConfigError: When Optuna is not installed.
    """
    try:
        import optuna
    except ImportError:
        raise ConfigError(
            "electralab search runs Optuna, which is not installed: pip install 'electralab[search]'"
        ) from None
    return optuna


def plan_search(
    preset: str | None,
    config_file: str | Path | None,
    sections: dict[str, Any],
    overrides: Any,
    space: Any,
    trials: int,
    name: str | None,
) -> SearchPlan:
    """Build and check everything a search needs before it trains (one line naming the key when it cannot run).

    Raises:
        ConfigError: Optuna missing, too few trials, a bad config or space, or a folder that is not empty.
    """
    require_optuna()
    if trials < 1:
        raise ConfigError(f"--trials {trials}: expected at least 1 trial")
    base = build_config(preset, config_file, overrides, **sections)
    get_task(base.task).validate(base)
    check_trackers(base.train.report_to)
    if base.train.eval_strategy != "epoch":
        raise ConfigError(
            f"train.eval_strategy={base.train.eval_strategy}: a search scores dev after every epoch; "
            "leave train.eval_strategy at epoch"
        )
    parameters = read_space(space) if space else default_space(base)
    check_space(base, parameters)
    folder = Path(base.output_dir).expanduser() / (name or f"search-{preset or Path(config_file or 'run').stem}")
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(f"{folder} is not empty (an earlier search?): pass another --name or --output-dir")
    return SearchPlan(base, parameters, trials, folder)


def run_search(plan: SearchPlan) -> SearchResult:
    """Run the planned search through ``Trainer.hyperparameter_search(backend="optuna")``; write the reports."""
    optuna = require_optuna()
    base, metric = plan.base, plan.base.train.metric_for_best
    task = get_task(base.task)
    parts = task.build(base)  # reads and tokenises the data once, for every trial
    plan.folder.mkdir(parents=True, exist_ok=True)
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(plan.folder / "tensorboard")
    trials = Trials(base, task, parts, plan.space, plan.folder / TRIALS, console)
    trainer = parts.trainer_class(
        model_init=trials.model_init,
        args=build_training_arguments(base.train, plan.folder / TRIALS, **{**parts.arguments, **SEARCH_ARGUMENTS}),
        train_dataset=parts.train,
        eval_dataset=parts.dev,
        data_collator=parts.collator,
        processing_class=parts.processing_class,
        compute_metrics=counting_rows(parts.compute_metrics) if parts.compute_metrics else None,
        callbacks=[*parts.callbacks, trials.recorder()],
        **parts.trainer_kwargs,
    )
    trials.trainer, parts.model = trainer, None  # the trainer holds the first model until trial 0 replaces it
    _keep_errors(trainer)
    direction = "minimize" if metric == "loss" else "maximize"
    console.print(
        f"[bold]search[/bold] {plan.folder}: {plan.trials} trials, {direction} dev {metric}; "
        f"space: {'  '.join(p.describe() for p in plan.space)}"
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.InMemoryStorage()
    try:
        trainer.hyperparameter_search(
            hp_space=trials.hp_space,
            compute_objective=trials.compute_objective,
            n_trials=plan.trials,
            direction=direction,
            backend="optuna",
            hp_name=trial_name,
            sampler=optuna.samplers.TPESampler(seed=base.train.seed),
            pruner=optuna.pruners.NopPruner(),
            storage=storage,
            study_name=STUDY_NAME,
            catch=(Exception,),
        )
    except ValueError:  # the Trainer asks the study for its best trial, which no trial gave when all failed
        if _completed(optuna, optuna.load_study(study_name=STUDY_NAME, storage=storage)):
            raise
    study = optuna.load_study(study_name=STUDY_NAME, storage=storage)
    grid, records = _records(plan, trials, study.trials)
    return write_search_reports(plan, grid, records, study, optuna.__version__, console)


def _completed(optuna: Any, study: Any) -> list[Any]:
    return [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]


def _keep_errors(trainer: Any) -> None:
    """Store a failing trial's error on the trial (Optuna records the failure; the search goes on)."""
    train = trainer.train

    def train_keeping_errors(*args: Any, trial: Any = None, **kwargs: Any) -> Any:
        try:
            return train(*args, trial=trial, **kwargs)
        except Exception as err:
            if trial is not None:
                trial.set_user_attr("error", f"{type(err).__name__}: {err}".splitlines()[0])
            raise

    trainer.train = train_keeping_errors


def _records(plan: SearchPlan, trials: Trials, frozen: list[Any]) -> tuple[Grid, list[dict[str, Any]]]:
    """The study's trials as a comparison grid (one configuration, one seed each) and the runs' records."""
    seed = plan.base.train.seed
    configurations, runs, records = [], [], []
    for trial in frozen:
        values = trial_values(plan.space, trial.params)
        folder = plan.folder / TRIALS / trial_name(trial)
        configuration = Configuration(values=values, label=trial_label(trial.number, values), slug=folder.name)
        config = trials.configs.get(trial.number) or trial_config(plan.base, values)
        run = PlannedRun(configuration, seed, config, folder)
        configurations.append(configuration)
        runs.append(run)
        if trial.state.name == "COMPLETE" and (folder / "metrics.json").is_file():
            records.append(read_run(run, folder))
        else:
            error = trial.user_attrs.get("error", f"trial {trial.state.name.lower()}")
            records.append({"configuration": configuration.label, "seed": seed, "status": "failed", "error": error})
    grid = Grid(plan.folder, configurations, [seed], runs, plan.base.train.metric_for_best, [p.key for p in plan.space])
    return grid, records
