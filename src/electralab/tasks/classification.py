"""Single-label sequence classification (binary and multi-class)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from transformers import DataCollatorWithPadding, EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase

from ..config import DataConfig, RunConfig
from ..data.prepare import load_splits
from ..data.readers import read_split
from ..data.tokenize import encode_split
from ..data.windows import aggregate_windows, first_per_document
from ..errors import ConfigError, DataError
from ..metrics.classification import full_report, trainer_metrics
from ..models import ElectralabConfig, ElectralabForSequenceClassification
from ..models.heads import HEADS
from ..models.losses import SINGLE_LABEL, resolve_loss_name
from .base import FinalEvaluation, TextScoringTask, TrainingParts, register_task
from .scoring import text_logits
from .sequence import EncoderTask, PreparedData
from .text_checks import data_check, tokenizer_checks, window_notes

WRONG_EXAMPLES = 20
AUTO_HEAD = "auto"


def resolve_head(name: str, encoder: PreTrainedModel) -> str:
    """The head ``model.head`` names, ``auto`` resolved for this encoder.

    ``auto``: ``cls`` for ELECTRA and for checkpoints with a pretrained pooler (what each family's own classifier
    uses), ``mean`` for the rest, whose first token carries little before fine-tuning (e5 encoders: NSMC dev
    accuracy 0.840 mean vs 0.830 cls; korean_unsmile collapsed with cls; BENCHMARKS.md "Defaults chosen on dev").
    """
    if name != AUTO_HEAD:
        return name
    pooled = getattr(encoder, "electralab_pretrained_pooler", False)
    return "cls" if encoder.config.model_type == "electra" or pooled else "mean"


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
class SequenceClassification(EncoderTask, TextScoringTask):
    """Text (or text pair) -> one label."""

    name = "sequence_classification"
    carving = ", stratified by label"
    metric_names = ("accuracy", "f1_macro", "f1_micro", "f1_weighted", "loss")

    def validate(self, config: RunConfig) -> None:
        """The encoder task's checks and a registered sequence head, before any model is loaded."""
        super().validate(config)
        if config.model.head != AUTO_HEAD and config.model.head not in HEADS:
            raise ConfigError(
                f"unknown head {config.model.head!r}; available heads: auto, {', '.join(sorted(HEADS))} "
                "(model.head / --head)"
            )

    def prepare(self, config: RunConfig, tokenizer: PreTrainedTokenizerBase) -> PreparedData:
        """Read the splits, check the tokenizer on the training texts, tokenise train and dev."""
        splits = load_splits(config.data, config.train.seed)
        notes, warnings = tokenizer_checks(config, tokenizer, splits.train["text"][:])
        check_notes, facts = data_check(config, splits, self.label_column)
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
            notes=splits.notes + notes + check_notes + window_notes(raw, encoded, config),
            warnings=warnings,
            facts=facts,
        )

    def build_model(self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData) -> PreTrainedModel:
        """Encoder + the configured head, loss and label names."""
        num_labels = len(data.label_names)
        weights = class_weights(config.train.class_weights, data.train["labels"][:], num_labels)
        return self._build(config, encoder, data, problem_type=SINGLE_LABEL, class_weights=weights)

    def _build(
        self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData, problem_type: str, **loss_settings
    ) -> PreTrainedModel:
        head = resolve_head(config.model.head, encoder)
        pooler = getattr(encoder, "pooler", None)
        reuse_pooler = (
            head == "cls"
            and config.model.reuse_pooler
            and getattr(encoder, "electralab_pretrained_pooler", False)
            and isinstance(getattr(pooler, "dense", None), torch.nn.Linear)
        )
        windows = config.data.windows()
        model_config = ElectralabConfig(
            encoder=encoder.config.to_dict(),
            task=self.name,
            head=head,
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

    def dev_metrics(self, config: RunConfig, data: PreparedData) -> Callable[[EvalPrediction], dict]:
        """Dev metrics, per document when long texts are cut into windows."""
        if "doc_id" in data.dev.column_names:
            return per_document(self.compute_metrics, data.dev["doc_id"][:], config.data.window_aggregation)
        return self.compute_metrics

    def split_logits(self, config: RunConfig, model: PreTrainedModel, tokenizer: Any, raw: Any) -> np.ndarray:
        """Logits of a raw split's texts (windows aggregated as the model was trained)."""
        pairs = raw["text_pair"][:] if "text_pair" in raw.column_names else None
        return text_logits(
            model, tokenizer, raw["text"][:], pairs, config.data.max_length, config.data.windows(),
            config.train.eval_batch_size,
        )  # fmt: skip

    def evaluate(self, config: RunConfig, trainer: Any, parts: TrainingParts) -> FinalEvaluation:
        """Full report on dev and test, with the most confidently wrong examples of the last split."""
        data: PreparedData = parts.state
        metrics, warnings, wrong, predictions = {}, [], [], {}
        for split in ("dev", "test"):
            if split not in data.raw:
                continue
            raw = data.raw[split]
            logits = self.split_logits(config, trainer.model, parts.processing_class, raw)
            labels = label_ids(raw["label"][:], data.label_names, split)
            metrics[split], wrong = score_logits(logits, labels, data.label_names, raw["text"][:])
            predictions[split] = prediction_rows(raw["text"][:], labels, logits, data.label_names)
            if metrics[split]["collapsed"]:
                warnings.append(collapse_warning(split, metrics[split]))
        return FinalEvaluation(metrics=metrics, wrong_examples=wrong, warnings=warnings, predictions=predictions)

    def read_labelled(
        self, path: str, data: DataConfig | None, text_column: str | None, label_column: str | None, fmt: str = "table"
    ) -> Any:
        """Read a labelled file with the run's reader and columns (or the given ones)."""
        return read_split(
            fmt,
            path,
            text_column=text_column or (data.text_column if data else "text"),
            text_pair_column=data.text_pair_column if data else None,
            label_column=label_column or (data.label_column if data else "label"),
        )

    def score(self, model_config: Any, logits: np.ndarray, dataset: Any, source: str) -> dict[str, Any]:
        """Accuracy, F1s, per-class scores, confusion matrix and loss against the file's labels."""
        names = [model_config.id2label[i] for i in range(model_config.num_labels)]
        unseen = sorted(set(dataset["label"][:]) - set(names))
        if unseen:
            raise DataError(
                f"{source}: labels {unseen} are not among the model's labels {names}; "
                "check the file or the --label-column"
            )
        metrics, _ = score_logits(logits, label_ids(dataset["label"][:], names, source), names, dataset["text"][:])
        return metrics

    def present(self, model_config: Any, texts: Sequence[str], logits: np.ndarray) -> list[dict[str, Any]]:
        """The predicted ``label``, its ``score`` and every label's probability."""
        names = [model_config.id2label[i] for i in range(model_config.num_labels)]
        probabilities = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
        results = []
        for text, row in zip(texts, probabilities, strict=True):
            best = int(row.argmax())
            results.append(
                {
                    "text": text,
                    "label": names[best],
                    "score": round(float(row[best]), 6),
                    "probabilities": {n: round(float(p), 6) for n, p in zip(names, row, strict=True)},
                }
            )
        return results


def prediction_rows(texts: list[str], labels: np.ndarray, logits: np.ndarray, names: list[str]) -> list[dict[str, Any]]:
    """One row per text: the text, its gold and predicted label and every label's probability."""
    probabilities = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
    return [
        {
            "text": text,
            "gold": names[int(gold)],
            "predicted": names[int(row.argmax())],
            "probabilities": {name: round(float(p), 6) for name, p in zip(names, row, strict=True)},
        }
        for text, gold, row in zip(texts, labels, probabilities, strict=True)
    ]


def label_ids(labels: Sequence[str], names: list[str], source: str) -> np.ndarray:
    """Class indices of label names."""
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[label] for label in labels])


def per_document(
    compute_metrics: Callable[[EvalPrediction], dict], doc_ids: list[int], aggregation: str
) -> Callable[[EvalPrediction], dict]:
    """Score windows as documents: aggregate each document's window logits, take its label from its first window."""
    documents = max(doc_ids) + 1

    def compute(prediction: EvalPrediction) -> dict:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        labels = first_per_document(np.asarray(prediction.label_ids), doc_ids)
        scores = compute_metrics(
            EvalPrediction(
                predictions=aggregate_windows(np.asarray(logits), doc_ids, documents, aggregation), label_ids=labels
            )
        )
        return {**scores, "rows": len(labels)}  # documents scored, not windows

    return compute


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
