"""Typed configuration: dataclass schemas for fine-tuning and pretraining runs, and how they are built.

The floor under everything else: it imports nothing of electralab but :mod:`electralab.errors` and
:mod:`electralab.files`, and no heavy library (no torch, no transformers).
"""

from .parsing import apply_overrides, build_dataclass, field_help, load_yaml, merge, parse_override, save_yaml
from .pretrain import (
    CorpusConfig,
    ObjectiveConfig,
    PretrainConfig,
    PretrainModelConfig,
    PretrainTrainConfig,
    build_pretrain_config,
    pretrain_config_from_dict,
)
from .run import (
    INFERENCE_PRECISIONS,
    PRESET_DIR,
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    build_config,
    config_from_dict,
    preset_names,
)
from .windows import AGGREGATIONS, WindowSettings

__all__ = [
    "AGGREGATIONS",
    "INFERENCE_PRECISIONS",
    "PRESET_DIR",
    "CorpusConfig",
    "DataConfig",
    "ModelConfig",
    "ObjectiveConfig",
    "PretrainConfig",
    "PretrainModelConfig",
    "PretrainTrainConfig",
    "RunConfig",
    "TrainConfig",
    "WindowSettings",
    "apply_overrides",
    "build_config",
    "build_dataclass",
    "build_pretrain_config",
    "config_from_dict",
    "field_help",
    "load_yaml",
    "merge",
    "parse_override",
    "pretrain_config_from_dict",
    "preset_names",
    "save_yaml",
]
