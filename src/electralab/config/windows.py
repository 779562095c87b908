"""How long documents are cut into windows and put back together (settings only; the work is in data.windows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

AGGREGATIONS = ("mean", "max", "first")


@dataclass(frozen=True)
class WindowSettings:
    """How long documents are cut and put back together."""

    stride: int = 128
    """Tokens shared by consecutive windows."""
    aggregation: str = "mean"
    """mean, max or first (see the module docstring)."""
    max_windows: int | None = None
    """Keep at most this many windows per document (the first ones); None keeps all."""

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise ConfigError(f"window aggregation {self.aggregation!r}: expected one of {', '.join(AGGREGATIONS)}")

    @classmethod
    def from_model_config(cls, config: Any) -> WindowSettings | None:
        """The settings a model was trained with (``long_documents: windows`` in its config), else None."""
        if getattr(config, "long_documents", "truncate") != "windows":
            return None
        return cls(config.window_stride, config.window_aggregation, config.max_windows)
