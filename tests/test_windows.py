"""Long documents as sliding windows: cutting, aggregation, and a task only windows can learn."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from conftest import FILLER, NEGATIVE, POSITIVE, write_csv
from transformers import AutoTokenizer

from electralab.config import build_config
from electralab.data.windows import WindowSettings, aggregate_windows, first_per_document, tokenize_windows
from electralab.errors import ConfigError
from electralab.inference.predictor import Predictor
from electralab.training.recipe import run_training


def test_windows_cover_the_text_with_the_configured_overlap(toy_encoder):
    tokenizer = AutoTokenizer.from_pretrained(toy_encoder)
    texts = [" ".join(FILLER[i % 40] for i in range(70)), "good w1", " ".join(FILLER[:20])]
    encoded, doc_ids = tokenize_windows(tokenizer, texts, max_length=16, settings=WindowSettings(stride=4))
    bodies = [ids[1:-1] for ids in encoded["input_ids"]]  # without [CLS]/[SEP]
    assert all(len(ids) <= 16 for ids in encoded["input_ids"])
    # 70 tokens in windows of 14 new+shared tokens, 4 shared: 14, then 10 new each -> 7 windows.
    assert doc_ids == [0] * 7 + [1] + [2, 2]
    first = [b for b, d in zip(bodies, doc_ids, strict=True) if d == 0]
    for left, right in zip(first, first[1:], strict=False):
        assert left[-4:] == right[:4]
    rebuilt = first[0] + [t for b in first[1:] for t in b[4:]]
    assert rebuilt == tokenizer(texts[0], add_special_tokens=False)["input_ids"]

    capped, capped_ids = tokenize_windows(tokenizer, texts, 16, WindowSettings(stride=4, max_windows=2))
    assert capped_ids == [0, 0, 1, 2, 2]
    assert capped["input_ids"][:2] == encoded["input_ids"][:2]


def test_aggregations_match_hand_computed_values():
    logits = np.array([[1.0, 0.0], [3.0, -2.0], [0.5, 0.5], [-1.0, 4.0]], dtype=np.float32)
    doc_ids = [0, 0, 1, 1]
    np.testing.assert_allclose(aggregate_windows(logits, doc_ids, 2, "mean"), [[2.0, -1.0], [-0.25, 2.25]])
    np.testing.assert_allclose(aggregate_windows(logits, doc_ids, 2, "max"), [[3.0, 0.0], [0.5, 4.0]])
    np.testing.assert_allclose(aggregate_windows(logits, doc_ids, 2, "first"), [[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_array_equal(first_per_document(np.array([7, 7, 3, 3]), doc_ids), [7, 3])
    with pytest.raises(ValueError, match="no window"):
        aggregate_windows(logits, [0, 0, 2, 2], 3, "mean")


def _tail_rows(n: int, seed: int) -> list[tuple[str, str]]:
    """The sentiment word comes after 40 filler words: beyond a 32-token truncation, inside the last window."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.choice(["positive", "negative"])
        words = rng.choices(FILLER, k=40) + [rng.choice(POSITIVE if label == "positive" else NEGATIVE)]
        rows.append((" ".join(words), label))
    return rows


def _train(toy_encoder, folder, out, long_documents: str):
    config = build_config(
        overrides=[
            f"data.train_file={folder / 'train.csv'}",
            f"data.test_file={folder / 'test.csv'}",
            "data.max_length=32",
            f"data.long_documents={long_documents}",
            "data.window_stride=8",
            "data.window_aggregation=max",
            f"model.name_or_path={toy_encoder}",
            "model.head=max",
            "train.epochs=4",
            "train.learning_rate=3e-3",
            "train.batch_size=16",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={out}",
        ]
    )
    return run_training(config, run_name=long_documents)


def test_only_windows_see_the_end_of_long_texts(toy_encoder, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "train.csv", _tail_rows(320, seed=1))
    write_csv(folder / "test.csv", _tail_rows(120, seed=2))
    truncated = _train(toy_encoder, folder, tmp_path / "runs", "truncate")
    windows = _train(toy_encoder, folder, tmp_path / "runs", "windows")

    assert truncated.metrics["test"]["accuracy"] < 0.65  # the label word was cut off
    assert windows.metrics["test"]["accuracy"] > 0.9
    assert windows.metrics["test"]["rows"] == 120  # one row per document, not per window
    history = json.loads((windows.run_dir / "log_history.json").read_text())
    dev_rows = {entry["eval_rows"] for entry in history if "eval_rows" in entry}
    assert dev_rows == {windows.metrics["dev"]["rows"]} == {32}  # 10% of 320 texts carved as dev, scored per text
    assert windows.metrics["run"]["dev_rows"] == 2 * 32  # 41 tokens: two windows of <= 30 + [CLS]/[SEP]
    assert any("windows" in note for note in windows.metrics["notes"])

    # The saved model cuts windows by itself: prediction reproduces the test accuracy.
    predictor = Predictor.from_folder(windows.model_dir)
    assert predictor.windows == WindowSettings(stride=8, aggregation="max")
    test_rows = _tail_rows(120, seed=2)
    predicted = [row["label"] for row in predictor.predict([text for text, _ in test_rows])]
    accuracy = np.mean([p == label for p, (_, label) in zip(predicted, test_rows, strict=True)])
    assert accuracy == pytest.approx(windows.metrics["test"]["accuracy"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.window_stride=100", "window_stride=100"),
        ("data.max_windows=0", "max_windows=0"),
        ("data.text_pair_column=b", "text_pair_column"),
    ],
)
def test_bad_window_settings_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        build_config(overrides=["data.long_documents=windows", "data.max_length=128", override])
