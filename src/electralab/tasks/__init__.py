"""Tasks plugged into the common run skeleton, by name."""

from . import (  # noqa: F401  (registration)
    classification,
    multilabel,
    pretraining,
    question_answering,
    token_classification,
)
from .base import (
    TASKS,
    FinalEvaluation,
    ServingTask,
    Task,
    TextScoringTask,
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
    "TextScoringTask",
    "Task",
    "TrainingParts",
    "get_task",
    "register_task",
    "task_for_model",
]
