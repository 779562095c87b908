import csv
import gzip
import json
import lzma
from collections import Counter
from pathlib import Path

import pytest
from datasets import Dataset

from electralab.data.readers import READERS, read_split, read_texts, register_reader
from electralab.data.splits import carve_dev_split, check_labels_seen
from electralab.errors import DataError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"shared data file {path} not available")
    return path


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


# ----------------------------------------------------------------------------------------------- registry


def test_registry_names():
    assert {"nsmc", "ynat", "klue_json", "imdb", "sst2", "table"} <= set(READERS)


def test_unknown_format_lists_known(tmp_path):
    path = _write(tmp_path / "a.csv", "text,label\nx,1\n")
    with pytest.raises(DataError) as err:
        read_split("nope", path)
    msg = str(err.value)
    assert "'nope'" in msg and "nsmc" in msg and "table" in msg and "data.format" in msg
    assert "\n" not in msg


def test_register_reader_duplicate_rejected():
    with pytest.raises(ValueError):
        register_reader("nsmc")(lambda path, **kw: {})


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match=r"not found; pass --data-dir"):
        read_split("nsmc", tmp_path / "ratings_train.txt")


def test_max_rows_must_be_positive(tmp_path):
    path = _write(tmp_path / "a.csv", "text,label\nx,1\n")
    with pytest.raises(ValueError):
        read_split("table", path, max_rows=0)


# ------------------------------------------------------------------------------------------------- nsmc

NSMC = (
    "id\tdocument\tlabel\n"
    "9976970\t아 더빙.. 진짜 짜증나네요 목소리\t0\n"
    '10122280\t"""영화 끝"""" 같다."""""""\t1\n'
    "5\t\t0\n"
    '7\tsay "hi", ok\t1\n'
)


def test_nsmc_keeps_quotes_and_empty(tmp_path):
    ds = read_split("nsmc", _write(tmp_path / "ratings_train.txt", NSMC))
    assert isinstance(ds, Dataset)
    assert ds.column_names == ["text", "label"]
    assert ds["text"] == [
        "아 더빙.. 진짜 짜증나네요 목소리",
        '"""영화 끝"""" 같다."""""""',
        "",
        'say "hi", ok',
    ]
    assert ds["label"] == ["negative", "positive", "negative", "positive"]
    assert ds.features["text"].dtype == "string" and ds.features["label"].dtype == "string"


def test_nsmc_max_rows(tmp_path):
    ds = read_split("nsmc", _write(tmp_path / "r.txt", NSMC), max_rows=2)
    assert ds["label"] == ["negative", "positive"]


def test_nsmc_wrong_field_count(tmp_path):
    path = _write(tmp_path / "r.txt", NSMC + "8\tno label here\n")
    with pytest.raises(DataError) as err:
        read_split("nsmc", path)
    msg = str(err.value)
    assert str(path) in msg and "line 6" in msg and "expected 3" in msg and "found 2" in msg


def test_nsmc_bad_label(tmp_path):
    path = _write(tmp_path / "r.txt", "id\tdocument\tlabel\n1\tgood\t7\n")
    with pytest.raises(DataError, match=r"line 2: label '7' is not 0 or 1"):
        read_split("nsmc", path)


def test_nsmc_rejects_text_pair(tmp_path):
    with pytest.raises(DataError, match="text_pair_column"):
        read_split("nsmc", _write(tmp_path / "r.txt", NSMC), text_pair_column="x")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DataError) as err:
        read_split("nsmc", path)
    assert str(path) in str(err.value) and "empty" in str(err.value)


def test_header_only_file(tmp_path):
    path = _write(tmp_path / "r.txt", "id\tdocument\tlabel\n")
    with pytest.raises(DataError) as err:
        read_split("nsmc", path)
    assert str(path) in str(err.value) and "no data rows" in str(err.value)


def test_undecodable_bytes_offset_and_line(tmp_path):
    path = tmp_path / "r.txt"
    head = "id\tdocument\tlabel\n1\t좋다\t1\n".encode()
    path.write_bytes(head + b"2\tab\xff\t0\n")
    with pytest.raises(DataError) as err:
        read_split("nsmc", path)
    msg = str(err.value)
    assert str(path) in msg and "line 3" in msg and f"byte offset {len(head) + 4}" in msg and "UTF-8" in msg


# ------------------------------------------------------------------------------------------------- ynat


def test_ynat_with_and_without_header(tmp_path):
    train = _write(
        tmp_path / "ynat-v1.1_train.tsv",
        'label\ttext\n생활문화\t유튜브 내달\n정치\t"朴대통령 역할중요\t"\n',
    )
    dev = _write(tmp_path / "ynat-v1.1_dev.tsv", "사회\t5억원 무이자\nIT과학\t항응고제 성분\n")
    ds = read_split("ynat", train)
    assert ds["text"] == ["유튜브 내달", "朴대통령 역할중요\t"]
    assert ds["label"] == ["생활문화", "정치"]
    ds = read_split("ynat", dev)
    assert ds["text"] == ["5억원 무이자", "항응고제 성분"]
    assert ds["label"] == ["사회", "IT과학"]


def test_ynat_wrong_field_count(tmp_path):
    path = _write(tmp_path / "dev.tsv", "사회\t하나\n사회\t둘\t셋\n")
    with pytest.raises(DataError) as err:
        read_split("ynat", path)
    assert str(path) in str(err.value) and "line 2" in str(err.value) and "found 3" in str(err.value)


def test_ynat_json_and_klue_json(tmp_path):
    records = [
        {"guid": "ynat-v1_dev_00000", "title": "5억원 무이자", "label": "사회", "url": "u", "date": "d"},
        {"guid": "ynat-v1_dev_00001", "title": "항응고제", "label": "IT과학", "url": "u", "date": "d"},
    ]
    path = tmp_path / "ynat-v1.1_train.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=4), encoding="utf-8")
    for fmt in ("ynat", "klue_json"):
        ds = read_split(fmt, path)
        assert ds["text"] == ["5억원 무이자", "항응고제"]
        assert ds["label"] == ["사회", "IT과학"]
    assert read_split("klue_json", path, max_rows=1)["label"] == ["사회"]


def test_klue_json_missing_key_and_bad_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"title": "a", "label": "b"}, {"title": "c"}]), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_split("klue_json", path)
    msg = str(err.value)
    assert str(path) in msg and "record 1" in msg and "'label' not found" in msg
    path.write_text('[\n{"title": "a",\n "label": }\n]', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_split("klue_json", path)
    assert str(path) in str(err.value) and "line 3" in str(err.value) and "not valid JSON" in str(err.value)


# ------------------------------------------------------------------------------------------------- imdb


def _imdb_rows():
    return [
        ["0", "2", "0", 'Bad, "really" bad.<br /><br />Line two'],
        ["1", "3", "0", "multi\nline review"],
        ["0", "9", "1", "Great"],
    ]


def test_imdb_csv_xz(tmp_path):
    path = tmp_path / "test.csv.xz"
    with lzma.open(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "rating", "label", "text"])
        writer.writerows(_imdb_rows())
    ds = read_split("imdb", path)
    assert ds["text"] == [row[3] for row in _imdb_rows()]
    assert ds["label"] == ["negative", "negative", "positive"]
    assert read_split("imdb", path, max_rows=2)["text"][1] == "multi\nline review"


def test_imdb_csv_gz_wrong_field_count(tmp_path):
    path = tmp_path / "train.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write('id,rating,label,text\n0,2,0,"two\nlines"\n1,3,0\n')
    with pytest.raises(DataError) as err:
        read_split("imdb", path)
    msg = str(err.value)
    assert str(path) in msg and "line 4" in msg and "expected 4" in msg and "found 3" in msg


def test_imdb_folder(tmp_path):
    split = tmp_path / "aclImdb" / "train"
    (split / "pos").mkdir(parents=True)
    (split / "neg").mkdir()
    _write(split / "pos" / "10_9.txt", "pos ten")
    _write(split / "pos" / "2_10.txt", "pos two")
    _write(split / "neg" / "0_3.txt", "neg zero")
    _write(split / "neg" / "1_1.txt", 'neg "one", <br />')
    ds = read_split("imdb", split)
    assert ds["text"] == ["neg zero", 'neg "one", <br />', "pos two", "pos ten"]
    assert ds["label"] == ["negative", "negative", "positive", "positive"]
    assert read_split("imdb", split, max_rows=3)["label"] == ["negative", "negative", "positive"]


def test_imdb_folder_needs_pos_neg(tmp_path):
    (tmp_path / "aclImdb" / "pos").mkdir(parents=True)
    with pytest.raises(DataError, match=r"neg/ subfolder"):
        read_split("imdb", tmp_path / "aclImdb")


def test_imdb_folder_undecodable(tmp_path):
    (tmp_path / "pos").mkdir()
    (tmp_path / "neg").mkdir()
    (tmp_path / "neg" / "0_1.txt").write_bytes(b"ok\nbad \xc3(")
    with pytest.raises(DataError) as err:
        read_split("imdb", tmp_path)
    assert "0_1.txt" in str(err.value) and "line 2" in str(err.value) and "byte offset 7" in str(err.value)


# ------------------------------------------------------------------------------------------------- sst2


def test_sst2(tmp_path):
    text = "1 a stirring , funny film\n0 crème brûlée -lrb- no -rrb-\n\n"
    path = _write(tmp_path / "stsa.binary.train", text)
    ds = read_split("sst2", path)
    assert ds["text"] == ["a stirring , funny film", "crème brûlée -lrb- no -rrb-"]
    assert ds["label"] == ["positive", "negative"]


def test_sst2_wrong_fields(tmp_path):
    path = _write(tmp_path / "stsa.binary.dev", "1 fine\n0\n")
    with pytest.raises(DataError) as err:
        read_split("sst2", path)
    assert str(path) in str(err.value) and "line 2" in str(err.value) and "found 1 field" in str(err.value)


# ------------------------------------------------------------------------------------------------ table


def test_table_csv_with_pair_and_custom_columns(tmp_path):
    path = _write(tmp_path / "pairs.csv", 'premise,hyp,gold\n"a, b",c,entail\n,"d ""q""",neutral\n')
    ds = read_split("table", path, text_column="premise", text_pair_column="hyp", label_column="gold")
    assert ds.column_names == ["text", "text_pair", "label"]
    assert ds["text"] == ["a, b", ""]
    assert ds["text_pair"] == ["c", 'd "q"']
    assert ds["label"] == ["entail", "neutral"]


def test_table_tsv_defaults_and_bom(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_bytes("\ufefftext\tlabel\r\nhello\tpos\r\nbye\tneg\r\n".encode())
    ds = read_split("table", path)
    assert ds["text"] == ["hello", "bye"] and ds["label"] == ["pos", "neg"]


def test_table_missing_column(tmp_path):
    path = _write(tmp_path / "x.csv", "sentence,label\nhi,1\n")
    with pytest.raises(DataError) as err:
        read_split("table", path)
    msg = str(err.value)
    assert str(path) in msg and "column 'text' not found" in msg and "[sentence, label]" in msg
    assert "data.text_column" in msg


def test_table_missing_label_column(tmp_path):
    path = _write(tmp_path / "x.csv", "text,other\nhi,1\n")
    expected = r"column 'label' not found; columns are \[text, other\].*data.label_column"
    with pytest.raises(DataError, match=expected):
        read_split("table", path)
    ds = read_split("table", path, require_label=False)
    assert ds.column_names == ["text"] and ds["text"] == ["hi"]


def test_table_csv_wrong_field_count(tmp_path):
    path = _write(tmp_path / "x.csv", "text,label\na,1\nb,1,extra\n")
    with pytest.raises(DataError) as err:
        read_split("table", path)
    assert str(path) in str(err.value) and "line 3" in str(err.value) and "found 3" in str(err.value)


def test_table_jsonl(tmp_path):
    lines = [
        {"text": "첫 문장", "label": "긍정", "x": 1},
        {"text": "", "label": 3},
        {"text": None, "label": True},
    ]
    path = _write(tmp_path / "x.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n\n")
    ds = read_split("table", path)
    assert ds["text"] == ["첫 문장", "", ""]
    assert ds["label"] == ["긍정", "3", "true"]


def test_table_csv_reads_a_text_longer_than_the_csv_module_default_like_jsonl(tmp_path):
    long_text = ('good, "quoted" words\n' * 10_000)[:200_000]  # commas, quotes and newlines inside the field
    rows = [{"text": "short", "label": "a"}, {"text": long_text, "label": "b"}, {"text": "last", "label": "a"}]
    with (tmp_path / "x.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    _write(tmp_path / "x.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    from_csv, from_jsonl = read_split("table", tmp_path / "x.csv"), read_split("table", tmp_path / "x.jsonl")
    assert len(from_csv["text"][1]) == 200_000
    assert from_csv["text"] == from_jsonl["text"] == [r["text"] for r in rows]
    assert from_csv["label"] == from_jsonl["label"]
    assert read_texts(tmp_path / "x.csv") == [r["text"] for r in rows]


def test_table_jsonl_bad_line(tmp_path):
    path = _write(tmp_path / "x.jsonl", '{"text": "a", "label": "b"}\n{"text": "c", "label": \n')
    with pytest.raises(DataError) as err:
        read_split("table", path)
    msg = str(err.value)
    assert str(path) in msg and "line 2" in msg and "not valid JSON" in msg


def test_table_jsonl_missing_key_later_row(tmp_path):
    path = _write(tmp_path / "x.jsonl", '{"text": "a", "label": "b"}\n{"label": "b"}\n')
    with pytest.raises(DataError, match=r"line 2: column 'text' not found"):
        read_split("table", path)


def test_table_json_array_and_compressed_csv(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"text": "a", "label": "p"}, {"text": "b", "label": "n"}]), encoding="utf-8")
    assert read_split("table", path)["text"] == ["a", "b"]
    xz = tmp_path / "x.csv.xz"
    xz.write_bytes(lzma.compress(b"text,label\nq,1\n"))
    assert read_split("table", xz)["label"] == ["1"]


def test_table_unknown_extension(tmp_path):
    path = _write(tmp_path / "x.parquet", "x")
    with pytest.raises(DataError, match=r"unsupported extension '.parquet'"):
        read_split("table", path)


def test_table_undecodable_compressed(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"text,label\n\xe9t\xe9,1\n"))
    with pytest.raises(DataError) as err:
        read_split("table", path)
    msg = str(err.value)
    assert str(path) in msg and "line 2" in msg and "byte offset 11" in msg


# ------------------------------------------------------------------------------------------------ read_texts


def test_read_texts_plain(tmp_path):
    path = _write(tmp_path / "in.txt", "첫째\n\n   \nsecond line\r\n")
    assert read_texts(path) == ["첫째", "second line"]


def test_read_texts_table(tmp_path):
    path = _write(tmp_path / "in.csv", "id,text\n1,hello\n2,\n")
    assert read_texts(path) == ["hello", ""]


def test_read_texts_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_texts(tmp_path / "none.txt")
    blank = _write(tmp_path / "blank.txt", "\n \n")
    with pytest.raises(DataError, match="no texts"):
        read_texts(blank)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\x80\n")
    with pytest.raises(DataError, match=r"line 2 \(byte offset 3\)"):
        read_texts(bad)


# ------------------------------------------------------------------------------------------------ splits


def _labelled(n_a: int, n_b: int) -> Dataset:
    labels = ["a"] * n_a + ["b"] * n_b
    return Dataset.from_dict({"text": [f"t{i}" for i in range(len(labels))], "label": labels})


def test_carve_stratified_sizes_disjoint_ordered():
    ds = _labelled(80, 20)
    rest, dev = carve_dev_split(ds, 0.2, seed=13)
    assert len(rest) == 80 and len(dev) == 20
    assert Counter(dev["label"]) == {"a": 16, "b": 4}
    assert Counter(rest["label"]) == {"a": 64, "b": 16}
    assert set(rest["text"]).isdisjoint(dev["text"])
    assert set(rest["text"]) | set(dev["text"]) == set(ds["text"])
    order = {t: i for i, t in enumerate(ds["text"])}
    assert [order[t] for t in dev["text"]] == sorted(order[t] for t in dev["text"])
    assert [order[t] for t in rest["text"]] == sorted(order[t] for t in rest["text"])


def test_carve_deterministic_by_seed():
    ds = _labelled(50, 50)
    first = carve_dev_split(ds, 0.1, seed=1)[1]["text"]
    assert carve_dev_split(ds, 0.1, seed=1)[1]["text"] == first
    assert carve_dev_split(ds, 0.1, seed=2)[1]["text"] != first


def test_carve_falls_back_when_label_is_rare():
    ds = Dataset.from_dict({"text": [str(i) for i in range(10)], "label": ["a"] * 9 + ["b"]})
    rest, dev = carve_dev_split(ds, 0.3, seed=0)
    assert len(rest) == 7 and len(dev) == 3


def test_carve_bad_fraction_and_tiny_data():
    ds = _labelled(3, 3)
    for fraction in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            carve_dev_split(ds, fraction, seed=0)
    with pytest.raises(DataError):
        carve_dev_split(_labelled(1, 0), 0.5, seed=0)


def test_check_labels_seen():
    dev = Dataset.from_dict({"text": ["x", "y", "z"], "label": ["a", "x", "x"]})
    check_labels_seen(["a", "x"], dev, "dev", "dev.tsv")
    with pytest.raises(DataError) as err:
        check_labels_seen(["a", "b"], dev, "dev", "data/dev.tsv")
    assert str(err.value) == (
        "data/dev.tsv (split dev): labels ['x'] do not occur in the training data; "
        "fix the labels or add training rows for them"
    )
    check_labels_seen(["a"], Dataset.from_dict({"text": ["q"]}), "test", "t.txt")


# ------------------------------------------------------------------------------------------------ real files


def test_real_nsmc_train():
    ds = read_split("nsmc", _shared("nsmc/ratings_train.txt"))
    assert len(ds) == 150_000
    assert Counter(ds["label"][:])["negative"] == 75_173  # [:] materialises the column in one call
    assert ds[0]["text"] == "아 더빙.. 진짜 짜증나네요 목소리"
    assert ds["text"][:].count("") == 5
    assert ds[165]["text"].startswith('"""영화 끝나갈때쯤에')


def test_real_sst2_train():
    ds = read_split("sst2", _shared("sst2/stsa.binary.train"))
    assert len(ds) == 6_920
    assert Counter(ds["label"][:]) == {"negative": 3_310, "positive": 3_610}


def test_real_ynat_dev_and_train_quoted_row():
    dev = read_split("ynat", _shared("klue_ynat/ynat-v1.1_dev.tsv"))
    assert len(dev) == 9_107
    assert dev[0] == {"text": "5억원 무이자 융자는 되고 7천만원 이사비는 안된다", "label": "사회"}
    train = read_split("ynat", _shared("klue_ynat/ynat-v1.1_train.tsv"))
    assert len(train) == 45_678
    assert len(set(train["label"][:])) == 7
    assert "朴대통령 경기침체·저성장 극복에 여성금융인 역할중요\t" in train["text"][:]
    check_labels_seen(train["label"], dev, "dev", "ynat-v1.1_dev.tsv")


def test_real_imdb_test():
    ds = read_split("imdb", _shared("imdb/test.csv.xz"))
    assert len(ds) == 25_000
    assert Counter(ds["label"][:]) == {"negative": 12_500, "positive": 12_500}
    assert ds[0]["text"].startswith("Once again Mr. Costner has dragged out a movie")


# ----------------------------------------------------------------------------------------------- row sampling


def test_row_sample_random_draws_across_a_file_sorted_by_label(tmp_path):
    from electralab.config import DataConfig
    from electralab.data.prepare import load_splits

    rows = "".join(f"text {i},{'neg' if i < 60 else 'pos'}\n" for i in range(120))
    _write(tmp_path / "train.csv", "text,label\n" + rows)
    first = DataConfig(train_file=str(tmp_path / "train.csv"), max_train_rows=40)
    with pytest.raises(DataError, match="row_sample=random"):
        load_splits(first, seed=1)  # the first 40 rows are all 'neg'
    sampled = DataConfig(train_file=str(tmp_path / "train.csv"), max_train_rows=40, row_sample="random")
    splits = load_splits(sampled, seed=1)
    texts = splits.train["text"][:] + splits.dev["text"][:]
    assert len(texts) == 40 and len(set(texts)) == 40
    assert splits.label_names == ["neg", "pos"]
    assert 10 <= sum(text.startswith("text") and int(text.split()[1]) >= 60 for text in texts) <= 30
    again = load_splits(sampled, seed=1)
    assert again.train["text"][:] == splits.train["text"][:], "seeded: the same rows every time"
    assert sorted(load_splits(sampled, seed=2).train["text"][:]) != sorted(splits.train["text"][:])


def test_test_fraction_carves_a_stratified_test_split_before_dev(tmp_path):
    from electralab.config import DataConfig
    from electralab.data.prepare import load_splits

    rows = "\n".join(f"text {i},{'pos' if i % 4 == 0 else 'neg'}" for i in range(100))
    _write(tmp_path / "all.csv", "text,label\n" + rows + "\n")
    data = DataConfig(data_dir=str(tmp_path), train_file="all.csv", test_fraction=0.2, dev_fraction=0.25)
    splits = load_splits(data, seed=3)
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (60, 20, 20)
    assert Counter(splits.test["label"][:]) == {"pos": 5, "neg": 15}
    texts = [set(part["text"]) for part in (splits.train, splits.dev, splits.test)]
    assert texts[0].isdisjoint(texts[1]) and texts[0].isdisjoint(texts[2]) and texts[1].isdisjoint(texts[2])
    assert any(note.startswith("test: carved 20 rows (20%, stratified") for note in splits.notes)
    assert load_splits(data, seed=3).test["text"] == splits.test["text"]
    without = load_splits(DataConfig(data_dir=str(tmp_path), train_file="all.csv"), seed=3)
    assert without.test is None and len(without.train) + len(without.dev) == 100


def test_run_description_names_how_each_task_carves(tmp_path):
    from electralab.config import DataConfig, RunConfig
    from electralab.tasks import get_task

    data = DataConfig(data_dir=str(tmp_path), train_file="all.csv", test_fraction=0.2)
    described = {
        task: get_task(task).describe_run(RunConfig(task=task, data=data))["data"]
        for task in ("sequence_classification", "multi_label_classification", "token_classification")
    }
    assert described["sequence_classification"]["test"] == "carved from train first (20%, stratified by label, seed 42)"
    assert described["multi_label_classification"]["dev"] == "carved from train (10%, seed 42)"
    assert described["token_classification"]["dev"] == "carved from train (10%, by sentence, seed 42)"
