"""The real CLI end to end: train on NSMC rows, evaluate, predict; every preset loads and trains."""

from __future__ import annotations

import csv
import io
import json
import lzma
from pathlib import Path

import pytest
import yaml
from conftest import SHARED_DATA

from electralab.cli import main
from electralab.config import PRESET_DIR, preset_names


def _run_dir(out: Path) -> Path:
    (run_dir,) = list(out.iterdir())
    return run_dir


def _nsmc_sample(path: Path, rows: int) -> Path:
    with (SHARED_DATA / "nsmc" / "ratings_test.txt").open(encoding="utf-8") as handle:
        path.write_text("".join(line for _, line in zip(range(rows + 1), handle, strict=False)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nsmc_run(korean_encoder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nsmc-run")
    code = main(
        [
            "train",
            "--preset",
            "nsmc",
            "--data-dir",
            str(SHARED_DATA / "nsmc"),
            "--model",
            str(korean_encoder),
            "--head",
            "cnn",
            "--output-dir",
            str(out),
            "data.max_train_rows=300",
            "data.max_test_rows=100",
            "train.epochs=1",
            "train.batch_size=16",
            "train.learning_rate=1e-3",
            "train.progress_bar=false",
            "model.cnn_filters=16",
        ]
    )
    assert code == 0
    return _run_dir(out)


def test_train_writes_model_metrics_and_report(nsmc_run):
    assert nsmc_run.name.startswith("nsmc-")
    model_files = sorted(p.name for p in (nsmc_run / "model").iterdir())
    for name in (
        "config.json",
        "model.safetensors",
        "run_config.yaml",
        "tokenizer.json",
        "tokenizer_config.json",
    ):
        assert name in model_files
    metrics = json.loads((nsmc_run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["run"]["train_rows"] == 270 and metrics["run"]["dev_rows"] == 30
    assert metrics["test"]["rows"] == 100
    assert sum(metrics["test"]["prediction_distribution"].values()) == 100
    assert metrics["test"]["label_names"] == ["negative", "positive"]
    assert sum(map(sum, metrics["test"]["confusion_matrix"])) == 100
    html = (nsmc_run / "report.html").read_text(encoding="utf-8")
    assert "confusion" in html.lower() and f"{metrics['test']['accuracy']:.3f}" in html
    assert list((nsmc_run / "tensorboard").glob("events.out.tfevents.*")), "TensorBoard is on by default"
    resolved = yaml.safe_load((nsmc_run / "run_config.yaml").read_text(encoding="utf-8"))
    assert resolved["model"]["head"] == "cnn" and resolved["data"]["format"] == "nsmc"


def test_evaluate_matches_the_training_report(nsmc_run, tmp_path, capsys):
    sample = _nsmc_sample(tmp_path / "test100.txt", 100)
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--model", str(nsmc_run / "model"), "--data", str(sample), "--output", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    metrics = json.loads((nsmc_run / "metrics.json").read_text(encoding="utf-8"))
    assert printed["rows"] == 100
    assert printed["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert json.loads(out.read_text())["loss"] == pytest.approx(metrics["test"]["loss"], rel=1e-5)


def test_predict_stdin_to_stdout_and_file_to_file(nsmc_run, tmp_path, capsys, monkeypatch):
    texts = ["정말 재밌어요 최고", "지루하고 별로였다", "그냥 그래요"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(texts) + "\n"))
    assert main(["predict", "--model", str(nsmc_run / "model")]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == texts
    for row in rows:
        assert row["label"] in ("negative", "positive")
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert row["score"] == max(row["probabilities"].values())
    source = tmp_path / "reviews.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    target = tmp_path / "preds.jsonl"
    assert main(["predict", "--model", str(nsmc_run / "model"), "--input", str(source), "--output", str(target)]) == 0
    assert [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] == rows


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_evaluate_in_lower_precision_stays_close(nsmc_run, tmp_path, capsys, precision):
    from electralab.engine.device import cpu_has_bf16

    if precision == "bf16" and not cpu_has_bf16():
        pytest.skip("this CPU has no bf16 support")
    sample = _nsmc_sample(tmp_path / "test100.txt", 100)
    model = str(nsmc_run / "model")
    assert main(["evaluate", "--model", model, "--data", str(sample)]) == 0
    fp32 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["evaluate", "--model", model, "--data", str(sample), "--precision", precision]) == 0
    low = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert low["rows"] == 100 and low["loss"] != fp32["loss"], "the lower precision really ran"
    assert abs(low["accuracy"] - fp32["accuracy"]) <= 0.05 and low["loss"] == pytest.approx(fp32["loss"], rel=0.1)


PRESET_DATA = {
    "nsmc": "nsmc",
    "ynat": "klue_ynat",
    "imdb": "imdb",
    "sst2": "sst2",
    "unsmile": "korean_unsmile",
    "conll2003": "conll2003",
    "klue_ner": "klue_ner",
    "korquad": "korquad_v1",
}


def test_every_preset_is_covered():
    assert preset_names() == sorted(PRESET_DATA)
    assert len(list(PRESET_DIR.glob("*.yaml"))) == 8


def _imdb_mixed(folder: Path) -> Path:
    """IMDB's files are sorted by label: write small files in the same format with both labels."""
    folder.mkdir()
    for name in ("train.csv.xz", "test.csv.xz"):
        with lzma.open(SHARED_DATA / "imdb" / name, "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        with lzma.open(folder / name, "wt", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([rows[0], *rows[1:61], *rows[-60:]])
    return folder


@pytest.mark.parametrize("preset", sorted(PRESET_DATA))
def test_preset_trains_through_the_cli(preset, korean_encoder, toy_encoder, tmp_path):
    encoder = korean_encoder if preset in ("nsmc", "ynat", "unsmile", "klue_ner", "korquad") else toy_encoder
    windows = ["data.max_length=128", "data.doc_stride=32"] if preset == "korquad" else []  # questions + context
    data_dir = _imdb_mixed(tmp_path / "imdb") if preset == "imdb" else SHARED_DATA / PRESET_DATA[preset]
    code = main(
        [
            "train",
            "--preset",
            preset,
            "--data-dir",
            str(data_dir),
            "--model",
            str(encoder),
            "--output-dir",
            str(tmp_path / "runs"),
            "data.max_train_rows=120",
            "data.max_dev_rows=20",
            "data.max_test_rows=20",
            "data.max_length=64",
            "train.max_steps=2",
            "train.batch_size=8",
            "train.report_to=[]",
            "train.progress_bar=false",
            *windows,
        ]
    )
    assert code == 0
    run_dir = _run_dir(tmp_path / "runs")
    preset_values = yaml.safe_load((PRESET_DIR / f"{preset}.yaml").read_text(encoding="utf-8"))
    resolved = yaml.safe_load((run_dir / "run_config.yaml").read_text(encoding="utf-8"))
    assert resolved["data"]["format"] == preset_values["data"]["format"]
    assert resolved["train"]["learning_rate"] == preset_values["train"]["learning_rate"]
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["run"]["global_step"] == 2
    assert metrics["test"]["rows"] == (24 if preset == "klue_ner" else 20)  # klue_ner carves 20% of 120 as test
