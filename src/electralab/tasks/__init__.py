"""Tasks plugged into the common run skeleton, by name."""

from . import classification, multilabel, pretraining, token_classification  # noqa: F401  (registration)
from .base import (
    TASKS,
    FinalEvaluation,
    ServingTask,
    Task,
    TrainingParts,
    get_task,
    register_task,
    task_for_model,
)
from .sequence import EncoderTask, PreparedData

__all__ = [
    "TASKS",
    "EncoderTask",
    "FinalEvaluation",
    "PreparedData",
    "ServingTask",
    "Task",
    "TrainingParts",
    "get_task",
    "register_task",
    "task_for_model",
]
