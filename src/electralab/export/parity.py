"""Parity of an export with its source: the same texts through both predictors, logits and predictions compared."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError

DEFAULT_CHECK_TEXTS = (
    "정말 재밌어요. 배우들 연기가 최고였습니다",
    "시간 낭비였다... 다시는 안 본다",
    "김민수 씨는 서울에서 부산까지 KTX를 타고 갔다.",
    "그저 그랬음 ㅋㅋ",
    "The acting was superb and the story kept me hooked until the end.",
    "Awful. I want my two hours back",
    "Barack Obama visited Seoul and met Samsung executives on Monday.",
    "ok",
)
"""Korean and English sentences of different lengths: what the parity check runs without ``--check-texts``."""

FP32_TOLERANCE = 1e-4
"""Largest |logit difference| an fp32 export may show against the PyTorch model."""


def read_check_texts(source: str | Path | Sequence[str] | None) -> list[str]:
    """The parity texts: a file (one text per line, blank lines skipped), a list, or the built-in sentences.

    Raises:
        DataError: If the file is missing or holds no text.
    """
    if source is None:
        return list(DEFAULT_CHECK_TEXTS)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"--check-texts {path}: no such file; pass a text file with one text per line")
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not texts:
            raise DataError(f"--check-texts {path}: the file holds no text; put one text per line")
        return texts
    texts = [text for text in source if text.strip()]
    if not texts:
        raise DataError("check_texts: no non-blank text given; pass some texts or leave it out for the built-in ones")
    return texts


def _decision(row: dict[str, Any]) -> Any:
    """What a prediction decides, without its scores: the label, the label set, or the entity spans."""
    if "entities" in row:
        return [(e["label"], e["start"], e["end"]) for e in row["entities"]]
    return row.get("labels", row.get("label"))


def compare(reference: Any, candidate: Any, texts: list[str], batch_size: int = 16) -> dict[str, Any]:
    """Max |logit difference| and the share of texts with the same prediction, candidate against reference.

    Both are :class:`~electralab.inference.predictor.Predictor` objects (PyTorch fp32, and the export).
    """
    expected, got = reference.logits(texts, batch_size=batch_size), candidate.logits(texts, batch_size=batch_size)
    predicted = reference.predict(texts, batch_size=batch_size), candidate.predict(texts, batch_size=batch_size)
    same = [_decision(a) == _decision(b) for a, b in zip(*predicted, strict=True)]
    return {
        "texts": len(texts),
        "max_abs_logit_diff": float(np.abs(expected - got).max()) if expected.size else 0.0,
        "prediction_agreement": round(100.0 * sum(same) / len(same), 2),
    }
