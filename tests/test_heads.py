"""Every registered head: padding never leaks into logits, and each learns a separable task."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoTokenizer

from electralab.config import build_config
from electralab.models import ElectralabConfig, ElectralabForSequenceClassification
from electralab.models.heads import HEADS
from electralab.models.loading import load_encoder
from electralab.training.recipe import run_training

ALL_HEADS = sorted(HEADS)


def test_registry_has_every_documented_head():
    assert ALL_HEADS == ["attention", "cls", "cnn", "gru", "lstm", "max", "mean"]


def _model(encoder_dir, head: str) -> ElectralabForSequenceClassification:
    torch.manual_seed(0)
    encoder = load_encoder(str(encoder_dir))
    config = ElectralabConfig(
        encoder=encoder.config.to_dict(),
        head=head,
        id2label={0: "a", 1: "b", 2: "c"},
        rnn_hidden_size=16,
        cnn_filters=8,
    )
    return ElectralabForSequenceClassification(config, encoder=encoder).eval()


@pytest.mark.parametrize("head", ALL_HEADS)
def test_padding_does_not_change_logits(toy_encoder, head):
    model = _model(toy_encoder, head)
    tokenizer = AutoTokenizer.from_pretrained(toy_encoder)
    texts = ["w1 good w3 w4", "bad w2", "w5 w6 w7 w8 w9 w10 superb w11"]
    with torch.no_grad():
        logits = {
            length: model(**tokenizer(texts, padding="max_length", max_length=length, return_tensors="pt")).logits
            for length in (16, 128)
        }
        alone = model(**tokenizer(texts[1:2], return_tensors="pt")).logits  # no padding at all
    # Logits of a freshly initialised head are ~1e-3; differences between texts are >= 1e-5.
    assert torch.allclose(logits[16], logits[128], rtol=0, atol=1e-6), head
    assert torch.allclose(logits[16][1:2], alone, rtol=0, atol=1e-6), head
    assert (logits[16][0] - logits[16][1]).abs().max() > 1e-5, head


@pytest.mark.parametrize("head", ALL_HEADS)
def test_head_learns_separable_task(toy_encoder, toy_data, tmp_path, head):
    config = build_config(
        overrides=[
            f"model.name_or_path={toy_encoder}",
            f"model.head={head}",
            "model.rnn_hidden_size=32",
            "model.cnn_filters=32",
            f"data.data_dir={toy_data}",
            "data.train_file=train.csv",
            "data.test_file=test.csv",
            "data.max_length=32",
            "train.epochs=6",
            "train.learning_rate=2e-3",
            "train.batch_size=16",
            "train.warmup=0.1",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={tmp_path}",
            "train.keep_checkpoints=1",
        ]
    )
    result = run_training(config)
    assert result.metrics["test"]["accuracy"] >= 0.95, (head, result.metrics["test"])
