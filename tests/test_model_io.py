"""A saved model folder is a Hugging Face folder that reloads, in a fresh process, to identical logits."""

from __future__ import annotations

import json
import subprocess
import sys

import torch
from transformers import AutoTokenizer

from electralab.models import ElectralabConfig, ElectralabForSequenceClassification
from electralab.models.loading import load_encoder

TEXTS = ["w1 good w3", "bad w2 w9 w10 w11", "superb"]
RELOAD = """
import json, sys, torch
import electralab.models  # noqa: F401  (registers the Auto classes)
from transformers import AutoModelForSequenceClassification, AutoTokenizer
folder = sys.argv[1]
model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
tokenizer = AutoTokenizer.from_pretrained(folder)
with torch.no_grad():
    logits = model(**tokenizer(json.loads(sys.argv[2]), padding=True, return_tensors="pt")).logits
print(json.dumps({"class": type(model).__name__, "logits": logits.tolist(), "id2label": model.config.id2label}))
"""


def test_save_reload_in_fresh_process_gives_identical_logits(toy_encoder, tmp_path):
    torch.manual_seed(0)
    encoder = load_encoder(str(toy_encoder))
    config = ElectralabConfig(encoder=encoder.config.to_dict(), head="attention", id2label={0: "neg", 1: "pos"})
    model = ElectralabForSequenceClassification(config, encoder=encoder).eval()
    with torch.no_grad():  # make the head's weights non-trivial
        for param in model.head.parameters():
            param.add_(torch.randn_like(param))
    tokenizer = AutoTokenizer.from_pretrained(toy_encoder)
    with torch.no_grad():
        expected = model(**tokenizer(TEXTS, padding=True, return_tensors="pt")).logits
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    out = subprocess.run(
        [sys.executable, "-c", RELOAD, str(folder), json.dumps(TEXTS)],
        capture_output=True,
        text=True,
        check=True,
    )
    reloaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert reloaded["class"] == "ElectralabForSequenceClassification"
    assert reloaded["id2label"] == {"0": "neg", "1": "pos"}
    assert torch.equal(torch.tensor(reloaded["logits"]), expected)


def test_predictor_precisions_and_compile_agree_with_fp32(toy_encoder):
    import numpy as np
    import pytest
    from conftest import toy_rows

    from electralab.engine.device import cpu_has_bf16
    from electralab.errors import ConfigError
    from electralab.inference.predictor import Predictor

    torch.manual_seed(0)
    encoder = load_encoder(str(toy_encoder))
    config = ElectralabConfig(encoder=encoder.config.to_dict(), head="mean", id2label={0: "neg", 1: "pos"})
    model = ElectralabForSequenceClassification(config, encoder=encoder).eval()
    with torch.no_grad():
        for param in model.head.parameters():
            param.add_(torch.randn_like(param))
    tokenizer = AutoTokenizer.from_pretrained(toy_encoder)
    texts = [text for text, _ in toy_rows(200, seed=5)]
    fp32 = Predictor(model, tokenizer, 32).logits(texts, batch_size=16)
    with torch.no_grad():  # sorted batching changes nothing: the same logits as one padded batch
        direct = model(**tokenizer(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")).logits
    np.testing.assert_allclose(fp32, direct.numpy(), rtol=1e-4, atol=1e-5)
    int8 = Predictor(model, tokenizer, 32, precision="int8")
    assert int8.model is not model, "quantisation works on a copy"
    quantised = int8.logits(texts, batch_size=16)
    np.testing.assert_array_equal(Predictor(model, tokenizer, 32).logits(texts, batch_size=16), fp32)  # untouched
    assert not np.array_equal(quantised, fp32)
    assert (quantised.argmax(-1) == fp32.argmax(-1)).mean() >= 0.9
    assert np.abs(quantised - fp32).max() < 0.25 * np.abs(fp32).max()
    if cpu_has_bf16():
        bf16 = Predictor(model, tokenizer, 32, precision="bf16").logits(texts, batch_size=16)
        assert (bf16.argmax(-1) == fp32.argmax(-1)).mean() >= 0.9
        assert np.abs(bf16 - fp32).max() < 0.25 * np.abs(fp32).max()
    compiled = Predictor(model, tokenizer, 32, compile=True)
    assert compiled.model is model, "the compiled module wraps the model, which keeps its config and weights"
    np.testing.assert_allclose(compiled.logits(texts, batch_size=16), fp32, rtol=1e-4, atol=1e-5)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    assert graphs >= 1, "the counter moves when a graph is compiled"
    np.testing.assert_allclose(compiled.logits(texts[:1]), fp32[:1], rtol=1e-4, atol=1e-5)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == graphs, "one text compiles no second graph"
    with pytest.raises(ConfigError, match="int8"):
        Predictor(model, tokenizer, 32, precision="fp16")
