"""Multi-label classification: losses and thresholds by hand, metrics, and the CLI end to end."""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import FILLER

from electralab.cli import main
from electralab.metrics.multilabel import full_report, is_prior_collapse
from electralab.metrics.thresholds import tune_thresholds
from electralab.models.losses import build_loss, resolve_loss_name

KEYWORDS = {"sports": "good", "politics": "bad", "science": "great"}


def test_bce_with_pos_weight_by_hand():
    logits = torch.tensor([[0.0, 2.0]])
    targets = torch.tensor([[1.0, 0.0]])
    log_sig = [math.log(0.5), math.log(1 / (1 + math.exp(-2.0)))]
    plain = -(log_sig[0] + math.log(1 - math.exp(log_sig[1]))) / 2
    assert build_loss("bce")(logits, targets).item() == pytest.approx(plain, rel=1e-6)
    weighted = -(3.0 * log_sig[0] + math.log(1 - math.exp(log_sig[1]))) / 2
    assert build_loss("bce", pos_weight=[3.0, 5.0])(logits, targets).item() == pytest.approx(weighted, rel=1e-6)


def test_multilabel_focal_by_hand():
    logits = torch.tensor([[0.0, 2.0]])
    targets = torch.tensor([[1.0, 0.0]])
    p_t = [0.5, 1 - 1 / (1 + math.exp(-2.0))]  # probability of the right answer per label
    terms = [-((1 - p) ** 2) * math.log(p) for p in p_t]
    loss = build_loss("focal", problem_type="multi_label_classification", focal_gamma=2.0)
    assert loss(logits, targets).item() == pytest.approx(sum(terms) / 2, rel=1e-6)
    alpha = build_loss("focal", problem_type="multi_label_classification", focal_alpha=0.25)
    assert alpha(logits, targets).item() == pytest.approx((0.25 * terms[0] + 0.75 * terms[1]) / 2, rel=1e-6)


def test_loss_names_fit_the_task():
    assert resolve_loss_name("auto", "multi_label_classification") == "bce"
    assert resolve_loss_name("auto", "single_label_classification") == "cross_entropy"
    with pytest.raises(Exception, match="does not fit a multi-label task"):
        resolve_loss_name("cross_entropy", "multi_label_classification")


def test_thresholds_maximise_each_labels_f1():
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [0, 1], [0, 0]])
    probabilities = np.array([[0.30, 0.9], [0.35, 0.2], [0.10, 0.8], [0.20, 0.1], [0.05, 0.7], [0.15, 0.6]])
    thresholds, tuned = tune_thresholds(truth, probabilities, default=0.5, min_positives=2)
    assert tuned == [True, True]
    assert 0.20 < thresholds[0] <= 0.30  # separates 0.30/0.35 from 0.20: F1 = 1
    assert 0.61 <= thresholds[1] <= 0.70  # 0.7/0.8 positive, 0.6 negative; 0.9 is a false positive either way
    low, tuned = tune_thresholds(truth, probabilities, default=0.4, min_positives=3)
    assert low == [0.4, 0.4] and tuned == [False, False]


def test_full_report_matches_sklearn_and_detects_prior_collapse():
    from sklearn.metrics import f1_score, hamming_loss

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, size=(50, 3))
    probabilities = np.clip(truth * 0.6 + rng.random((50, 3)) * 0.5, 0, 1)
    report = full_report(truth, probabilities, [0.5, 0.6, 0.7], ["a", "b", "c"], 0.5)
    predicted = probabilities >= np.array([0.5, 0.6, 0.7])
    assert report["f1_micro"] == pytest.approx(f1_score(truth, predicted, average="micro"))
    assert report["f1_samples"] == pytest.approx(f1_score(truth, predicted, average="samples", zero_division=0))
    assert report["hamming_loss"] == pytest.approx(hamming_loss(truth, predicted))
    assert report["f1_macro_at_0.5"] == pytest.approx(f1_score(truth, probabilities >= 0.5, average="macro"))
    assert report["per_class"]["c"]["threshold"] == 0.7 and report["per_class"]["a"]["roc_auc"] > 0.9
    assert not report["collapsed"]
    priors = np.tile([0.1, 0.3, 0.05], (50, 1)) + rng.normal(0, 1e-4, (50, 3))
    assert is_prior_collapse(priors)


def _rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        labels = [name for name in KEYWORDS if rng.random() < 0.4]
        words = rng.choices(FILLER, k=rng.randint(3, 10)) + [KEYWORDS[name] for name in labels]
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "labels": labels or ["none"]})
    return rows


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_multilabel_cli_end_to_end(toy_encoder, tmp_path, capsys, monkeypatch):
    _write_jsonl(tmp_path / "train.jsonl", _rows(600, seed=1))
    _write_jsonl(tmp_path / "test.jsonl", _rows(150, seed=2))
    out = tmp_path / "runs"
    assert (
        main(
            [
                "train",
                "--model",
                str(toy_encoder),
                "--head",
                "mean",
                "--output-dir",
                str(out),
                "task=multi_label_classification",
                f"data.data_dir={tmp_path}",
                "data.train_file=train.jsonl",
                "data.test_file=test.jsonl",
                "data.label_column=labels",
                "data.none_label=none",
                "train.epochs=8",
                "train.learning_rate=2e-3",
                "train.batch_size=16",
                "train.report_to=[]",
                "train.progress_bar=false",
                "train.metric_for_best=f1_micro",
                "data.dev_fraction=0.2",
            ]
        )
        == 0
    )
    run_dir = next(out.iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["f1_micro"] >= 0.9, metrics["test"]
    assert metrics["test"]["label_names"] == ["none", "politics", "science", "sports"]
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert len(config["label_thresholds"]) == 4
    assert [metrics["test"]["per_class"][n]["threshold"] for n in metrics["test"]["label_names"]] == config[
        "label_thresholds"
    ]
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "threshold" in html.lower()
    rows = [json.loads(line) for line in (run_dir / "predictions" / "test.jsonl").read_text().splitlines()]
    assert len(rows) == metrics["test"]["rows"] == 150
    exact = sum(set(r["gold"]) == set(r["predicted"]) for r in rows) / len(rows)
    assert exact == pytest.approx(metrics["test"]["exact_match"])

    capsys.readouterr()
    assert main(["evaluate", "--model", str(run_dir / "model"), "--data", str(tmp_path / "test.jsonl")]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["f1_micro"] == pytest.approx(metrics["test"]["f1_micro"])

    monkeypatch.setattr("sys.stdin", io.StringIO("w1 good w2 bad\nw3 w4 w5\n"))
    assert main(["predict", "--model", str(run_dir / "model")]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert sorted(first["labels"]) == ["politics", "sports"]
    assert second["labels"] == ["none"]
    assert set(first["probabilities"]) == {"none", "politics", "science", "sports"}


def _write_multi_hot(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("text\ta\tb\tc\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _train_multi_hot(tmp_path: Path, toy_encoder: Path, *extra: str) -> int:
    return main(
        [
            "train",
            "--model",
            str(toy_encoder),
            "--output-dir",
            str(tmp_path / "runs"),
            "task=multi_label_classification",
            f"data.data_dir={tmp_path}",
            "data.train_file=train.tsv",
            "data.label_columns=[a,b,c]",
            "train.max_steps=1",
            "train.report_to=[]",
            "train.progress_bar=false",
            "train.metric_for_best=loss",
            *extra,
        ]
    )


def test_never_positive_label_and_rows_without_labels_warn_but_train(toy_encoder, tmp_path):
    rows = [("w1 good", "1", "0", "0"), ("w2 bad", "0", "1", "0"), ("w3", "0", "0", "0")] * 10
    _write_multi_hot(tmp_path / "train.tsv", rows)
    assert _train_multi_hot(tmp_path, toy_encoder) == 0
    warnings = json.loads((next((tmp_path / "runs").iterdir()) / "metrics.json").read_text())["warnings"]
    assert any("'c'" in w and "never positive" in w for w in warnings), warnings
    assert any("have no label" in w and "data.none_label" in w for w in warnings), warnings


def test_bad_multi_hot_cell_and_missing_test_column(toy_encoder, tmp_path, capsys):
    _write_multi_hot(tmp_path / "train.tsv", [("w1 good", "1", "0", "2")] + [("w2", "0", "1", "0")] * 5)
    assert _train_multi_hot(tmp_path, toy_encoder) == 2
    err = capsys.readouterr().err
    assert "train.tsv" in err and "line 2" in err and "'c'" in err and "expected 0 or 1, got '2'" in err
    _write_multi_hot(tmp_path / "train.tsv", [("w1 good", "1", "0", "1"), ("w2", "0", "1", "0")] * 5)
    (tmp_path / "test.tsv").write_text("text\ta\tb\nw1\t1\t0\n", encoding="utf-8")
    assert _train_multi_hot(tmp_path, toy_encoder, "data.test_file=test.tsv") == 2
    err = capsys.readouterr().err
    assert "test.tsv" in err and "['c'] not found" in err
