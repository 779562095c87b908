"""Every kind of bad input ends in one clear line (exit status 2), naming what is wrong and what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import toy_rows, write_csv

from electralab.cli import main


def _train(capsys, toy_encoder, data_dir: Path, *overrides: str, model: str | None = None) -> str:
    code = main(
        [
            "train",
            "--model",
            model or str(toy_encoder),
            "--output-dir",
            str(data_dir / "runs"),
            f"data.data_dir={data_dir}",
            "data.train_file=train.csv",
            "train.max_steps=1",
            "train.report_to=[]",
            "train.progress_bar=false",
            *overrides,
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith("electralab: error: ")
    return err[-1]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    write_csv(tmp_path / "train.csv", toy_rows(60, seed=3))
    return tmp_path


def test_missing_column_names_file_and_columns(capsys, toy_encoder, data_dir):
    write_csv(data_dir / "train.csv", toy_rows(60, seed=3), header=("sentence", "label"))
    line = _train(capsys, toy_encoder, data_dir)
    assert "train.csv" in line and "'text'" in line and "sentence" in line and "data.text_column" in line
    assert not (data_dir / "runs").exists(), "no run folder is left behind by bad input"


def test_empty_file(capsys, toy_encoder, data_dir):
    (data_dir / "train.csv").write_text("", encoding="utf-8")
    line = _train(capsys, toy_encoder, data_dir)
    assert "train.csv" in line and "empty" in line


def test_undecodable_bytes_give_file_and_offset(capsys, toy_encoder, data_dir):
    raw = (data_dir / "train.csv").read_bytes()
    (data_dir / "train.csv").write_bytes(raw[:40] + b"\xff\xfe" + raw[40:])
    line = _train(capsys, toy_encoder, data_dir)
    assert "train.csv" in line and "byte offset 40" in line and "line 2" in line and "UTF-8" in line


def test_test_labels_unseen_in_train(capsys, toy_encoder, data_dir):
    write_csv(data_dir / "test.csv", [("w1 good", "positive"), ("w2 bad", "neutral")])
    line = _train(capsys, toy_encoder, data_dir, "data.test_file=test.csv")
    assert "test.csv" in line and "neutral" in line and "training data" in line


def test_empty_texts_are_counted_and_skipped_or_kept(capsys, toy_encoder, data_dir):
    rows = toy_rows(60, seed=3) + [("", "positive"), ("  ", "negative")]
    write_csv(data_dir / "train.csv", rows)
    for setting, word in (("skip", "skipped 2 empty"), ("keep", "kept 2 empty")):
        out = data_dir / f"runs-{setting}"
        assert (
            main(
                [
                    "train",
                    "--model",
                    str(toy_encoder),
                    "--output-dir",
                    str(out),
                    f"data.data_dir={data_dir}",
                    "data.train_file=train.csv",
                    "train.max_steps=1",
                    "train.report_to=[]",
                    "train.progress_bar=false",
                    f"data.empty_texts={setting}",
                ]
            )
            == 0
        )
        metrics = json.loads((next(out.iterdir()) / "metrics.json").read_text())
        assert any(word in note for note in metrics["notes"]), metrics["notes"]
        assert metrics["run"]["train_rows"] + metrics["run"]["dev_rows"] == (60 if setting == "skip" else 62)


def test_unknown_head(capsys, toy_encoder, data_dir):
    line = _train(capsys, toy_encoder, data_dir, "model.head=transformer")
    assert "unknown head 'transformer'" in line and "lstm" in line


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("train.learning_rate=-1e-3", ["train.learning_rate=-0.001", "> 0"]),
        ("train.learning_rate=0", ["train.learning_rate=0", "> 0"]),
        ("train.head_learning_rate=-1", ["train.head_learning_rate=-1", "> 0"]),
        ("data.max_train_rows=0", ["data.max_train_rows=0", ">= 1"]),
        ("model.head=transformer", ["unknown head", "'transformer'", "lstm"]),
    ],
)
def test_bad_settings_are_refused_before_any_model_is_loaded(capsys, data_dir, override, words):
    # The model folder does not exist: the config error must come first, before anything is loaded.
    line = _train(capsys, None, data_dir, override, model=str(data_dir / "no-such-model"))
    assert all(word in line for word in words), line
    assert "no-such-model" not in line
    assert not (data_dir / "runs").exists(), "no run folder is left behind by a bad setting"


def test_output_dir_that_is_a_file_is_refused_up_front(capsys, data_dir):
    (data_dir / "runs").write_text("not a folder", encoding="utf-8")
    line = _train(capsys, None, data_dir, model=str(data_dir / "no-such-model"))
    assert str(data_dir / "runs") in line and "is a file" in line and "--output-dir" in line
    assert (data_dir / "runs").read_text(encoding="utf-8") == "not a folder"


def test_unknown_config_key_suggests_the_right_one(capsys, toy_encoder, data_dir):
    line = _train(capsys, toy_encoder, data_dir, "train.epoch=2")
    assert "unknown config key train.epoch" in line and "train.epochs" in line


def test_contradictory_settings(capsys, toy_encoder, data_dir):
    line = _train(capsys, toy_encoder, data_dir, "train.freeze_embeddings=true", "train.freeze_word_embeddings=true")
    assert "freeze_embeddings" in line and "freeze_word_embeddings" in line


def test_string_false_is_not_true(capsys, toy_encoder, data_dir):
    line = _train(capsys, toy_encoder, data_dir, "train.tune_thresholds=nope")
    assert "train.tune_thresholds" in line and "true or false" in line


def test_unknown_batching_lists_the_choices(capsys, toy_encoder, data_dir):
    line = _train(capsys, toy_encoder, data_dir, "train.batching=sorted")
    assert "train.batching" in line and "length_buckets" in line and "group_by_length" in line


def test_model_folder_that_does_not_exist(capsys, toy_encoder, data_dir):
    line = _train(capsys, toy_encoder, data_dir, model=str(data_dir / "no-such-model"))
    assert "no-such-model" in line and "does not exist" in line


def test_unreachable_hub_id_says_pass_a_local_folder(tmp_path):
    write_csv(tmp_path / "train.csv", toy_rows(20, seed=3))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "electralab.cli",
            "train",
            "--model",
            "someone/not-cached-model",
            f"data.train_file={tmp_path / 'train.csv'}",
            f"output_dir={tmp_path / 'runs'}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 2
    last = out.stderr.strip().splitlines()[-1]
    assert "someone/not-cached-model" in last and "local folder" in last and "Traceback" not in out.stderr


def test_unknown_preset(capsys):
    assert main(["train", "--preset", "nsmcc", "--model", "x"]) == 2
    assert "unknown preset 'nsmcc'" in capsys.readouterr().err


def test_evaluate_on_a_folder_that_is_not_a_model(capsys, tmp_path):
    assert main(["evaluate", "--model", str(tmp_path), "--data", str(tmp_path / "x.txt")]) == 2
    assert "not a model folder" in capsys.readouterr().err
