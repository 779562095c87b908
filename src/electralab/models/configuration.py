"""Hugging Face config of an electralab classifier: an encoder config plus head and loss settings."""

from __future__ import annotations

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec


class ElectralabConfig(PreTrainedConfig):
    """Config of :class:`~electralab.models.classifier.ElectralabForSequenceClassification`.

    ``encoder`` holds the full config of the wrapped encoder (ELECTRA, BERT, RoBERTa, ...), so a saved
    folder rebuilds the same encoder with no network access.
    """

    model_type = "electralab"
    sub_configs_defaults = {"encoder": SubConfigSpec(config_class=AutoConfig, model_type="bert")}

    encoder: PreTrainedConfig | dict | None = None
    task: str | None = None
    head: str = "cls"
    cls_activation: str = "gelu"
    head_dropout: float | None = None
    rnn_hidden_size: int = 256
    cnn_kernel_sizes: list[int] | tuple[int, ...] = (2, 3, 4)
    cnn_filters: int = 128
    loss: str = "cross_entropy"
    class_weights: list[float] | None = None
    pos_weight: list[float] | None = None
    label_smoothing: float = 0.0
    focal_gamma: float = 2.0
    focal_alpha: float | None = None
    threshold: float = 0.5
    label_thresholds: list[float] | None = None
    max_seq_length: int = 512
    long_documents: str = "truncate"
    window_stride: int | None = None
    window_aggregation: str = "mean"
    max_windows: int | None = None
    crf: bool = False
    tag_scheme: str = "IOB2"
    label_all_subtokens: bool = False
    tag_units: str = "word"
    doc_stride: int = 128
    max_answer_length: int = 30
    n_best: int = 20
    answer_scoring: str = "logit_sum"
    unanswerable: bool = False
    null_threshold: float = 0.0
