"""`electralab check`: planted problems are found in exactly their numbers; train reports and drops them."""

from __future__ import annotations

import json

import pytest
from conftest import toy_rows, write_csv

from electralab.cli import main
from electralab.data.quality_report import check_splits

LONG = " ".join(["good"] * 40)  # 42 tokens with [CLS]/[SEP]: over data.max_length=16
TRAIN = [
    ("a good movie", "positive"),
    ("a good movie", "positive"),
    ("  a good movie ", "positive"),  # the same text once surrounding spaces are stripped
    ("A  Good Movie", "positive"),  # the same after normalising case and spaces
    ("mixed feelings", "positive"),
    ("mixed feelings", "negative"),  # conflicting labels
    ("", "negative"),
    ("   ", "negative"),  # whitespace only
    ("bad\x07 film", "negative"),  # a control character
    ("ì•ˆë…• 영화", "negative"),  # mojibake: UTF-8 read as Latin-1
    ("pаypal scam", "negative"),  # Cyrillic а inside a Latin word
    (LONG, "positive"),
    ("dull plot", "negative"),
]
TEST = [
    ("a good movie", "positive"),  # leaked (its text occurs in train)
    ("mixed feelings", "negative"),  # leaked, and conflicting with train's positive copy
    ("A GOOD movie", "positive"),  # leaked only after normalising
    ("a fine film", "positive"),
]


@pytest.fixture()
def planted(tmp_path):
    write_csv(tmp_path / "train.csv", TRAIN)
    write_csv(tmp_path / "test.csv", TEST)
    return tmp_path


def _check(planted, toy_encoder, out):
    code = main(
        ["check", "--data-dir", str(planted), "--model", str(toy_encoder), "--output-dir", str(out),
         "data.train_file=train.csv", "data.test_file=test.csv", "data.max_length=16"]
    )  # fmt: skip
    assert code == 0
    (folder,) = out.iterdir()
    return folder, json.loads((folder / "check.json").read_text(encoding="utf-8"))


def test_planted_problems_are_found_in_exactly_their_numbers(planted, toy_encoder, tmp_path):
    folder, report = _check(planted, toy_encoder, tmp_path / "out")
    assert report["splits"] == {"train": {"rows": 13, "empty": 2}, "test": {"rows": 4, "empty": 0}}
    train = report["duplicates"]["train"]
    assert (train["exact_rows"], train["exact_texts"], train["normalised_rows"]) == (3, 2, 4)
    assert train["examples"][0] == {"text": "a good movie", "copies": 3}
    leak = report["leakage"]["train->test"]
    assert (leak["rows"], leak["texts"], leak["normalised_rows"]) == (2, 2, 3)
    assert report["conflicts"]["train"]["texts"] == 1 and report["conflicts"]["train"]["rows"] == 2
    assert report["conflicts"]["train/test"]["examples"][0]["labels"] == {"positive": 1, "negative": 2}
    chars = report["characters"]["train"]
    assert (chars["control"], chars["mojibake"], chars["mixed_script_word"]) == (1, 1, 1)
    lengths = report["lengths"]["train"]
    assert lengths["truncated_rows"] == 1 and lengths["max"] == 42
    assert report["labels"]["train"]["counts"] == {"negative": 7, "positive": 6}
    assert any("test: 2 rows (50.0%; 2 distinct texts) also in train" in line for line in report["findings"])
    html = (folder / "check.html").read_text(encoding="utf-8")
    assert "Leakage between splits" in html and "a good movie" in html and (folder / "check_lengths.png").is_file()


def test_clean_data_has_no_findings(tmp_path, toy_encoder):
    write_csv(tmp_path / "train.csv", [(f"w{i} good", "positive") for i in range(5)] + [("bad", "negative")])
    write_csv(tmp_path / "test.csv", [("w9 bad", "negative")])
    _, report = _check(tmp_path, toy_encoder, tmp_path / "out")
    assert report["findings"] == []


def test_train_reports_the_checks_and_deduplicate_drops_leaked_rows(toy_encoder, tmp_path):
    rows = toy_rows(300, seed=3)
    write_csv(tmp_path / "train.csv", rows + rows[:20])  # 20 repeated rows
    write_csv(tmp_path / "test.csv", rows[:15] + toy_rows(45, seed=4))  # 15 test rows leaked from train
    overrides = ["data.train_file=train.csv", "data.test_file=test.csv", "train.epochs=1", "train.report_to=[]",
                 "train.progress_bar=false"]  # fmt: skip

    def metrics(out, *extra):
        flags = ["train", "--data-dir", str(tmp_path), "--model", str(toy_encoder), "--output-dir", str(tmp_path / out)]
        assert main([*flags, *overrides, *extra]) == 0
        (run_dir,) = (tmp_path / out).iterdir()
        return run_dir, json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))

    plain_dir, plain = metrics("plain")
    assert plain["test"]["rows"] == 60
    assert any(line.startswith("test: 15 rows") for line in plain["run"]["data_check"])  # leaked rows reported
    assert "Data checks" in (plain_dir / "report.html").read_text(encoding="utf-8")
    _, clean = metrics("clean", "data.deduplicate=both")
    assert clean["run"]["deduplicated"] == {"train": 20, "dev": 0, "test": 15}
    assert clean["test"]["rows"] == 45 and clean["run"]["train_rows"] + clean["run"]["dev_rows"] == 300
    assert not any("also in train" in line for line in clean["run"]["data_check"])


def test_check_splits_without_labels_counts_hashes_only():
    from datasets import Dataset

    report = check_splits({"train": Dataset.from_dict({"text": ["x", "x", "y"]})}, None, cheap=True)
    assert report["duplicates"]["train"]["exact_rows"] == 1 and "characters" not in report


def test_check_reads_tagged_data_through_its_task(tmp_path):
    from conftest import SHARED_DATA

    out = tmp_path / "out"
    code = main(["check", "--preset", "klue_ner", "--data-dir", str(SHARED_DATA / "klue_ner"), "--output-dir", str(out),
                 "data.max_train_rows=300"])  # fmt: skip
    assert code == 0
    (folder,) = out.iterdir()
    report = json.loads((folder / "check.json").read_text(encoding="utf-8"))
    assert report["splits"]["train"]["rows"] == 300  # the file as it is: nothing carved
    assert report["labels"]["train"]["counts"]["O"] > report["labels"]["train"]["counts"]["B-PS"] > 0


def test_tag_sequences_conflict_by_order_and_training_notes_them(tmp_path, toy_encoder, capsys):
    from datasets import Dataset

    words = {"text": ["kim met lee"] * 2, "tags": [["B-PER", "O", "O"], ["O", "O", "B-PER"]]}
    report = check_splits({"train": Dataset.from_dict(words)}, "tags", cheap=True)
    assert report["conflicts"]["train"]["texts"] == 1  # the same tags in another order: a conflict
    same = {"text": ["kim met lee"] * 2, "tags": [["B-PER", "O", "O"]] * 2}
    assert check_splits({"train": Dataset.from_dict(same)}, "tags", cheap=True)["conflicts"]["train"]["texts"] == 0

    data = tmp_path / "data"
    data.mkdir()
    sentence = "-DOCSTART- -X- -X- O\n\nkim X X B-PER\nmet X X O\n\n"
    (data / "train.txt").write_text(sentence + "lee X X B-PER\nmet X X O\n\nkim X X O\nmet X X O\n\n", encoding="utf-8")
    (data / "valid.txt").write_text(sentence, encoding="utf-8")  # all of dev repeats train
    (data / "test.txt").write_text(sentence + "park X X B-PER\n\n", encoding="utf-8")
    train = ["--preset", "conll2003", "--data-dir", str(data), "--model", str(toy_encoder), "train.epochs=1",
             "train.report_to=[]"]  # fmt: skip
    assert main(["train", "--output-dir", str(tmp_path / "out"), *train]) == 0
    (run,) = (tmp_path / "out").iterdir()
    found = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["run"]["data_check"]
    assert "train: 1 text appears with different labels (2 rows)" in found
    assert any(line.startswith("test: 1 row (50.0%; 1 distinct text) also in train") for line in found)
    assert main(["train", "--output-dir", str(tmp_path / "dedup"), *train, "data.deduplicate=both"]) == 2
    assert "dev: no sentences left after data.deduplicate=both (all 1 repeat train)" in capsys.readouterr().err
    (data / "valid.txt").write_text(sentence + "choi X X B-PER\n\n", encoding="utf-8")
    assert main(["train", "--output-dir", str(tmp_path / "dedup"), *train, "data.deduplicate=both"]) == 0
    (run,) = (tmp_path / "dedup").iterdir()
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["test"]["rows"] == 1 and metrics["dev"]["rows"] == 1
    assert not any("leakage" in line for line in metrics["run"].get("data_check", []))
