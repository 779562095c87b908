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
import electralab  # registers the Auto classes
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
