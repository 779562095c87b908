"""Question answering windows and answers, as Hugging Face's question-answering example prepares and decodes them.

This follows ``run_qa.py``'s feature preparation and ``utils_qa.py``'s post-processing, on lists instead of
a ``datasets`` map. A question and its context become windows of at most ``max_length`` tokens (question + a
slice of the context, ``stride`` context tokens shared by consecutive windows), so a context of any length is
read whole. In training, a window holds the answer's first and last token, or points both at the first token
(``[CLS]``) when the answer is not inside it. Decoding takes, in every window of a question, the ``n_best``
highest start and end logits, keeps the pairs inside the context with ``start <= end`` and at most
``max_answer_length`` tokens, and returns the best pair's exact substring of the original context with its
character offsets. The question-answering pipeline's rule (start x end probabilities, each a softmax within
its window) is the other ``answer_scoring``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from transformers import PreTrainedTokenizerBase

from ..errors import ConfigError, DataError


@dataclass
class Windows:
    """Tokenised windows of questions and contexts.

    Attributes:
        encoded: Token columns, one list per window (``input_ids``, ``attention_mask`` [, ``token_type_ids``]).
        owners: The question (row index) of each window.
        offsets: Per window, each token's character span in the context, None outside the context.
        starts: The answer's first token per window (training), else empty.
        ends: The answer's last token per window (training), else empty.
    """

    encoded: dict[str, list]
    owners: list[int]
    offsets: list[list[tuple[int, int] | None]]
    starts: list[int]
    ends: list[int]


def check_fits(
    tokenizer: PreTrainedTokenizerBase, questions: Sequence[str], max_length: int, stride: int, ids: Sequence[str]
) -> None:
    """Refuse a question so long that no window has room for ``stride`` + 1 context tokens."""
    room = max_length - tokenizer.num_special_tokens_to_add(pair=True) - stride - 1
    lengths = [len(ids_) for ids_ in tokenizer([q.lstrip() for q in questions], add_special_tokens=False)["input_ids"]]
    for length, row_id in zip(lengths, ids, strict=True):
        if length > room:
            raise DataError(
                f"question {row_id}: {length} tokens leave no room for the context in windows of {max_length} tokens "
                f"with a stride of {stride}; shorten the question or raise data.max_length / lower data.doc_stride"
            )


def make_windows(
    tokenizer: PreTrainedTokenizerBase,
    questions: Sequence[str],
    contexts: Sequence[str],
    max_length: int,
    stride: int,
    answers: Sequence[dict[str, list]] | None = None,
    ids: Sequence[str] | None = None,
) -> Windows:
    """Windows of every (question, context) pair; with ``answers`` also each window's start and end token.

    Raises:
        ConfigError: If the tokenizer is not a fast one (offsets are needed).
        DataError: If a question leaves no room for its context (see :func:`check_fits`).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"question answering needs a fast tokenizer (offsets); {type(tokenizer).__name__} is not")
    check_fits(tokenizer, questions, max_length, stride, ids or [str(i + 1) for i in range(len(questions))])
    encoded = tokenizer(
        [q.lstrip() for q in questions], list(contexts), truncation="only_second", max_length=max_length,
        stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True,
    )  # fmt: skip
    owners = list(encoded["overflow_to_sample_mapping"])
    offsets, starts, ends = [], [], []
    for w, spans in enumerate(encoded["offset_mapping"]):
        sequence_ids = encoded.sequence_ids(w)
        offsets.append([tuple(span) if sequence_ids[k] == 1 else None for k, span in enumerate(spans)])
        if answers is not None:
            start, end = answer_tokens(encoded["input_ids"][w], spans, sequence_ids, answers[owners[w]], tokenizer)
            starts.append(start)
            ends.append(end)
    columns = {key: list(encoded[key]) for key in ("input_ids", "attention_mask", "token_type_ids") if key in encoded}
    return Windows(columns, owners, offsets, starts, ends)


def answer_tokens(
    input_ids: list[int],
    offsets: list[tuple[int, int]],
    sequence_ids: list[int | None],
    answers: dict[str, list],
    tokenizer: PreTrainedTokenizerBase,
) -> tuple[int, int]:
    """The first and last token of the (first) answer in one window; the first token when it is not inside."""
    if tokenizer.cls_token_id in input_ids:
        first = input_ids.index(tokenizer.cls_token_id)
    elif tokenizer.bos_token_id in input_ids:
        first = input_ids.index(tokenizer.bos_token_id)
    else:
        first = 0
    if not answers["answer_start"]:
        return first, first
    start_char = answers["answer_start"][0]
    end_char = start_char + len(answers["text"][0])
    token_start = 0
    while sequence_ids[token_start] != 1:
        token_start += 1
    token_end = len(input_ids) - 1
    while sequence_ids[token_end] != 1:
        token_end -= 1
    if not (offsets[token_start][0] <= start_char and offsets[token_end][1] >= end_char):
        return first, first
    while token_start < len(offsets) and offsets[token_start][0] <= start_char:
        token_start += 1
    while offsets[token_end][1] >= end_char:
        token_end -= 1
    return token_start - 1, token_end + 1


ANSWER_SCORINGS = ("logit_sum", "window_probability")


def span_candidates(
    offsets: list[tuple[int, int] | None], starts: np.ndarray, ends: np.ndarray, n_best: int, max_answer_length: int
) -> list[tuple[float, int, int]]:
    """A window's answer spans by start + end logit (``utils_qa.py``): the ``n_best`` highest starts x ends."""
    candidates = []
    start_indexes = np.argsort(starts)[-1 : -n_best - 1 : -1].tolist()
    end_indexes = np.argsort(ends)[-1 : -n_best - 1 : -1].tolist()
    for s in start_indexes:
        for e in end_indexes:
            if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                continue
            if e < s or e - s + 1 > max_answer_length:
                continue
            candidates.append((float(starts[s] + ends[e]), offsets[s][0], offsets[e][1]))
    return candidates


def window_log_probabilities(offsets: list, logits: np.ndarray) -> np.ndarray:
    """Log-softmax of a window's logits over its context tokens and its first token, as the pipeline takes it."""
    allowed = np.array([i == 0 or (i < len(offsets) and offsets[i] is not None) for i in range(len(logits))])
    masked = np.where(allowed, logits.astype(np.float64), -np.inf)
    return masked - (masked.max() + np.log(np.exp(masked - masked.max()).sum()))


def best_window_span(
    offsets: list[tuple[int, int] | None], log_start: np.ndarray, log_end: np.ndarray, max_answer_length: int
) -> list[tuple[float, int, int]]:
    """A window's best span by start x end probability (the QA pipeline's rule), from its log-probabilities.

    The score is the log of the product; every pair inside the context is searched, not only the n best.
    """
    context = np.array([i < len(offsets) and offsets[i] is not None for i in range(len(log_start))])
    scores = log_start[:, None] + log_end[None, :]
    scores = np.where(context[:, None] & context[None, :], scores, -np.inf)
    square = np.ones_like(scores, dtype=bool)
    band = np.triu(square) & ~np.triu(square, max_answer_length)  # start <= end < start + max_answer_length
    scores = np.where(band, scores, -np.inf)
    if not np.isfinite(scores).any():
        return []
    s, e = np.unravel_index(np.argmax(scores), scores.shape)
    return [(float(scores[s, e]), offsets[s][0], offsets[e][1])]


def merge_same_text(context: str, candidates: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """Spans of the same text (ignoring case) as one answer, as the pipeline does.

    Probabilities are summed and the first occurrence's offsets kept (``candidates`` in window order, scores as
    log-probabilities).
    """
    merged: dict[str, list] = {}
    for score, start, end in candidates:
        key = context[start:end].lower()
        if key in merged:
            merged[key][0] += np.exp(score)
        else:
            merged[key] = [np.exp(score), start, end]
    return [(float(np.log(probability)), start, end) for probability, start, end in merged.values()]


def best_answers(
    contexts: Sequence[str],
    windows: Windows,
    start_logits: Sequence[np.ndarray],
    end_logits: Sequence[np.ndarray],
    n_best: int = 20,
    max_answer_length: int = 30,
    null_threshold: float | None = None,
    scoring: str = "logit_sum",
) -> list[dict[str, Any]]:
    """The best answer of every question: ``{answer, start, end, score}``.

    ``answer`` is ``context[start:end]``, exactly. A question without any valid span gets an empty answer
    with score 0. ``scoring`` compares spans across a question's windows:

    - ``logit_sum`` (Hugging Face's question-answering example): start + end logit, the ``n_best`` highest of
      each per window; ``score`` is the best span's softmax over the question's n best.
    - ``window_probability`` (the ``question-answering`` pipeline): start x end probability, each a softmax
      within its window over the context tokens (and the first token), every pair searched, the best of each
      window; windows' answers of the same text are one answer (probabilities summed, the first occurrence's
      offsets); ``score`` is that probability.

    With ``null_threshold`` (SQuAD v2), the null answer (the first token's start + end scores, the lowest over
    the question's windows) competes too: when it beats the best span by more than the threshold the answer is
    empty (start = end = 0); each result then also has ``null_difference`` (the null score minus the best
    span's), as in Hugging Face's example.
    """
    if scoring not in ANSWER_SCORINGS:
        raise ConfigError(f"answer scoring {scoring!r}: expected one of {', '.join(ANSWER_SCORINGS)}")
    per_question: list[list[int]] = [[] for _ in contexts]
    for w, owner in enumerate(windows.owners):
        per_question[owner].append(w)
    results = []
    for q, context in enumerate(contexts):
        candidates, nulls = [], []
        for w in per_question[q]:
            offsets, starts, ends = windows.offsets[w], start_logits[w], end_logits[w]
            if scoring == "logit_sum":
                candidates += span_candidates(offsets, starts, ends, n_best, max_answer_length)
                nulls.append(float(starts[0] + ends[0]))
            else:
                log_start, log_end = window_log_probabilities(offsets, starts), window_log_probabilities(offsets, ends)
                candidates += best_window_span(offsets, log_start, log_end, max_answer_length)
                nulls.append(float(log_start[0] + log_end[0]))
        null = min(nulls, default=0.0)
        if scoring == "window_probability":
            candidates = merge_same_text(context, candidates)
        best = sorted(candidates, key=lambda c: c[0], reverse=True)[:n_best]
        if not best and null_threshold is None:
            results.append({"answer": "", "start": 0, "end": 0, "score": 0.0})
            continue
        scores = np.array([score for score, _, _ in best] + ([null] if null_threshold is not None else []))
        if scoring == "logit_sum":
            probabilities = np.exp(scores - scores.max())
            probabilities /= probabilities.sum()
        else:
            probabilities = np.exp(scores)
        if null_threshold is not None:
            difference = null - best[0][0] if best else float("inf")
            if difference > null_threshold:
                results.append({"answer": "", "start": 0, "end": 0, "score": round(float(probabilities[-1]), 6),
                                "null_difference": difference})  # fmt: skip
                continue
        _, start, end = best[0]
        result = {"answer": context[start:end], "start": int(start), "end": int(end),
                  "score": round(float(probabilities[0]), 6)}  # fmt: skip
        if null_threshold is not None:
            result["null_difference"] = difference
        results.append(result)
    return results
