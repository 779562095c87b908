"""Multi-label sequence classification: a sigmoid per label, BCE or focal loss, per-label thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from transformers import EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase

from ..config import DataConfig, RunConfig
from ..data.multilabel import read_multilabel_split
from ..data.prepare import load_splits
from ..data.tokenize import encode_split
from ..errors import ConfigError, DataError
from ..metrics import multilabel as multilabel_metrics
from ..metrics.thresholds import tune_thresholds
from ..models.losses import MULTI_LABEL
from .base import FinalEvaluation, TrainingParts, register_task
from .classification import WRONG_EXAMPLES, SequenceClassification
from .sequence import PreparedData
from .text_checks import data_check, tokenizer_checks, window_notes


def multi_hot(label_names: list[str]):  # noqa: ANN201
    """A function mapping a list of label names to a float multi-hot vector."""
    index = {name: i for i, name in enumerate(label_names)}

    def encode(labels: list[str]) -> list[float]:
        vector = [0.0] * len(label_names)
        for name in labels:
            vector[index[name]] = 1.0
        return vector

    return encode


def pos_weights(setting: str | list[float] | None, targets: np.ndarray) -> list[float] | None:
    """Resolve ``train.pos_weight``: 'balanced' gives negatives / positives per label (capped at 100)."""
    if setting is None:
        return None
    if setting == "balanced":
        positives = targets.sum(axis=0)
        return [float(min((len(targets) - p) / max(p, 1.0), 100.0)) for p in positives]
    if len(setting) != targets.shape[1]:
        raise ConfigError(
            f"train.pos_weight has {len(setting)} values but the data has {targets.shape[1]} labels; "
            "give one per label (in label order) or 'balanced'"
        )
    return [float(w) for w in setting]


@register_task
class MultiLabelClassification(SequenceClassification):
    """Text -> any subset of the labels."""

    name = "multi_label_classification"
    carving = ""
    label_column = "labels"
    metric_names = (
        "roc_auc_macro",
        "f1_micro",
        "f1_macro",
        "f1_weighted",
        "f1_samples",
        "exact_match",
        "hamming_loss",
        "loss",
    )

    def prepare(self, config: RunConfig, tokenizer: PreTrainedTokenizerBase) -> PreparedData:
        """Read multi-label splits, check the tokenizer, tokenise with multi-hot targets."""
        splits = load_splits(config.data, config.train.seed, multi_label=True)
        notes, warnings = tokenizer_checks(config, tokenizer, splits.train["text"][:])
        check_notes, facts = data_check(config, splits, self.label_column)
        target = multi_hot(splits.label_names)
        raw = {"train": splits.train, "dev": splits.dev}
        if splits.test is not None:
            raw["test"] = splits.test
        windows = config.data.windows()
        encode = {
            split: encode_split(
                raw[split], tokenizer, config.data.max_length, target, label_column="labels", windows=windows
            )
            for split in ("train", "dev")
        }
        return PreparedData(
            train=encode["train"],
            dev=encode["dev"],
            raw=raw,
            label_names=splits.label_names,
            notes=splits.notes + notes + check_notes + window_notes(raw, encode, config),
            warnings=splits.warnings + warnings,
            facts=facts,
        )

    def build_model(self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData) -> PreTrainedModel:
        """Encoder + head with one sigmoid output per label."""
        targets = np.asarray(data.train["labels"][:], dtype=np.float32)
        return self._build(
            config, encoder, data, problem_type=MULTI_LABEL, pos_weight=pos_weights(config.train.pos_weight, targets)
        )

    def compute_metrics(self, prediction: EvalPrediction) -> dict[str, float]:
        """F1 averages at 0.5 and macro ROC-AUC on dev (ROC-AUC needs no threshold: good for model selection)."""
        return multilabel_metrics.trainer_metrics(prediction)

    def evaluate(self, config: RunConfig, trainer: Any, parts: TrainingParts) -> FinalEvaluation:
        """Tune per-label thresholds on dev (stored in the model config), then score dev and test."""
        data: PreparedData = parts.state
        model = trainer.model
        target = multi_hot(data.label_names)
        outputs = {}
        for split in ("dev", "test"):
            if split in data.raw:
                raw = data.raw[split]
                probabilities = multilabel_metrics.sigmoid(
                    self.split_logits(config, model, parts.processing_class, raw)
                )
                truth = np.asarray([target(labels) for labels in raw["labels"][:]], dtype=int)
                outputs[split] = (truth, probabilities, raw["text"][:])
        train = config.train
        thresholds, tuned = [train.threshold] * len(data.label_names), [False] * len(data.label_names)
        if train.tune_thresholds:
            truth, probabilities, _ = outputs["dev"]
            thresholds, tuned = tune_thresholds(truth, probabilities, train.threshold, train.min_positives_to_tune)
        model.config.label_thresholds = thresholds
        metrics, warnings, wrong, predictions = {}, [], [], {}
        for split, (truth, probabilities, texts) in outputs.items():
            metrics[split] = multilabel_metrics.full_report(
                truth, probabilities, thresholds, data.label_names, train.threshold
            )
            metrics[split]["rows"] = len(truth)
            predictions[split] = _prediction_rows(texts, truth, probabilities, np.asarray(thresholds), data.label_names)
            if metrics[split]["collapsed"]:
                warnings.append(
                    f"MODEL COLLAPSED on {split}: it gives every text (nearly) the same probabilities, i.e. the "
                    "label priors. Use model.head=mean for encoders trained with mean pooling (e5, sentence-"
                    "transformers), train.pos_weight=balanced or train.loss=focal, or train longer"
                )
            wrong = _wrong_examples(truth, probabilities, np.asarray(thresholds), data.label_names, texts)
        untuned = [name for name, ok in zip(data.label_names, tuned, strict=True) if not ok]
        if train.tune_thresholds and untuned:
            warnings.append(f"too few dev positives to tune the threshold of {untuned}: they keep {train.threshold}")
        return FinalEvaluation(metrics=metrics, wrong_examples=wrong, warnings=warnings, predictions=predictions)

    def read_labelled(
        self, path: str, data: DataConfig | None, text_column: str | None, label_column: str | None, fmt: str = "table"
    ) -> Any:
        """Read a multi-label file with the run's label encoding (multi-hot columns, JSON list or delimited)."""
        data = data or DataConfig()
        dataset, _ = read_multilabel_split(
            path,
            text_column=text_column or data.text_column,
            label_columns=data.label_columns,
            label_column=label_column or data.label_column,
            label_delimiter=data.label_delimiter,
        )
        return dataset

    def score(self, model_config: Any, logits: np.ndarray, dataset: Any, source: str) -> dict[str, Any]:
        """F1 averages, per-label scores, ROC-AUC and hamming loss at the model's saved thresholds."""
        names = [model_config.id2label[i] for i in range(model_config.num_labels)]
        unseen = sorted({n for labels in dataset["labels"][:] for n in labels} - set(names))
        if unseen:
            raise DataError(f"{source}: labels {unseen} are not among the model's labels {names}")
        target = multi_hot(names)
        truth = np.asarray([target(labels) for labels in dataset["labels"][:]], dtype=int)
        probabilities = multilabel_metrics.sigmoid(logits)
        metrics = multilabel_metrics.full_report(
            truth, probabilities, list(thresholds(model_config)), names, model_config.threshold
        )
        metrics["rows"] = len(truth)
        return metrics

    def present(self, model_config: Any, texts: Sequence[str], logits: np.ndarray) -> list[dict[str, Any]]:
        """The predicted ``labels`` (by the saved per-label thresholds) and every label's probability."""
        names = [model_config.id2label[i] for i in range(model_config.num_labels)]
        probabilities = multilabel_metrics.sigmoid(logits)
        chosen = probabilities >= thresholds(model_config)[None, :]
        return [
            {
                "text": text,
                "labels": [n for n, c in zip(names, flags, strict=True) if c],
                "probabilities": {n: round(float(p), 6) for n, p in zip(names, row, strict=True)},
            }
            for text, row, flags in zip(texts, probabilities, chosen, strict=True)
        ]


def thresholds(model_config: Any) -> np.ndarray:
    """Per-label decision thresholds of a multi-label model (tuned on dev, else the global one)."""
    values = model_config.label_thresholds or [model_config.threshold] * model_config.num_labels
    return np.asarray(values, dtype=np.float64)


def _prediction_rows(
    texts: list[str], truth: np.ndarray, probabilities: np.ndarray, thresholds: np.ndarray, names: list[str]
) -> list[dict[str, Any]]:
    """One row per text: its gold and predicted label sets (by the tuned thresholds) and every probability."""
    chosen = probabilities >= thresholds[None, :]
    return [
        {
            "text": text,
            "gold": [n for n, t in zip(names, gold, strict=True) if t],
            "predicted": [n for n, c in zip(names, flags, strict=True) if c],
            "probabilities": {n: round(float(p), 6) for n, p in zip(names, row, strict=True)},
        }
        for text, gold, row, flags in zip(texts, truth, probabilities, chosen, strict=True)
    ]


def _wrong_examples(
    truth: np.ndarray, probabilities: np.ndarray, thresholds: np.ndarray, names: list[str], texts: list[str]
) -> list[dict]:
    """Texts whose predicted label set is wrong, by the confidence of their worst mistake."""
    predicted = probabilities >= thresholds[None, :]
    wrong_rows = np.flatnonzero((predicted != truth.astype(bool)).any(axis=1))
    worst = np.abs(probabilities - truth)[wrong_rows].max(axis=1)
    order = wrong_rows[np.argsort(-worst, kind="stable")][:WRONG_EXAMPLES]
    return [
        {
            "text": texts[i],
            "label": ", ".join(n for n, t in zip(names, truth[i], strict=True) if t) or "(none)",
            "predicted": ", ".join(n for n, p in zip(names, predicted[i], strict=True) if p) or "(none)",
            "confidence": float(np.abs(probabilities[i] - truth[i]).max()),
        }
        for i in order
    ]
