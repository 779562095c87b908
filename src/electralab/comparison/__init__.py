"""Compare heads and recipes over seeds: a grid of fine-tuning runs, its statistics and its reports.

:func:`plan_grid` builds and validates every run's config first; :func:`run_comparison` trains the runs not
yet finished through the one fine-tuning path and writes ``comparison.json``, ``.md`` and ``.html``.
"""

from .grid import Grid, dotted_overrides, plan_grid, read_sweeps
from .runner import run_comparison

__all__ = ["Grid", "dotted_overrides", "plan_grid", "read_sweeps", "run_comparison"]
