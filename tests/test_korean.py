"""Korean text: a tokenizer that rewrites Hangul is refused; the [UNK] rate is reported."""

from __future__ import annotations

import json

from conftest import SHARED_DATA, korean_vocabulary, nsmc_rows, write_encoder

from electralab.cli import main
from electralab.data.tokenize import unk_rate
from electralab.models.loading import load_tokenizer


def test_lowercasing_tokenizer_is_refused_on_hangul(tmp_path, capsys):
    uncased = write_encoder(tmp_path / "uncased", korean_vocabulary(nsmc_rows(300)), lowercase=True)
    code = main(
        [
            "train",
            "--preset",
            "nsmc",
            "--data-dir",
            str(SHARED_DATA / "nsmc"),
            "--model",
            str(uncased),
            "--output-dir",
            str(tmp_path / "runs"),
            "data.max_train_rows=100",
            "train.max_steps=1",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "rewrites Hangul" in err and "data.allow_hangul_normalization" in err


def test_unk_rate_reported(korean_encoder, toy_encoder, tmp_path):
    texts = nsmc_rows(200)
    assert unk_rate(load_tokenizer(str(korean_encoder)), texts) < 0.02
    assert unk_rate(load_tokenizer(str(toy_encoder)), texts) > 0.9
    out = tmp_path / "runs"
    assert (
        main(
            [
                "train",
                "--preset",
                "nsmc",
                "--data-dir",
                str(SHARED_DATA / "nsmc"),
                "--model",
                str(toy_encoder),
                "--output-dir",
                str(out),
                "data.max_train_rows=100",
                "data.max_test_rows=10",
                "train.max_steps=1",
                "train.report_to=[]",
                "train.progress_bar=false",
            ]
        )
        == 0
    )
    metrics = json.loads((next(out.iterdir()) / "metrics.json").read_text(encoding="utf-8"))
    assert any("[UNK] rate" in note for note in metrics["notes"])
    assert any("[UNK]" in warning and "vocabulary" in warning for warning in metrics["warnings"])
