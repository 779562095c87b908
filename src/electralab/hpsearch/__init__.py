"""Hyperparameter search: ``Trainer.hyperparameter_search`` with Optuna, reported like a comparison.

:func:`plan_search` checks the config and the space before anything trains; :func:`run_search` runs the trials
(one configuration and one seed each, dev only) and writes ``comparison.json``, ``.md`` and ``.html`` with the
study and the best parameters.
"""

from .runner import SearchPlan, plan_search, require_optuna, run_search
from .space import Parameter, default_space, read_space

__all__ = ["Parameter", "SearchPlan", "default_space", "plan_search", "read_space", "require_optuna", "run_search"]
