"""Question answering at evaluation and prediction time: windows batched by length, answers decoded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from ..models.batching import batch_tokens, length_batches
from .qa_features import Windows, best_answers, make_windows


@torch.inference_mode()
def window_logits(
    model: Any, tokenizer: PreTrainedTokenizerBase, windows: Windows, batch_size: int, bf16: bool = False,
    forward: Callable | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:  # fmt: skip
    """Start and end logits of every window (each as long as its window), in window order."""
    forward = forward or model
    device = next(model.parameters()).device
    encoded = windows.encoded
    lengths = [len(ids) for ids in encoded["input_ids"]]
    starts: list[Any] = [None] * len(lengths)
    ends: list[Any] = [None] * len(lengths)
    for index in length_batches(lengths, batch_size, batch_tokens(device)):
        batch = tokenizer.pad([{key: encoded[key][i] for key in encoded} for i in index], return_tensors="pt")
        batch = {key: value.to(device) for key, value in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            output = forward(**batch)
        start_logits, end_logits = output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()
        for row, i in enumerate(index):
            starts[i], ends[i] = start_logits[row, : lengths[i]], end_logits[row, : lengths[i]]
    return starts, ends


def answer_questions(
    model: Any,
    tokenizer: PreTrainedTokenizerBase,
    questions: Sequence[str],
    contexts: Sequence[str],
    max_length: int,
    batch_size: int = 64,
    bf16: bool = False,
    forward: Callable | None = None,
    ids: Sequence[str] | None = None,
    null_threshold: float | None = None,
    scoring: str | None = None,
) -> list[dict[str, Any]]:
    """``{answer, start, end, score}`` per question, from its context read whole in windows.

    The window stride, n-best size and maximum answer length are the model's (``doc_stride``, ``n_best``,
    ``max_answer_length`` in its config); so is the null-answer threshold of a model trained with unanswerable
    questions (``null_threshold`` overrides it, and keeps each answer's ``null_difference``), and the rule that
    compares spans across windows (``answer_scoring``; ``scoring`` overrides it).
    """
    config = model.config
    stride = min(int(getattr(config, "doc_stride", 128)), max_length // 2)
    windows = make_windows(tokenizer, questions, contexts, max_length, stride, ids=ids)
    starts, ends = window_logits(model, tokenizer, windows, batch_size, bf16, forward)
    threshold = null_threshold
    if threshold is None and getattr(config, "unanswerable", False):
        threshold = float(config.null_threshold)
    scoring = scoring or getattr(config, "answer_scoring", "logit_sum")
    answers = best_answers(
        contexts, windows, starts, ends, int(config.n_best), int(config.max_answer_length), threshold, scoring
    )
    if null_threshold is None:
        for answer in answers:
            answer.pop("null_difference", None)
    return answers
