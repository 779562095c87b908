"""Single-label sequence classification (binary and multi-class)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import torch
from transformers import DataCollatorWithPadding, EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase

from ..config import RunConfig
from ..data.prepare import load_splits
from ..data.tokenize import UNK_WARN_RATE, check_korean_handling, encode_split, unk_rate
from ..errors import ConfigError
from ..inference.predictor import Predictor
from ..models import ElectralabConfig, ElectralabForSequenceClassification
from ..training.losses import SINGLE_LABEL, resolve_loss_name
from ..training.metrics import full_report, trainer_metrics
from .base import FinalEvaluation, PreparedData, Task, register_task

WRONG_EXAMPLES = 20


def tokenizer_checks(
    config: RunConfig, tokenizer: PreTrainedTokenizerBase, train_texts: list[str]
) -> tuple[list[str], list[str]]:
    """Refuse Hangul-destroying tokenizers; report the [UNK] rate. Returns (notes, warnings)."""
    notes = check_korean_handling(tokenizer, train_texts, config.data.allow_hangul_normalization)
    rate = unk_rate(tokenizer, train_texts)
    notes.append(f"tokenizer [UNK] rate on training texts: {rate:.2%}")
    warnings = []
    if rate > UNK_WARN_RATE:
        warnings.append(
            f"{rate:.1%} of training tokens are [UNK]: the model's vocabulary does not cover this text; "
            "pick a model made for this language or extend its vocabulary"
        )
    return notes, warnings


def window_notes(raw: dict, encoded: dict, config: RunConfig) -> list[str]:
    """How many windows the long texts of train and dev became (nothing when truncating)."""
    windows = config.data.windows()
    if windows is None:
        return []
    return [
        f"{split}: {len(raw[split])} texts -> {len(encoded[split])} windows of <= {config.data.max_length} tokens "
        f"(stride {windows.stride}, aggregated by {windows.aggregation})"
        for split in ("train", "dev")
    ]


def class_weights(setting: str | list[float] | None, labels: list[int], num_labels: int) -> list[float] | None:
    """Resolve ``train.class_weights``: 'balanced' gives n / (k * count_c), as scikit-learn does."""
    if setting is None:
        return None
    if setting == "balanced":
        counts = Counter(labels)
        return [len(labels) / (num_labels * max(counts.get(i, 0), 1)) for i in range(num_labels)]
    if len(setting) != num_labels:
        raise ConfigError(
            f"train.class_weights has {len(setting)} values but the data has {num_labels} labels; "
            "give one weight per label (in label order) or 'balanced'"
        )
    return [float(w) for w in setting]


@register_task
class SequenceClassification(Task):
    """Text (or text pair) -> one label."""

    name = "sequence_classification"
    metric_names = ("accuracy", "f1_macro", "f1_micro", "f1_weighted", "loss")

    def prepare(self, config: RunConfig, tokenizer: PreTrainedTokenizerBase) -> PreparedData:
        """Read the splits, check the tokenizer on the training texts, tokenise train and dev."""
        splits = load_splits(config.data, config.train.seed)
        notes, warnings = tokenizer_checks(config, tokenizer, splits.train["text"][:])
        label2id = {name: i for i, name in enumerate(splits.label_names)}
        raw = {"train": splits.train, "dev": splits.dev}
        if splits.test is not None:
            raw["test"] = splits.test
        windows = config.data.windows()
        encoded = {
            split: encode_split(raw[split], tokenizer, config.data.max_length, label2id.__getitem__, windows=windows)
            for split in ("train", "dev")
        }
        return PreparedData(
            train=encoded["train"],
            dev=encoded["dev"],
            raw=raw,
            label_names=splits.label_names,
            notes=splits.notes + notes + window_notes(raw, encoded, config),
            warnings=warnings,
        )

    def build_model(self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData) -> PreTrainedModel:
        """Encoder + the configured head, loss and label names."""
        num_labels = len(data.label_names)
        return self._build(
            config,
            encoder,
            data,
            problem_type=SINGLE_LABEL,
            class_weights=class_weights(config.train.class_weights, data.train["labels"][:], num_labels),
        )

    def _build(
        self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData, problem_type: str, **loss_settings
    ) -> PreTrainedModel:
        pooler = getattr(encoder, "pooler", None)
        reuse_pooler = (
            config.model.head == "cls"
            and config.model.reuse_pooler
            and getattr(encoder, "electralab_pretrained_pooler", False)
            and isinstance(getattr(pooler, "dense", None), torch.nn.Linear)
        )
        windows = config.data.windows()
        model_config = ElectralabConfig(
            encoder=encoder.config.to_dict(),
            head=config.model.head,
            cls_activation="tanh" if reuse_pooler else "gelu",
            head_dropout=config.model.dropout,
            rnn_hidden_size=config.model.rnn_hidden_size,
            cnn_kernel_sizes=list(config.model.cnn_kernel_sizes),
            cnn_filters=config.model.cnn_filters,
            problem_type=problem_type,
            loss=resolve_loss_name(config.train.loss, problem_type),
            label_smoothing=config.train.label_smoothing,
            focal_gamma=config.train.focal_gamma,
            focal_alpha=config.train.focal_alpha,
            threshold=config.train.threshold,
            max_seq_length=config.data.max_length,
            long_documents=config.data.long_documents,
            window_stride=windows.stride if windows is not None else None,
            window_aggregation=config.data.window_aggregation,
            max_windows=config.data.max_windows,
            **loss_settings,
            id2label=dict(enumerate(data.label_names)),
            label2id={name: i for i, name in enumerate(data.label_names)},
        )
        model = ElectralabForSequenceClassification(model_config, encoder=encoder)
        if reuse_pooler:
            model.head.dense.load_state_dict(pooler.dense.state_dict())
        return model

    def collator(self, tokenizer: PreTrainedTokenizerBase) -> Callable:
        """Dynamic padding to the longest example of each batch."""
        return DataCollatorWithPadding(tokenizer)

    def compute_metrics(self, prediction: EvalPrediction) -> dict[str, float]:
        """Accuracy and F1 (macro/micro/weighted) on dev."""
        return trainer_metrics(prediction)

    def evaluate(
        self,
        config: RunConfig,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        data: PreparedData,
    ) -> FinalEvaluation:
        """Full report on dev and test, with the most confidently wrong examples of the last split."""
        predictor = Predictor(model, tokenizer, config.data.max_length)
        label2id = {name: i for i, name in enumerate(data.label_names)}
        metrics, warnings, wrong = {}, [], []
        for split in ("dev", "test"):
            if split not in data.raw:
                continue
            raw = data.raw[split]
            pairs = raw["text_pair"][:] if "text_pair" in raw.column_names else None
            logits = predictor.logits(raw["text"][:], pairs, config.train.eval_batch_size)
            labels = np.array([label2id[label] for label in raw["label"][:]])
            metrics[split], split_wrong = score_logits(logits, labels, data.label_names, raw["text"][:])
            if metrics[split]["collapsed"]:
                warnings.append(collapse_warning(split, metrics[split]))
            wrong = split_wrong
        return FinalEvaluation(metrics=metrics, wrong_examples=wrong, warnings=warnings)


def score_logits(
    logits: np.ndarray, labels: np.ndarray, label_names: list[str], texts: list[str]
) -> tuple[dict, list[dict]]:
    """Full metrics + loss from logits, and the most confidently wrong examples."""
    probabilities = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
    predictions = probabilities.argmax(axis=-1)
    report = full_report(labels, predictions, label_names)
    report["loss"] = float(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, None)).mean())
    report["rows"] = len(labels)
    wrong_rows = np.flatnonzero(predictions != labels)
    confidence = probabilities[wrong_rows, predictions[wrong_rows]]
    wrong = [
        {
            "text": texts[i],
            "label": label_names[labels[i]],
            "predicted": label_names[predictions[i]],
            "confidence": float(c),
        }
        for i, c in sorted(zip(wrong_rows, confidence, strict=True), key=lambda x: -x[1])[:WRONG_EXAMPLES]
    ]
    return report, wrong


def collapse_warning(split: str, metrics: dict) -> str:
    """The loud message for a model that predicts (almost) one class only."""
    distribution = ", ".join(f"{k}: {v}" for k, v in metrics["prediction_distribution"].items())
    return (
        f"MODEL COLLAPSED on {split}: it predicts nearly one class ({distribution}). A known ELECTRA failure: "
        "lower train.learning_rate, add train.warmup=0.1, or change train.seed"
    )
