"""Attention kernels: auto picks eager for bf16 on a CPU; eager and sdpa compute the same function."""

from __future__ import annotations

import torch
from transformers import AutoModel

from electralab.models import ElectralabConfig, ElectralabForSequenceClassification
from electralab.models.loading import load_encoder, prediction_attention, set_attention


def test_prediction_picks_eager_only_for_short_bf16_cpu_sequences(toy_encoder):
    assert prediction_attention(bf16_on_cpu=True, max_length=128) == "eager"
    assert prediction_attention(bf16_on_cpu=True, max_length=512) == "auto"
    assert prediction_attention(bf16_on_cpu=False, max_length=128) == "auto"
    encoder = AutoModel.from_pretrained(toy_encoder)
    loaded = encoder.config._attn_implementation
    set_attention(encoder, "auto")  # what training does with model.attention=auto: the model's default stays
    assert encoder.config._attn_implementation == loaded


def test_eager_and_sdpa_give_the_same_hidden_states(toy_encoder):
    encoder = AutoModel.from_pretrained(toy_encoder).eval()
    input_ids = torch.randint(5, 40, (3, 12))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 7:] = 0  # padding must be masked the same way by both kernels
    with torch.no_grad():
        sdpa = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        set_attention(encoder, "eager")
        assert encoder.config._attn_implementation == "eager"
        eager = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    real = attention_mask.bool()
    torch.testing.assert_close(eager[real], sdpa[real], atol=1e-5, rtol=1e-4)


def test_attention_switches_inside_a_reloaded_classifier(toy_encoder, tmp_path):
    torch.manual_seed(0)
    encoder = load_encoder(str(toy_encoder))
    config = ElectralabConfig(encoder=encoder.config.to_dict(), head="mean", id2label={0: "neg", 1: "pos"})
    ElectralabForSequenceClassification(config, encoder=encoder).save_pretrained(tmp_path / "model")
    model = ElectralabForSequenceClassification.from_pretrained(tmp_path / "model").eval()
    input_ids = torch.randint(5, 40, (2, 9))
    with torch.no_grad():
        before = model(input_ids=input_ids).logits
        set_attention(model, "eager")
        assert model.encoder.config._attn_implementation == "eager"
        after = model(input_ids=input_ids).logits
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-4)
