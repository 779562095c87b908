"""Multi-label reader: the three label encodings, the multi-hot matrix, checks, errors, Korean UnSmile."""

from __future__ import annotations

import gzip
import json
import lzma
from pathlib import Path

import numpy as np
import pytest

from electralab.data.multilabel import (
    check_multilabel_names_seen,
    label_matrix,
    multilabel_checks,
    read_multilabel_split,
)
from electralab.errors import DataError

UNSMILE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "korean_unsmile"
UNSMILE_LABELS = [
    "여성/가족",
    "남성",
    "성소수자",
    "인종/국적",
    "연령",
    "지역",
    "종교",
    "기타 혐오",
    "악플/욕설",
    "clean",
]


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _rows(dataset) -> list[tuple[str, list[str]]]:
    return list(zip(dataset["text"][:], dataset["labels"][:], strict=True))


def _error(match_parts: list[str], func, *args, **kwargs) -> str:
    with pytest.raises(DataError) as err:
        func(*args, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    for part in match_parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


# ------------------------------------------------------------------------------------------ multi-hot


def test_multi_hot_tsv(tmp_path):
    path = _write(
        tmp_path / "train.tsv",
        "문장\t남성\tclean\textra\n좋은 말\t0\t1\tx\n\n나쁜 말\t1\t0\ty\n\t0\t0\tz\n둘 다\t1\t 1 \tw",
    )
    dataset, names = read_multilabel_split(path, text_column="문장", label_columns=["clean", "남성"])
    assert names == ["clean", "남성"]
    assert dataset.column_names == ["text", "labels"]
    assert _rows(dataset) == [("좋은 말", ["clean"]), ("나쁜 말", ["남성"]), ("", []), ("둘 다", ["clean", "남성"])]
    assert label_matrix(dataset, names).tolist() == [[1, 0], [0, 1], [0, 0], [1, 1]]


def test_multi_hot_jsonl_and_json_array(tmp_path):
    lines = [{"text": "a", "x": 1, "y": "0"}, {"text": "b", "x": "1", "y": 1}, {"text": None, "x": 0, "y": 0}]
    jsonl = _write(tmp_path / "d.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n\n")
    array = _write(tmp_path / "d.json", json.dumps(lines, indent=1))
    for path in (jsonl, array):
        dataset, names = read_multilabel_split(path, label_columns=["x", "y"])
        assert names == ["x", "y"]
        assert _rows(dataset) == [("a", ["x"]), ("b", ["x", "y"]), ("", [])]


def test_multi_hot_without_labels_when_not_required(tmp_path):
    path = _write(tmp_path / "input.csv", "text,other\nhello,1\n,2\n")
    dataset, names = read_multilabel_split(path, label_columns=["x", "y"], require_label=False)
    assert dataset.column_names == ["text"] and dataset["text"][:] == ["hello", ""] and names == []


def test_max_rows_stops_early(tmp_path):
    path = _write(tmp_path / "d.csv", "text,x\na,1\nb,0\nc,7\n")
    dataset, _ = read_multilabel_split(path, label_columns=["x"], max_rows=2)
    assert _rows(dataset) == [("a", ["x"]), ("b", [])]
    with pytest.raises(ValueError, match="max_rows"):
        read_multilabel_split(path, label_columns=["x"], max_rows=0)


# ------------------------------------------------------------------------------------- list / delimited


def test_json_list_column(tmp_path):
    rows = [
        {"text": "one", "labels": ["sports", "politics"]},
        {"text": "two", "labels": []},
        {"text": "three", "labels": [" science ", "", "science"]},
    ]
    path = _write(tmp_path / "train.jsonl", "\n".join(json.dumps(r) for r in rows))
    dataset, names = read_multilabel_split(path)
    assert names == ["politics", "science", "sports"]
    assert _rows(dataset) == [("one", ["sports", "politics"]), ("two", []), ("three", ["science"])]
    assert label_matrix(dataset, names).tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert label_matrix(dataset, names).dtype == np.float32


def test_delimited_string_csv_tsv_and_compressed(tmp_path):
    text = "text,tags\nx,a|b\ny,\nz, b | | c \n"
    plain = _write(tmp_path / "d.csv", text)
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    xz = tmp_path / "d.tsv.xz"
    xz.write_bytes(lzma.compress(text.replace(",", "\t").encode("utf-8")))
    for path in (plain, gz, xz):
        dataset, names = read_multilabel_split(path, label_column="tags", label_delimiter="|")
        assert names == ["a", "b", "c"]
        assert _rows(dataset) == [("x", ["a", "b"]), ("y", []), ("z", ["b", "c"])]


def test_delimited_string_in_jsonl(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "x", "labels": "a;b"}\n{"text": "y", "labels": ["c"]}\n')
    dataset, names = read_multilabel_split(path, label_delimiter=";")
    assert names == ["a", "b", "c"] and _rows(dataset) == [("x", ["a", "b"]), ("y", ["c"])]


def test_list_format_without_labels_when_not_required(tmp_path):
    path = _write(tmp_path / "in.jsonl", '{"text": "x"}\n{"text": "y", "labels": ["a"]}\n')
    dataset, names = read_multilabel_split(path, require_label=False)
    assert dataset.column_names == ["text"] and names == []


# ------------------------------------------------------------------------------------------ checks


def test_label_matrix_rejects_unknown_label(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "x", "labels": ["a", "zzz"]}\n')
    dataset, _ = read_multilabel_split(path)
    _error(["['zzz']", "not among the label names", "['a']"], label_matrix, dataset, ["a"])


def test_multilabel_checks():
    names = ["a", "b", "clean"]
    train = [["a"], [], ["a", "clean"], []]
    assert multilabel_checks(train, names, None) == [
        "label 'b' is never positive in the training data; it is kept, but the model cannot learn it",
        "2 training rows have no label; if the dataset has a 'none' class (e.g. clean) set data.none_label",
    ]
    assert multilabel_checks(train, names, "clean")[1] == "2 training rows have no label, not even 'clean'"
    assert multilabel_checks([["a"], ["b"], ["clean"]], names, "clean") == []
    assert "data.none_label 'none'" in multilabel_checks([["a"], ["b"], ["clean"]], names, "none")[0]


def test_check_multilabel_names_seen():
    check_multilabel_names_seen(["a", "b"], ["a"], "dev", "dev.jsonl")
    _error(
        ["dev.jsonl", "split test", "['c', 'd']", "do not occur in the training data"],
        check_multilabel_names_seen,
        ["a", "b"],
        ["a", "d", "c"],
        "test",
        "dev.jsonl",
    )


# ------------------------------------------------------------------------------------------ errors


def test_error_bad_zero_one_cell(tmp_path):
    path = _write(tmp_path / "train.tsv", "문장\t남성\tclean\n가\t0\t1\n나\t2\t0\n")
    _error(
        ["train.tsv: line 3", "column '남성'", "expected 0 or 1", "got '2'", "fix the cell"],
        read_multilabel_split,
        path,
        text_column="문장",
        label_columns=["남성", "clean"],
    )
    empty = _write(tmp_path / "empty_cell.csv", "text,x\na,1\nb,\n")
    _error(["empty_cell.csv: line 3", "column 'x'", "got ''"], read_multilabel_split, empty, label_columns=["x"])


@pytest.mark.parametrize("value, shown", [("2", "2"), ("true", "true"), ("1.0", "1.0"), ('"yes"', "'yes'")])
def test_error_bad_zero_one_json(tmp_path, value, shown):
    path = _write(tmp_path / "d.jsonl", f'{{"text": "a", "x": 1}}\n{{"text": "b", "x": {value}}}\n')
    _error(
        ["d.jsonl: line 2", "column 'x'", f"expected 0 or 1, got {shown}"],
        read_multilabel_split,
        path,
        label_columns=["x"],
    )


def test_error_missing_label_columns(tmp_path):
    path = _write(tmp_path / "dev.tsv", "\n문장\t남성\n가\t1\n")
    message = _error(
        ["dev.tsv: line 2 (header)", "label column(s) ['clean'] not found", "columns are [문장, 남성]"],
        read_multilabel_split,
        path,
        text_column="문장",
        label_columns=["남성", "clean"],
    )
    assert "data.label_columns=[...]" in message
    # Some of the label columns present is an error even when labels are optional.
    _error(
        ["label column(s) ['clean']"],
        read_multilabel_split,
        path,
        text_column="문장",
        label_columns=["남성", "clean"],
        require_label=False,
    )
    jsonl = _write(tmp_path / "dev.jsonl", '{"text": "a", "x": 1}\n')
    _error(["dev.jsonl: line 1: label column(s) ['y']"], read_multilabel_split, jsonl, label_columns=["x", "y"])


def test_error_missing_text_column(tmp_path):
    path = _write(tmp_path / "d.csv", "sentence,x\na,1\n")
    _error(
        ["d.csv: line 1 (header)", "column 'text' not found", "columns are [sentence, x]", "set data.text_column="],
        read_multilabel_split,
        path,
        label_columns=["x"],
    )


def test_error_missing_label_column(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "a", "label": ["x"]}\n')
    _error(
        ["d.jsonl: line 1", "column 'labels' not found", "columns are [text, label]", "set data.label_column="],
        read_multilabel_split,
        path,
    )


def test_error_json_labels_not_a_list(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "a", "labels": ["x"]}\n\n{"text": "b", "labels": "x|y"}\n')
    _error(
        ["d.jsonl: line 3", "column 'labels'", "expected a JSON list of label names", "got a JSON string 'x|y'"],
        read_multilabel_split,
        path,
    )
    nested = _write(tmp_path / "n.jsonl", '{"text": "a", "labels": ["x", 3]}\n')
    _error(["n.jsonl: line 1", "JSON number 3", "label names as strings"], read_multilabel_split, nested)
    null = _write(tmp_path / "null.jsonl", '{"text": "a", "labels": null}\n')
    _error(["null.jsonl: line 1", "got a JSON null"], read_multilabel_split, null)
    array = _write(tmp_path / "a.json", '[{"text": "a", "labels": ["x"]}, {"text": "b", "labels": {"x": 1}}]')
    _error(["a.json: record 1", "got a JSON object"], read_multilabel_split, array)


def test_error_later_record_lacks_a_column(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "a", "labels": []}\n{"text": "b"}\n')
    _error(["d.jsonl: line 2", "column(s) ['labels'] not found"], read_multilabel_split, path)


def test_error_csv_needs_columns_or_delimiter(tmp_path):
    path = _write(tmp_path / "d.csv", "text,labels\na,x\n")
    _error(["d.csv: line 1 (header)", "data.label_columns=[...]", "data.label_delimiter"], read_multilabel_split, path)


def test_error_wrong_field_count(tmp_path):
    path = _write(tmp_path / "d.tsv", "text\tx\na\t1\nb\t0\textra\n")
    _error(
        ["d.tsv: line 3", "expected 2 tab-separated fields", "found 3"],
        read_multilabel_split,
        path,
        label_columns=["x"],
    )


def test_error_empty_and_header_only(tmp_path):
    empty = _write(tmp_path / "empty.csv", "")
    _error(["empty.csv", "empty (0 bytes)"], read_multilabel_split, empty, label_columns=["x"])
    header = _write(tmp_path / "header.csv", "text,x\n\n")
    _error(["header.csv", "no data rows"], read_multilabel_split, header, label_columns=["x"])
    blank = _write(tmp_path / "blank.jsonl", "\n\n")
    _error(["blank.jsonl", "no data rows"], read_multilabel_split, blank)


def test_error_invalid_utf8(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes("text\tx\n가\t1\n".encode() + b"b\xff\t0\n")
    _error(["bad.tsv: line 3", "byte offset 14", "not valid UTF-8"], read_multilabel_split, path, label_columns=["x"])


def test_error_settings_and_paths(tmp_path):
    path = _write(tmp_path / "d.csv", "text,x\na,1\n")
    _error(
        ["d.csv", "both data.label_columns and data.label_delimiter"],
        read_multilabel_split,
        path,
        label_columns=["x"],
        label_delimiter="|",
    )
    _error(["d.csv", "data.label_columns is empty"], read_multilabel_split, path, label_columns=[])
    _error(["d.csv", "data.label_delimiter is an empty string"], read_multilabel_split, path, label_delimiter="")
    _error(["missing.csv", "data file not found"], read_multilabel_split, tmp_path / "missing.csv")
    _error(["d.txt", "unsupported extension"], read_multilabel_split, _write(tmp_path / "d.txt", "a\n"))


# ------------------------------------------------------------------------------------------ UnSmile


@pytest.fixture(scope="module")
def unsmile_train():
    path = UNSMILE / "unsmile_train_v1.0.tsv"
    if not path.exists():
        pytest.skip(f"shared data file {path} not available")
    return read_multilabel_split(path, text_column="문장", label_columns=UNSMILE_LABELS)


def test_unsmile_train_counts(unsmile_train):
    dataset, names = unsmile_train
    assert names == UNSMILE_LABELS and len(dataset) == 15_005
    matrix = label_matrix(dataset, names)
    assert matrix.shape == (15_005, 10)
    positives = dict(zip(names, matrix.sum(axis=0).astype(int).tolist(), strict=True))
    assert positives == {
        "여성/가족": 1599,
        "남성": 1347,
        "성소수자": 1141,
        "인종/국적": 1728,
        "연령": 603,
        "지역": 1052,
        "종교": 1181,
        "기타 혐오": 569,
        "악플/욕설": 3143,
        "clean": 3739,
    }
    per_row = matrix.sum(axis=1)
    assert int((per_row > 1).sum()) == 994 and int((per_row == 0).sum()) == 2
    assert dataset[0] == {"text": "일안하는 시간은 쉬고싶어서 그런게 아닐까", "labels": ["clean"]}
    assert multilabel_checks(dataset["labels"][:], names, "clean") == [
        "2 training rows have no label, not even 'clean'"
    ]


def test_unsmile_valid_rows():
    path = UNSMILE / "unsmile_valid_v1.0.tsv"
    if not path.exists():
        pytest.skip(f"shared data file {path} not available")
    dataset, names = read_multilabel_split(path, text_column="문장", label_columns=UNSMILE_LABELS)
    assert len(dataset) == 3_737 and names == UNSMILE_LABELS
    matrix = label_matrix(dataset, names)
    assert int(matrix[:, names.index("clean")].sum()) == 935 and int((matrix.sum(axis=1) > 1).sum()) == 234
