"""Tasks plugged into the common recipe, by name."""

from . import classification, multilabel  # noqa: F401  (registration)
from .base import TASKS, FinalEvaluation, PreparedData, Task, get_task, register_task

__all__ = ["TASKS", "FinalEvaluation", "PreparedData", "Task", "get_task", "register_task"]
