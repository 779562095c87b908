"""Extractive question answering (SQuAD v1.1, KorQuAD 1.0): the answer is a span of the context.

The model scores every token as the answer's start and end (:class:`ElectralabForQuestionAnswering`); a
question and its context are read in overlapping windows (``data.max_length``, ``data.doc_stride``) and the
answer is decoded across all windows (``data.n_best``, ``data.max_answer_length``) as an exact substring of
the context. Scores: SQuAD v1.1's exact match and F1, KorQuAD 1.0's character F1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datasets import Dataset
from transformers import DataCollatorWithPadding, EvalPrediction, PreTrainedModel, PreTrainedTokenizerBase

from ..config import DataConfig, RunConfig
from ..data.squad import read_questions
from ..errors import ConfigError, DataError
from ..metrics.qa import best_null_threshold, example_scores, qa_scores
from ..models import ElectralabConfig, ElectralabForQuestionAnswering
from .base import FinalEvaluation, TrainingParts, register_task
from .qa_data import read_splits, text_view
from .qa_features import Windows, best_answers, make_windows
from .qa_predict import answer_questions
from .sequence import EncoderTask, PreparedData
from .text_checks import split_findings, tokenizer_checks

WORST_EXAMPLES = 50
"""How many of the worst-scoring test questions the report keeps."""


@register_task
class QuestionAnswering(EncoderTask):
    """Question + context -> the answer's span in the context, with its character offsets and a score."""

    name = "question_answering"
    metric_names = ("f1", "exact_match", "char_f1", "loss")
    label_column = None  # type: ignore[assignment]  (data checks compare question + context texts only)
    auto_model_class_name = "AutoModelForQuestionAnswering"

    def raw_splits(self, config: RunConfig) -> dict[str, Dataset]:
        """The splits a run uses (carved by article), each question with its context as ``text``, for checks."""
        raw, _ = read_splits(config.data, config.train.seed)
        return {split: text_view(questions) for split, questions in raw.items()}

    def validate(self, config: RunConfig) -> None:
        """A metric to select by, a stride that leaves room for the context, positive decoding limits."""
        super().validate(config)
        data = config.data
        if not 0 <= data.doc_stride < data.max_length // 2:
            raise ConfigError(
                f"data.doc_stride={data.doc_stride}: expected 0 to less than half of data.max_length "
                f"({data.max_length}) context tokens shared by consecutive windows (KorQuAD: 384 / 128)"
            )
        if data.max_answer_length < 1 or data.n_best < 1:
            raise ConfigError("data.max_answer_length and data.n_best must be >= 1")

    def build(self, config: RunConfig) -> TrainingParts:
        """The encoder task's parts, with the span head named in the summary."""
        parts = super().build(config)
        parts.summary["head"] = "span"
        return parts

    def describe_run(self, config: RunConfig) -> dict[str, Any]:
        """The encoder task's description, with the span head and the window and decoding settings."""
        described = super().describe_run(config)
        data = config.data
        described["settings"].update({
            "head": "span", "doc_stride": data.doc_stride, "max_answer_length": data.max_answer_length,
            "n_best": data.n_best, "answer_scoring": data.answer_scoring, "unanswerable": data.unanswerable,
        })  # fmt: skip
        if data.test_file is None and data.test_fraction is not None:
            described["data"]["test"] = (
                f"carved from train by article ({data.test_fraction:.0%}, seed {config.train.seed})"
            )
        if data.dev_file is None:
            described["data"]["dev"] = (
                f"carved from train by article ({data.dev_fraction:.0%}, seed {config.train.seed})"
            )
        return described

    def prepare(self, config: RunConfig, tokenizer: PreTrainedTokenizerBase) -> PreparedData:
        """Read and carve the questions by article, cut (question, context) into windows with answer tokens."""
        data = config.data
        raw, notes = read_splits(data, config.train.seed)
        more_notes, warnings = tokenizer_checks(config, tokenizer, raw["train"]["context"][:500])
        check_notes, facts = split_findings(config, {k: text_view(v) for k, v in raw.items()}, None)
        encoded = {}
        for split in ("train", "dev"):
            windows = self.windows(raw[split], tokenizer, data, with_answers=True)
            encoded[split] = windows_dataset(windows)
            inside = sum(1 for start in windows.starts if start > 0)
            notes.append(
                f"{split}: {len(raw[split])} questions -> {len(windows.owners)} windows of <= {data.max_length} tokens "
                f"(stride {data.doc_stride}); {inside} hold their answer"
            )
            if split == "dev":
                self.dev_windows, self.dev_raw = windows, raw["dev"]
        self.n_best, self.max_answer_length = data.n_best, data.max_answer_length
        self.answer_scoring = data.answer_scoring
        self.null_threshold = 0.0 if data.unanswerable else None
        return PreparedData(
            train=encoded["train"], dev=encoded["dev"], raw=raw, label_names=[],
            notes=notes + more_notes + check_notes, warnings=warnings, facts=facts,
        )  # fmt: skip

    @staticmethod
    def windows(
        questions: Dataset, tokenizer: PreTrainedTokenizerBase, data: DataConfig, with_answers: bool
    ) -> Windows:
        """The windows of a split's questions (with each window's answer tokens for training)."""
        return make_windows(
            tokenizer, questions["question"][:], questions["context"][:], data.max_length, data.doc_stride,
            answers=questions["answers"][:] if with_answers else None, ids=questions["id"][:],
        )  # fmt: skip

    def build_model(self, config: RunConfig, encoder: PreTrainedModel, data: PreparedData) -> PreTrainedModel:
        """Encoder + span head, with the window and decoding settings used again at prediction."""
        model_config = ElectralabConfig(
            encoder=encoder.config.to_dict(), task=self.name, head="span", head_dropout=config.model.dropout,
            max_seq_length=config.data.max_length, doc_stride=config.data.doc_stride,
            max_answer_length=config.data.max_answer_length, n_best=config.data.n_best,
            answer_scoring=config.data.answer_scoring, unanswerable=config.data.unanswerable, null_threshold=0.0,
        )  # fmt: skip
        return ElectralabForQuestionAnswering(model_config, encoder=encoder)

    def collator(self, tokenizer: PreTrainedTokenizerBase) -> Callable:
        """Pads the windows of a batch to the longest one."""
        return DataCollatorWithPadding(tokenizer)

    def compute_metrics(self, prediction: EvalPrediction) -> dict[str, float]:
        """Dev answers decoded from the windows' start and end logits, scored per question."""
        start_logits, end_logits = prediction.predictions[:2]
        if len(start_logits) != len(self.dev_windows.owners):
            raise RuntimeError(f"{len(start_logits)} dev predictions for {len(self.dev_windows.owners)} windows")
        contexts = self.dev_raw["context"][:]
        answers = best_answers(
            contexts, self.dev_windows, start_logits, end_logits, self.n_best, self.max_answer_length,
            self.null_threshold, self.answer_scoring,
        )  # fmt: skip
        gold = [row["text"] for row in self.dev_raw["answers"][:]]
        return qa_scores([a["answer"] for a in answers], gold)

    def evaluate(self, config: RunConfig, trainer: Any, parts: TrainingParts) -> FinalEvaluation:
        """Scores on dev and test (contexts read whole), the test predictions and the worst-scoring questions."""
        data: PreparedData = parts.state
        metrics, examples, predictions, run = {}, [], {}, {}
        if config.data.unanswerable and "dev" in data.raw:
            threshold = self._tune_null_threshold(config, trainer, parts.processing_class, data.raw["dev"])
            trainer.model.config.null_threshold = run["null_threshold"] = threshold
        for split in ("dev", "test"):
            if split in data.raw:
                questions = data.raw[split]
                answers = answer_questions(
                    trainer.model, parts.processing_class, questions["question"][:], questions["context"][:],
                    config.data.max_length, config.train.eval_batch_size, ids=questions["id"][:],
                )  # fmt: skip
                metrics[split] = qa_scores([a["answer"] for a in answers], gold_texts(questions))
                predictions[split] = prediction_rows(questions, answers)
                examples = worst_examples(questions, predictions[split])
        return FinalEvaluation(metrics=metrics, wrong_examples=examples, predictions=predictions, run=run)

    @staticmethod
    def _tune_null_threshold(config: RunConfig, trainer: Any, tokenizer: Any, dev: Dataset) -> float:
        """The null-answer threshold with the best dev F1 (saved in the model's config)."""
        answers = answer_questions(
            trainer.model, tokenizer, dev["question"][:], dev["context"][:], config.data.max_length,
            config.train.eval_batch_size, ids=dev["id"][:], null_threshold=float("inf"),
        )  # fmt: skip
        golds = gold_texts(dev)
        return best_null_threshold(
            [a["null_difference"] for a in answers],
            [example_scores(a["answer"], g)["f1"] if g else 0.0 for a, g in zip(answers, golds, strict=True)],
            [not g for g in golds],
        )

    def read_labelled(
        self, path: str, data: DataConfig | None, text_column: str | None, label_column: str | None, fmt: str = "squad"
    ) -> Dataset:
        """Read a SQuAD ``.json`` or ``.jsonl`` file of questions with answers.

        Unanswerable questions are read too when the model was trained with them (its run's ``data.unanswerable``).
        """
        return read_questions(path, unanswerable=bool(data and data.unanswerable)).questions

    def score_dataset(self, predictor: Any, dataset: Dataset, batch_size: int, source: str) -> dict[str, Any]:
        """Exact match, F1 and character F1 of a saved model on questions with answers."""
        answers = answer_questions(
            predictor.model, predictor.tokenizer, dataset["question"][:], dataset["context"][:],
            predictor.max_length, batch_size, bf16=predictor.bf16, forward=predictor._forward, ids=dataset["id"][:],
        )  # fmt: skip
        return qa_scores([a["answer"] for a in answers], gold_texts(dataset))

    def predict_texts(
        self,
        predictor: Any,
        texts: Sequence[str],
        text_pairs: Sequence[str] | None,
        batch_size: int,
        scoring: str | None = None,
    ) -> list[dict[str, Any]]:
        """``{answer, start, end, score}`` per question (``texts``) in its context (``text_pairs``), any length.

        ``scoring`` compares spans across windows for this call only (default: the model's ``answer_scoring``).
        """
        if text_pairs is None:
            raise ConfigError(
                "question answering needs a context for every question: pass the contexts as text_pairs (a JSONL "
                "input file with question and context)"
            )
        if len(texts) != len(text_pairs):
            raise DataError(f"{len(texts)} questions but {len(text_pairs)} contexts: give one context per question")
        for i, (question, context) in enumerate(zip(texts, text_pairs, strict=True)):
            for name, value in (("question", question), ("context", context)):
                if not isinstance(value, str) or not value.strip():
                    raise DataError(f"question {i + 1}: empty {name}; every question needs a question and a context")
        return answer_questions(
            predictor.model, predictor.tokenizer, texts, text_pairs, predictor.max_length, batch_size,
            bf16=predictor.bf16, forward=predictor._forward, scoring=scoring,
        )  # fmt: skip

    def read_prediction_inputs(self, path: str | None) -> tuple[list[str], list[str]]:
        """Questions and contexts of a ``.jsonl`` (``{question, context}`` per line) or SQuAD ``.json`` file."""
        if path is None:
            raise DataError("question answering reads a .jsonl file of {question, context} lines: pass --input")
        questions = read_questions(path, labelled=False).questions
        return questions["question"][:], questions["context"][:]


def windows_dataset(windows: Windows) -> Dataset:
    """The Trainer's rows: token columns, answer start and end tokens, and each window's length."""
    columns = dict(windows.encoded)
    columns["start_positions"], columns["end_positions"] = windows.starts, windows.ends
    columns["length"] = [len(ids) for ids in windows.encoded["input_ids"]]
    return Dataset.from_dict(columns)


def gold_texts(questions: Dataset) -> list[list[str]]:
    """The gold answer texts of every question."""
    return [answers["text"] for answers in questions["answers"][:]]


def prediction_rows(questions: Dataset, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per question: id, question, gold answers, the predicted answer with offsets, score and F1s."""
    rows = []
    for row, answer in zip(questions, answers, strict=True):
        golds = row["answers"]["text"]
        scores = example_scores(answer["answer"], golds)
        rows.append({"id": row["id"], "question": row["question"], "gold": golds, **answer,
                     **{key: round(value, 4) for key, value in scores.items()}})  # fmt: skip
    return rows


def worst_examples(questions: Dataset, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The worst-scoring questions (lowest F1, then character F1, most confident first), with their context."""
    contexts = questions["context"][:]
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["f1"], rows[i]["char_f1"], -rows[i]["score"]))
    examples = []
    for i in order[:WORST_EXAMPLES]:
        row = rows[i]
        if row["exact_match"] == 1.0:
            break
        examples.append({
            "question": row["question"], "text": contexts[i], "label": " | ".join(row["gold"]) or "(no answer)",
            "predicted": row["answer"] or "(no answer)", "f1": row["f1"], "char_f1": row["char_f1"],
            "confidence": row["score"],
        })  # fmt: skip
    return examples
