"""Pluggable classification heads, registered by name."""

from . import cnn, pooling, rnn  # noqa: F401  (registration side effects)
from .base import HEADS, HeadOptions, build_head, register_head

__all__ = ["HEADS", "HeadOptions", "build_head", "register_head"]
