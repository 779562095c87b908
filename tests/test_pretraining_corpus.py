"""The pretraining corpus: documents from text/CSV/JSONL, packing into [CLS] ... [SEP], streaming, bad files."""

from __future__ import annotations

import json

import datasets
import pytest
import torch
from conftest import FILLER, SPECIALS, write_encoder
from transformers import AutoTokenizer

from electralab.config import CorpusConfig
from electralab.data.corpus import load_documents
from electralab.errors import DataError
from electralab.pretraining.corpus import pack_sequences, pretraining_dataset

torch.set_num_threads(1)
CLS, SEP = 2, 3


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return AutoTokenizer.from_pretrained(write_encoder(tmp_path_factory.mktemp("corpus-enc"), FILLER))


def test_packing_fills_fixed_length_sequences():
    documents = [list(range(10, 15)), [], list(range(20, 33)), list(range(40, 42))]
    sequences = pack_sequences(documents, CLS, SEP, max_length=8)
    assert all(seq[0] == CLS and seq[-1] == SEP for seq in sequences)
    assert all(len(seq) in (7, 8) for seq in sequences[:-1]) and len(sequences[-1]) <= 8
    assert [len(seq) for seq in sequences] == [7, 8, 8, 6]  # 10..14 | 20..25 | 26..31 | 32 [SEP] 40 41
    inner = [token for seq in sequences for token in seq[1:-1] if token != SEP]
    assert inner == [t for doc in documents for t in doc], "every token kept, in order"
    assert all(seq[1] != SEP and seq[-2] != SEP for seq in sequences), "no chunk starts or ends on a separator"


def test_line_and_blank_line_documents(tmp_path):
    (tmp_path / "c.txt").write_text("w1 w2\nw3\n\nw4 w5\n  \nw6\n", encoding="utf-8")
    lines = load_documents(CorpusConfig(paths=[str(tmp_path / "c.txt")]))
    assert lines["text"] == ["w1 w2", "w3", "w4 w5", "w6"]
    paragraphs = load_documents(CorpusConfig(paths=[str(tmp_path)], documents="blank_line"))
    assert [" ".join(t.split()) for t in paragraphs["text"]] == ["w1 w2 w3", "w4 w5", "w6"]


def test_table_columns_and_streaming_give_the_same_sequences(tmp_path, tokenizer):
    texts = [" ".join(FILLER[i : i + 7]) for i in range(30)]
    (tmp_path / "c.jsonl").write_text(
        "".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8"
    )
    config = CorpusConfig(paths=[str(tmp_path / "c.jsonl")], text_column="body", max_length=16)
    packed = pretraining_dataset(config, tokenizer)
    assert isinstance(packed, datasets.Dataset) and packed.column_names == ["input_ids", "attention_mask"]
    assert all(len(row) in (15, 16) for row in packed["input_ids"][:-1])
    words = [tokenizer.convert_ids_to_tokens(i) for row in packed["input_ids"] for i in row]
    assert [w for w in words if w not in ("[CLS]", "[SEP]")] == " ".join(texts).split()
    first = tokenizer.convert_ids_to_tokens(packed[0]["input_ids"])
    assert first == ["[CLS]", *texts[0].split(), "[SEP]", *texts[1].split()[:6], "[SEP]"]

    streamed = pretraining_dataset(CorpusConfig(**{**config.__dict__, "streaming": True}), tokenizer)
    assert isinstance(streamed, datasets.IterableDataset)
    assert [row["input_ids"] for row in streamed] == packed["input_ids"]

    with pytest.raises(DataError, match="no column 'text'.*id, body.*corpus.text_column"):
        pretraining_dataset(CorpusConfig(paths=[str(tmp_path / "c.jsonl")]), tokenizer)


def test_bad_corpus_files(tmp_path, tokenizer):
    def dataset(*paths, **kwargs):
        return pretraining_dataset(CorpusConfig(paths=[str(p) for p in paths], **kwargs), tokenizer)

    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty.txt.*the corpus is empty"):
        dataset(tmp_path / "empty.txt")
    (tmp_path / "blank.txt").write_text("\n \n\n", encoding="utf-8")
    with pytest.raises(DataError, match="no text to train on.*the corpus is empty"):
        dataset(tmp_path / "blank.txt", streaming=True)
    (tmp_path / "latin1.txt").write_bytes(b"w1 w2\nw3 caf\xe9\n")
    with pytest.raises(DataError, match=r"latin1.txt: not valid UTF-8 at byte offset 12"):
        dataset(tmp_path / "latin1.txt")
    (tmp_path / "broken.jsonl").write_text('{"text": "w1 w2"}\n{"text": w3\n', encoding="utf-8")
    for streaming in (False, True):
        with pytest.raises(DataError, match="broken.jsonl: could not read it as json.*check the file format"):
            dataset(tmp_path / "broken.jsonl", streaming=streaming)
    with pytest.raises(DataError, match="matches no file"):
        dataset(tmp_path / "nope" / "*.txt")
    (tmp_path / "d").mkdir()
    with pytest.raises(DataError, match="no .txt/.csv/.tsv/.jsonl files found"):
        dataset(tmp_path / "d")
    assert len(SPECIALS) == 5
