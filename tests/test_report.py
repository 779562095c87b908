import copy
import warnings

import pytest

from electralab.reports.html import write_report
from electralab.reports.plots import plot_confusion_matrix, plot_learning_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _split(accuracy: float) -> dict:
    return {
        "accuracy": accuracy,
        "f1_macro": 0.87654,
        "f1_micro": accuracy,
        "f1_weighted": 0.8811,
        "loss": 0.31234,
        "per_class": {
            "부정": {"precision": 0.91234, "recall": 0.85, "f1": 0.87912, "support": 50},
            "긍정": {"precision": 0.8421, "recall": 0.9, "f1": 0.87, "support": 40},
            "<neutral>": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 10},
        },
        "confusion_matrix": [[45, 5, 0], [4, 36, 0], [3, 4, 3]],
        "label_names": ["부정", "긍정", "<neutral>"],
        "prediction_distribution": {"부정": 52, "긍정": 45, "<neutral>": 3},
        "collapsed": False,
    }


@pytest.fixture
def metrics() -> dict:
    return {
        "run": {
            "model": "monologg/koelectra-small-v3-discriminator",
            "head": "cls",
            "task": "sequence_classification",
            "train_rows": 900,
            "dev_rows": 100,
            "test_rows": 300,
            "best_checkpoint": "runs/x/checkpoint-120",
            "train_seconds": 12.3456,
        },
        "dev": _split(0.9),
        "test": _split(0.8333333),
        "warnings": ["dev set is tiny & <noisy>"],
    }


@pytest.fixture
def log_history() -> list[dict]:
    history: list[dict] = []
    for step in range(10, 101, 10):
        history.append({"loss": 1.0 / step**0.5, "learning_rate": 5e-5, "epoch": step / 100, "step": step})
        if step % 50 == 0:
            history.append(
                {
                    "eval_loss": 0.4,
                    "eval_accuracy": 0.8 + step / 1000,
                    "eval_f1_macro": 0.75 + step / 1000,
                    "eval_runtime": 1.2,
                    "eval_samples_per_second": 80.0,
                    "eval_steps_per_second": 10.0,
                    "epoch": step / 100,
                    "step": step,
                }
            )
    history.append({"train_runtime": 12.3, "train_loss": 0.2, "epoch": 1.0, "step": 100})
    return history


@pytest.fixture
def wrong_examples() -> list[dict]:
    examples = [
        {
            "text": "정말 <b>최고</b>의 영화 & 배우",
            "label": "긍정",
            "predicted": "부정",
            "confidence": 0.98765,
        },
    ]
    examples += [
        {"text": f"example {i}", "label": "부정", "predicted": "긍정", "confidence": 0.9 - i / 100} for i in range(30)
    ]
    return examples


def _is_png(path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


def test_write_report_full(tmp_path, metrics, log_history, wrong_examples):
    run_dir = tmp_path / "run"
    report = write_report(run_dir, metrics, log_history, wrong_examples, title="My <run>")

    assert report == run_dir / "report.html"
    assert report.is_file()
    assert _is_png(run_dir / "learning_curves.png")
    assert _is_png(run_dir / "confusion_matrix.png")
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]

    text = report.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in text
    assert "My &lt;run&gt;" in text
    # Images embedded and also linked.
    assert text.count("data:image/png;base64,") == 3  # curves, test and dev confusion matrices
    assert _is_png(run_dir / "confusion_matrix_dev.png") and "Confusion matrix (dev)" in text
    assert 'href="learning_curves.png"' in text
    assert 'href="confusion_matrix.png"' in text
    # Warning box with escaped text.
    assert 'class="warnings"' in text
    assert "dev set is tiny &amp; &lt;noisy&gt;" in text
    # Per-class numbers formatted to 3 decimals, right-aligned; Korean and escaped labels.
    assert '<td class="num">0.912</td>' in text
    assert '<td class="num">0.879</td>' in text
    assert '<td class="num">0.333</td>' in text
    assert '<td class="num">50</td>' in text
    assert "부정" in text and "&lt;neutral&gt;" in text
    # Headline metrics for both splits.
    assert '<td class="num">0.833</td>' in text
    assert '<td class="num">0.900</td>' in text
    assert "Confusion matrix (test)" in text
    # Wrong examples: escaped HTML and Korean kept, capped at 20.
    assert "정말 &lt;b&gt;최고&lt;/b&gt;의 영화 &amp; 배우" in text
    assert "<b>최고</b>" not in text
    assert '<td class="num">0.988</td>' in text
    assert "example 18" in text
    assert "example 19" not in text
    assert "Showing 20 of 31." in text
    # Summary.
    assert "monologg/koelectra-small-v3-discriminator" in text
    assert '<td class="num">12.346</td>' in text


def test_write_report_without_test_split(tmp_path, metrics, log_history):
    metrics = copy.deepcopy(metrics)
    del metrics["test"]
    metrics["warnings"] = []
    report = write_report(tmp_path, metrics, log_history, [])

    text = report.read_text(encoding="utf-8")
    assert _is_png(tmp_path / "confusion_matrix.png")
    assert "Confusion matrix (dev)" in text
    assert 'class="warnings"' not in text
    assert "Most confidently wrong" not in text
    assert '<td class="num">0.912</td>' in text


def test_write_report_minimal(tmp_path):
    report = write_report(tmp_path / "a" / "b", {"run": {"model": "m"}}, [], [])
    text = report.read_text(encoding="utf-8")
    assert "<h1>electralab run report</h1>" in text
    assert not (tmp_path / "a" / "b" / "learning_curves.png").exists()
    assert not (tmp_path / "a" / "b" / "confusion_matrix.png").exists()


def test_write_report_overwrites(tmp_path, metrics):
    write_report(tmp_path, metrics, [], [], title="first")
    report = write_report(tmp_path, metrics, [], [], title="second")
    text = report.read_text(encoding="utf-8")
    assert "second" in text and "first" not in text


def test_plot_learning_curves_empty(tmp_path):
    assert plot_learning_curves([], tmp_path / "lc.png") is None
    assert plot_learning_curves([{"train_runtime": 1.0, "step": 3}], tmp_path / "lc.png") is None
    assert not (tmp_path / "lc.png").exists()


def test_plot_learning_curves_train_only(tmp_path):
    out = plot_learning_curves([{"loss": 0.5, "step": 1}, {"loss": 0.4, "step": 2}], tmp_path / "lc.png")
    assert out == tmp_path / "lc.png"
    assert _is_png(out)


def test_plot_confusion_matrix_korean_labels_no_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = plot_confusion_matrix([[3, 1], [0, 0]], ["부정", "긍정"], tmp_path / "cm.png")
    assert _is_png(out)
