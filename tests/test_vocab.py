"""Vocabulary tools: a Hangul-safe WordPiece build, and domain words written into [unused] slots."""

from __future__ import annotations

import pytest
import torch
from conftest import nsmc_rows
from transformers import AutoTokenizer

from electralab.cli import main
from electralab.errors import ConfigError, DataError
from electralab.vocab.build import build_vocab
from electralab.vocab.extend import extend_vocab, read_words

torch.set_num_threads(1)
PROBES = ["ㅋㅋㅋ 진짜 재밌다", "ㅎㅎ 배우들 연기가 최고", "Café résumé ÉCOLE"]


@pytest.fixture(scope="module")
def korean_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vocab-corpus")
    rows = nsmc_rows(1500) + PROBES * 3
    (folder / "a.txt").write_text("\n".join(rows[:800]) + "\n", encoding="utf-8")
    (folder / "b.txt").write_text("\n\n".join(rows[800:]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def built_vocab(korean_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("vocab") / "out"
    assert main(["vocab", "build", "--corpus", str(korean_corpus / "*.txt"), "--size", "3000", "--output", str(out),
                 "--unused", "20"]) == 0  # fmt: skip
    return out


def test_built_vocab_keeps_hangul_and_compatibility_jamo(built_vocab):
    lines = (built_vocab / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert lines[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert lines[5:25] == [f"[unused{i}]" for i in range(20)]
    assert len(lines) == len(set(lines)) and 2000 < len(lines) <= 3000
    tokenizer = AutoTokenizer.from_pretrained(built_vocab)
    assert len(tokenizer) == len(lines)
    for text in PROBES:
        tokens = tokenizer.tokenize(text)
        assert "[UNK]" not in tokens, (text, tokens)
        # Cased, accents and Hangul kept: the pieces join back to the text exactly.
        assert "".join(t.removeprefix("##") for t in tokens) == text.replace(" ", "")
    assert "ㅋ" in lines or "ㅋㅋ" in lines or "ㅋㅋㅋ" in lines, "compatibility jamo are not rewritten by NFKC"
    ids = tokenizer("ㅋㅋㅋ 진짜 재밌다")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True).replace(" ", "") == "ㅋㅋㅋ진짜재밌다"


def test_build_refuses_bad_input(tmp_path):
    with pytest.raises(DataError, match="matches no file"):
        build_vocab([str(tmp_path / "missing*.txt")], tmp_path / "out")
    (tmp_path / "blank.txt").write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        build_vocab([str(tmp_path / "blank.txt")], tmp_path / "out", size=200)
    (tmp_path / "cp949.txt").write_bytes("좋은 영화\n".encode() + "나쁜 영화".encode("cp949"))
    with pytest.raises(DataError, match=r"cp949.txt: not valid UTF-8 at byte offset 14"):
        build_vocab([str(tmp_path / "cp949.txt")], tmp_path / "out", size=200)
    with pytest.raises(ConfigError, match="--size 50"):
        build_vocab([str(tmp_path / "blank.txt")], tmp_path / "out", size=50)


def test_extend_writes_words_into_unused_slots(built_vocab, tmp_path, capsys):
    words = tmp_path / "words.txt"
    words.write_text("# domain words\n코로나19\n\n백신접종\nelectralab\n", encoding="utf-8")
    before = AutoTokenizer.from_pretrained(built_vocab)
    unused = before.convert_tokens_to_ids(["[unused0]", "[unused1]", "[unused2]"])
    out = tmp_path / "ext"
    assert main(["vocab", "extend", "--model", str(built_vocab), "--words", str(words), "--output", str(out)]) == 0
    assert "코로나19" in capsys.readouterr().err  # the rich table

    after = AutoTokenizer.from_pretrained(out)
    assert len(after) == len(before), "no embedding resize"
    assert after.convert_tokens_to_ids(["코로나19", "백신접종", "electralab"]) == unused
    lines = (out / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert [lines[i] for i in unused] == ["코로나19", "백신접종", "electralab"] and "[unused3]" in lines
    assert after.tokenize("코로나19 백신접종 영화") == ["코로나19", "백신접종", *before.tokenize("영화")]
    unchanged = "ㅋㅋㅋ 진짜 재밌다"
    assert after(unchanged)["input_ids"] == before(unchanged)["input_ids"]

    report = extend_vocab(str(built_vocab), ["코로나19"], tmp_path / "ext2")
    assert report[0].slot == "[unused0]" and report[0].token_id == unused[0]
    assert report[0].before == before.tokenize("코로나19") and len(report[0].before) > 1
    assert report[0].after == ["코로나19"]


def test_extend_refuses_known_words_split_words_and_too_many(built_vocab, tmp_path):
    with pytest.raises(DataError, match="already in the vocabulary.*영화"):
        extend_vocab(str(built_vocab), ["신조어", "영화"], tmp_path / "x")
    with pytest.raises(DataError, match="split before WordPiece"):
        extend_vocab(str(built_vocab), ["COVID-19"], tmp_path / "x")
    with pytest.raises(DataError, match="21 words but .* only 20 \\[unused\\] slots"):
        extend_vocab(str(built_vocab), [f"도메인어{i}" for i in range(21)], tmp_path / "x")
    (tmp_path / "dup.txt").write_text("신조어\n신조어\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: '신조어' is listed twice"):
        read_words(tmp_path / "dup.txt")
    assert not (tmp_path / "x").exists()


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    code = main(["vocab", "build", "--corpus", str(tmp_path / "nothing"), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("electralab: error: ") and "nothing" in err[-1]
