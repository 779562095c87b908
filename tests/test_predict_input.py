"""``predict`` keeps one record per input line and refuses a model whose head was never trained."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from transformers import AutoModelForSequenceClassification

from electralab import api
from electralab.cli import main
from electralab.config import build_config
from electralab.training.recipe import run_training

LINES = ["good w1 w2", "", "bad w3", "   ", "w4 great"]  # 5 lines, 2 of them blank


@pytest.fixture(scope="module")
def model_dir(toy_encoder, toy_data, tmp_path_factory) -> Path:
    config = build_config(
        overrides=[
            f"model.name_or_path={toy_encoder}",
            f"data.data_dir={toy_data}",
            "data.train_file=train.csv",
            "data.max_length=32",
            "train.max_steps=4",
            "train.eval_strategy='no'",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={tmp_path_factory.mktemp('runs')}",
        ]
    )
    return run_training(config).outputs["model"]


def _assert_one_record_per_line(records: list[dict]) -> None:
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert [r["text"] for r in records] == LINES
    for record, text in zip(records, LINES, strict=True):
        if text.strip():
            assert "skipped" not in record and record["label"] in ("negative", "positive")
        else:
            assert record == {"line": record["line"], "text": text, "skipped": "blank line"}


def test_predict_keeps_blank_lines_of_a_file(model_dir, tmp_path):
    source, target = tmp_path / "in.txt", tmp_path / "out.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["predict", "--model", str(model_dir), "--input", str(source), "--output", str(target)]) == 0
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    _assert_one_record_per_line(records)
    assert api.predict_file(model_dir, source, tmp_path / "api.jsonl") == 5
    assert [json.loads(line) for line in (tmp_path / "api.jsonl").read_text(encoding="utf-8").splitlines()] == records
    # A prediction is the same with or without the blank lines around it.
    alone = api.predict(model_dir, ["bad w3"])[0]
    assert records[2]["probabilities"] == alone["probabilities"]


def test_predict_keeps_blank_lines_of_stdin(model_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\r\n".join(LINES) + "\r\n"))
    assert main(["predict", "--model", str(model_dir)]) == 0
    _assert_one_record_per_line([json.loads(line) for line in capsys.readouterr().out.splitlines()])


def test_predict_numbers_table_rows_and_marks_empty_texts(model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["good w1", "", "bad w2"]), encoding="utf-8")
    assert main(["predict", "--model", str(model_dir), "--input", str(source)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["row"] for r in records] == [1, 2, 3]
    assert records[1] == {"row": 2, "text": "", "skipped": "empty text"} and "label" in records[2]


def test_predict_refuses_an_encoder_without_a_trained_head(toy_encoder, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("good w1\n", encoding="utf-8")
    assert main(["predict", "--model", str(toy_encoder), "--input", str(source)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("electralab: error: ") and str(toy_encoder) in line
    assert "no trained head" in line and "model/" in line and "--force" in line
    with pytest.raises(api.ModelLoadError, match="no trained head"):
        api.load_model(toy_encoder)
    assert main(["predict", "--model", str(toy_encoder), "--input", str(source), "--force"]) == 0
    assert "label" in json.loads(capsys.readouterr().out.splitlines()[0])
    assert api.load_model(toy_encoder, force=True).label_names == ["LABEL_0", "LABEL_1"]


def test_a_fine_tuned_folder_without_electralab_markers_is_accepted(toy_encoder, tmp_path):
    # A Hugging Face classifier whose every weight is in the folder (e.g. a fine-tuned hub model) loads.
    folder = tmp_path / "hf-classifier"
    AutoModelForSequenceClassification.from_pretrained(toy_encoder, num_labels=3).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (toy_encoder / name).is_file():
            (folder / name).write_bytes((toy_encoder / name).read_bytes())
    assert len(api.load_model(folder).label_names) == 3


def test_final_scores_are_the_saved_models_with_dropout_off(toy_encoder, toy_data, tmp_path):
    """Without dev evaluation the Trainer ends in training mode; the run's test predictions must still be the
    model's own (dropout off), i.e. equal to predicting with the saved model."""
    config = build_config(
        overrides=[
            f"model.name_or_path={toy_encoder}", f"data.data_dir={toy_data}", "data.train_file=train.csv",
            "data.test_file=test.csv", "data.max_test_rows=40", "data.max_length=32", "train.max_steps=4",
            "train.eval_strategy=no", "train.report_to=[]", "train.progress_bar=false", f"output_dir={tmp_path}",
        ]
    )  # fmt: skip
    result = run_training(config)
    rows = [json.loads(line) for line in (result.run_dir / "predictions" / "test.jsonl").read_text().splitlines()]
    again = api.predict(result.outputs["model"], [row["text"] for row in rows])
    assert len(rows) == 40
    for row, predicted in zip(rows, again, strict=True):
        for label, probability in row["probabilities"].items():
            assert abs(probability - predicted["probabilities"][label]) < 1e-5


def test_a_missing_input_file_is_named_before_any_model_is_loaded(tmp_path):
    from electralab.errors import DataError

    missing = tmp_path / "nowhere.txt"
    # the model folder does not exist either: the input's error must come first (no seconds lost loading a model)
    with pytest.raises(DataError, match=r"nowhere\.txt: input file not found; pass a \.txt file"):
        api.predict_file(tmp_path / "no-model", missing, tmp_path / "out.jsonl")
    with pytest.raises(DataError, match="input file is a directory"):
        api.predict_file(tmp_path / "no-model", tmp_path, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
