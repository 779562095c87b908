"""Extractive question answering scores: SQuAD v1.1's exact match and token F1, KorQuAD 1.0's character F1.

``exact_match`` and ``f1`` follow the official SQuAD v1.1 evaluation script: lowercase, drop ASCII
punctuation, drop the articles a/an/the, collapse whitespace; F1 over the remaining whitespace tokens.
``char_f1`` follows KorQuAD 1.0's official script (``evaluate-v1.0.py``): quotes, angle brackets and
parentheses (ASCII and their Korean / typographic forms) become spaces, then lowercase and ASCII punctuation are
dropped and F1 is counted over the characters of the tokens (spaces never count). A question with several gold
answers takes its best score over them. Scores are percentages (0-100), as both scripts report them.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_KORQUAD_SYMBOLS = re.compile("['\"《》<>〈〉()‘’]")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1: lowercase, no punctuation, no articles (a, an, the), single spaces."""
    text = "".join(char for char in text.lower() if char not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def normalize_korquad(text: str) -> str:
    """KorQuAD 1.0: quotes, brackets and parentheses to spaces, lowercase, no punctuation, single spaces."""
    text = _KORQUAD_SYMBOLS.sub(" ", text).lower()
    return " ".join("".join(char for char in text if char not in _PUNCTUATION).split())


def _f1(predicted: Sequence[str], gold: Sequence[str]) -> float:
    same = sum((Counter(predicted) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(predicted: str, gold: str) -> float:
    """1.0 when the SQuAD-normalised answers are equal, else 0.0."""
    return float(normalize_answer(predicted) == normalize_answer(gold))


def token_f1(predicted: str, gold: str) -> float:
    """SQuAD v1.1 F1 over the normalised whitespace tokens."""
    return _f1(normalize_answer(predicted).split(), normalize_answer(gold).split())


def char_f1(predicted: str, gold: str) -> float:
    """KorQuAD 1.0 F1 over the characters of the normalised tokens (spaces do not count)."""
    return _f1(list(normalize_korquad(predicted).replace(" ", "")), list(normalize_korquad(gold).replace(" ", "")))


def best_over(score: Callable[[str, str], float], predicted: str, golds: Sequence[str]) -> float:
    """The best score of ``predicted`` against any of the gold answers (0 when there are none)."""
    return max((score(predicted, gold) for gold in golds), default=0.0)


def example_scores(predicted: str, golds: Sequence[str]) -> dict[str, float]:
    """One question's ``exact_match``, ``f1`` and ``char_f1`` (0-1) against its gold answers.

    An unanswerable question (no gold answers, SQuAD v2) scores 1 for an empty prediction, else 0.
    """
    if not golds:
        right = float(not predicted.strip())
        return {"exact_match": right, "f1": right, "char_f1": right}
    return {
        "exact_match": best_over(exact_match, predicted, golds),
        "f1": best_over(token_f1, predicted, golds),
        "char_f1": best_over(char_f1, predicted, golds),
    }


def qa_scores(predictions: Sequence[str], gold_answers: Sequence[Sequence[str]]) -> dict[str, float]:
    """Mean ``exact_match``, ``f1`` (SQuAD v1.1) and ``char_f1`` (KorQuAD 1.0) in percent, and ``rows``.

    With unanswerable questions (no gold answers) also ``has_answer_f1`` and ``no_answer_accuracy`` (the share
    of unanswerable questions answered with nothing), in percent, and ``unanswerable_rows``.

    Args:
        predictions: One predicted answer text per question (empty: no answer).
        gold_answers: The gold answer texts of each question (one or more; none: unanswerable).
    """
    if len(predictions) != len(gold_answers):
        raise ValueError(f"{len(predictions)} predictions but {len(gold_answers)} questions")
    totals: Counter = Counter()
    answerable: Counter = Counter()
    for predicted, golds in zip(predictions, gold_answers, strict=True):
        found = example_scores(predicted, golds)
        totals.update(found)
        answerable.update({"rows": 1, "f1": found["f1"]} if golds else {"empty": found["exact_match"]})
    count = max(len(predictions), 1)
    scores = {key: 100.0 * totals[key] / count for key in ("exact_match", "f1", "char_f1")}
    unanswerable = len(predictions) - answerable["rows"]
    if unanswerable:
        scores["has_answer_f1"] = 100.0 * answerable["f1"] / max(answerable["rows"], 1)
        scores["no_answer_accuracy"] = 100.0 * answerable["empty"] / unanswerable
        scores["unanswerable_rows"] = unanswerable
    return {**scores, "rows": len(predictions)}


def best_null_threshold(
    differences: Sequence[float], answer_f1: Sequence[float], unanswerable: Sequence[bool]
) -> float:
    """The null-answer threshold with the best mean F1: answer nothing where ``difference > threshold``.

    Args:
        differences: Per question, the null answer's score minus the best span's (start + end logits).
        answer_f1: Per question, the F1 of the best span against the gold answers (0 for unanswerable ones).
        unanswerable: Per question, whether it has no gold answer (then answering nothing scores 1).
    """
    order = sorted(range(len(differences)), key=lambda i: differences[i])
    score = best = float(sum(unanswerable))  # threshold below every difference: nothing answered
    threshold = min(differences, default=0.0) - 1.0
    for i in order:  # raising the threshold past differences[i] answers question i with its best span
        score += answer_f1[i] - float(unanswerable[i])
        if score > best:
            best, threshold = score, differences[i]
    return float(threshold)
