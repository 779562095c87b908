"""Token classification (NER): tag every word or character, entities scored with seqeval's strict semantics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datasets import Dataset
from transformers import DataCollatorForTokenClassification, EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase

from ..config import DataConfig, RunConfig
from ..data.tag_scheme import entity_spans
from ..data.tagging import read_tagged
from ..errors import ConfigError
from ..metrics.tagging import entity_scores
from ..models import ElectralabConfig, ElectralabForTokenClassification
from ..models.token_heads import TOKEN_HEADS
from .base import FinalEvaluation, TrainingParts, register_task
from .sequence import EncoderTask, PreparedData
from .tagging_data import check_known, check_tags, encode, label_names, read_splits, unit_kind
from .tagging_predict import entities_of, predict_unit_tags, subtoken_units, text_units
from .text_checks import split_findings, tokenizer_checks


def token_head(name: str) -> str:
    """The token head ``model.head`` names; ``auto`` is ``linear`` (one label per token from its hidden state)."""
    return "linear" if name == "auto" else name


@register_task
class TokenClassification(EncoderTask):
    """Words or characters -> BIO / BIOES tags; predictions are entities with character offsets."""

    name = "token_classification"
    carving = ", by sentence"
    metric_names = ("f1", "precision", "recall", "token_accuracy", "loss")
    label_column = "tags"
    auto_model_class_name = "AutoModelForTokenClassification"

    def raw_splits(self, config: RunConfig) -> dict[str, Dataset]:
        """The tagged files as they are (row limits applied, nothing carved), for ``electralab check``."""
        data = config.data
        files = {"train": (data.train_file, data.max_train_rows), "dev": (data.dev_file, data.max_dev_rows),
                 "test": (data.test_file, data.max_test_rows)}  # fmt: skip
        return {
            name: read_tagged(data.format, data.resolve(file), rows)
            for name, (file, rows) in files.items()
            if file is not None
        }

    def validate(self, config: RunConfig) -> None:
        """A token head (linear, lstm, cnn; auto: linear) and an entity metric to select by."""
        super().validate(config)
        if token_head(config.model.head) not in TOKEN_HEADS:
            raise ConfigError(
                f"model.head={config.model.head!r} is a sequence head; token classification takes "
                f"{', '.join(sorted(TOKEN_HEADS))} (add model.crf=true for a CRF on top)"
            )

    def prepare(self, config: RunConfig, tokenizer: PreTrainedTokenizerBase) -> PreparedData:
        """Read and carve the sentences, check and repair the tags, tokenise with one label per token."""
        raw, notes = read_splits(config.data, config.train.seed)
        for split in list(raw):
            raw[split], repaired = check_tags(raw[split], config.data, split)
            if repaired:
                notes.append(f"{split}: repaired {repaired} I- tags that continued no entity (data.invalid_tags)")
        names = label_names(raw["train"])
        for split in ("dev", "test"):
            if split in raw:
                check_known(raw[split], names, split, config.data)
        more_notes, warnings = tokenizer_checks(config, tokenizer, raw["train"]["text"][:])
        check_notes, facts = split_findings(config, raw, self.label_column)
        label2id = {name: i for i, name in enumerate(names)}
        encoded = {split: encode(raw[split], tokenizer, config.data, label2id) for split in ("train", "dev")}
        cut = sum(1 for length in encoded["train"]["length"][:] if length >= config.data.max_length)
        if cut:
            notes.append(f"train: {cut} sentences reach data.max_length={config.data.max_length} tokens (cut there)")
        self.label_names, self.kind = names, unit_kind(config.data, raw["train"])
        return PreparedData(
            train=encoded["train"], dev=encoded["dev"], raw=raw, label_names=names,
            notes=notes + more_notes + check_notes + [f"tags: {', '.join(names)}; units: {self.kind}s"],
            warnings=warnings, facts=facts,
        )  # fmt: skip

    def build_model(self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData) -> PreTrainedModel:
        """Encoder + token head (+ CRF), with the tag names and how texts are cut into units."""
        model_config = ElectralabConfig(
            encoder=encoder.config.to_dict(), task=self.name, head=token_head(config.model.head), crf=config.model.crf,
            head_dropout=config.model.dropout, rnn_hidden_size=config.model.rnn_hidden_size,
            cnn_kernel_sizes=list(config.model.cnn_kernel_sizes), cnn_filters=config.model.cnn_filters,
            tag_scheme=config.data.tag_scheme, label_all_subtokens=config.data.label_all_subtokens,
            max_seq_length=config.data.max_length, tag_units=self.kind,
            id2label=dict(enumerate(data.label_names)), label2id={n: i for i, n in enumerate(data.label_names)},
        )  # fmt: skip
        return ElectralabForTokenClassification(model_config, encoder=encoder)

    def collator(self, tokenizer: PreTrainedTokenizerBase) -> Callable:
        """Pads ids and labels (-100) to the longest sentence of each batch."""
        return DataCollatorForTokenClassification(tokenizer)

    def compute_metrics(self, prediction: EvalPrediction) -> dict[str, float]:
        """Entity F1 / precision / recall and token accuracy on the scored (first) sub-tokens of dev."""
        predictions = prediction.predictions
        if isinstance(predictions, tuple):  # (logits, CRF-decoded tags)
            tag_ids = predictions[1] if len(predictions) > 1 else predictions[0].argmax(-1)
        else:
            tag_ids = predictions.argmax(-1)
        truth, predicted = [], []
        for gold_row, tag_row in zip(prediction.label_ids, tag_ids, strict=True):
            keep = gold_row != -100
            truth.append([self.label_names[i] for i in gold_row[keep]])
            predicted.append([self.label_names[max(int(i), 0)] for i in tag_row[keep]])
        scores = entity_scores(truth, predicted, "IOB2" if "E-" not in "".join(self.label_names) else "BIOES")
        return {key: scores[key] for key in ("f1", "precision", "recall", "token_accuracy")}

    def evaluate(self, config: RunConfig, trainer: Any, parts: TrainingParts) -> FinalEvaluation:
        """Entity scores on dev and test from whole sentences (windows for long ones), and example sentences."""
        data: PreparedData = parts.state
        metrics, examples, predictions = {}, [], {}
        for split in ("dev", "test"):
            if split in data.raw:
                metrics[split], examples, predictions[split] = self._score(
                    trainer.model, parts.processing_class, data.raw[split], config
                )
        return FinalEvaluation(metrics=metrics, wrong_examples=examples, predictions=predictions)

    def _score(
        self, model: Any, tokenizer: Any, raw: Dataset, config: RunConfig, **kwargs: Any
    ) -> tuple[dict, list, list]:
        units = list(zip(raw["starts"][:], raw["ends"][:], strict=True))
        predicted = predict_unit_tags(
            model, tokenizer, raw["text"][:], units, config.data.max_length, config.train.eval_batch_size, **kwargs
        )
        truth = raw["tags"][:]
        scores = entity_scores(truth, [tags for tags, _ in predicted], config.data.tag_scheme)
        scores["rows"] = len(truth)
        rows = prediction_rows(raw, truth, [tags for tags, _ in predicted])
        return scores, sentence_examples(rows), rows

    def read_labelled(
        self, path: str, data: DataConfig | None, text_column: str | None, label_column: str | None, fmt: str = "conll"
    ) -> Dataset:
        """Read a tagged file (conll, klue_ner, tagged_jsonl)."""
        return read_tagged(fmt, path)

    def score_dataset(self, predictor: Any, dataset: Dataset, batch_size: int, source: str) -> dict[str, Any]:
        """Entity scores of a saved model on tagged sentences."""
        config = RunConfig()
        config.data.max_length, config.train.eval_batch_size = predictor.max_length, batch_size
        config.data.tag_scheme = predictor.model.config.tag_scheme
        scores, _, _ = self._score(
            predictor.model, predictor.tokenizer, dataset, config, bf16=predictor.bf16, forward=predictor._forward
        )
        return scores

    def predict_texts(
        self, predictor: Any, texts: Sequence[str], text_pairs: Sequence[str] | None, batch_size: int
    ) -> list[dict[str, Any]]:
        """Entities ``{text, label, start, end, score}`` per text, offsets into the text, any length."""
        if text_pairs is not None:
            raise ConfigError("token classification tags single texts, not text pairs")
        kind = predictor.units or predictor.model.config.tag_units
        if kind == "token":
            units = subtoken_units(predictor.tokenizer, texts)
        else:
            units = [text_units(text, kind) for text in texts]
        predicted = predict_unit_tags(
            predictor.model, predictor.tokenizer, texts, units, predictor.max_length, batch_size,
            bf16=predictor.bf16, forward=predictor._forward,
        )  # fmt: skip
        return [
            {"text": text, "entities": entities_of(text, starts, ends, tags, scores)}
            for text, (starts, ends), (tags, scores) in zip(texts, units, predicted, strict=True)
        ]


def prediction_rows(raw: Dataset, truth: list[list[str]], predicted: list[list[str]]) -> list[dict[str, Any]]:
    """One row per sentence: its text and the gold and predicted entities (character offsets, label, text)."""
    rows = []
    for row, gold, guess in zip(raw, truth, predicted, strict=True):
        text, starts, ends = row["text"], row["starts"], row["ends"]

        def spans(tags: list[str], text: str = text, starts: list = starts, ends: list = ends) -> list[dict]:
            found = sorted((starts[first], ends[last], kind) for kind, first, last in entity_spans(tags))
            return [{"start": s, "end": e, "label": kind, "text": text[s:e]} for s, e, kind in found]

        rows.append({"text": text, "gold": spans(gold), "predicted": spans(guess)})
    return rows


def sentence_examples(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The :func:`prediction_rows` whose predicted entities differ from the gold ones, most differences first.

    Each keeps the gold and predicted spans as ``[start, end, label]`` (``gold_spans``, ``predicted_spans``) for the
    report to highlight, and as text (``label``, ``predicted``).
    """
    examples = []
    for row in rows:
        gold, guess = ([[s["start"], s["end"], s["label"]] for s in row[key]] for key in ("gold", "predicted"))
        differences = {tuple(span) for span in gold} ^ {tuple(span) for span in guess}
        if not differences:
            continue

        def shown(spans: list, text: str = row["text"]) -> str:
            return "; ".join(f"{text[start:end]} ({kind})" for start, end, kind in spans)

        examples.append({"text": row["text"], "label": shown(gold), "predicted": shown(guess), "gold_spans": gold,
                         "predicted_spans": guess, "confidence": float(len(differences))})  # fmt: skip
    examples.sort(key=lambda example: -example["confidence"])
    return examples
