"""Fast CPU dropout masks: nn.Dropout's meaning (keep rate, scaling, fresh masks, gradients), seeded by torch,
attention-probability dropout that is SDPA's math path otherwise, and their use in CPU runs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from electralab.models.dropout import ATTENTION, FastDropout, attention, fast_dropout, use_fast_dropout


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_masks_keep_one_minus_p_independently_of_position_and_call(p):
    torch.manual_seed(0)
    n = 400_000
    ones = torch.ones(n)
    first, second = (fast_dropout(ones, p) != 0).float(), (fast_dropout(ones, p) != 0).float()
    spread = 5 * math.sqrt(p * (1 - p) / n)  # five standard errors
    assert abs(first.mean().item() - (1 - p)) < spread
    assert abs(second.mean().item() - (1 - p)) < spread
    for lag in (1, 3, 4, 256, 4096):  # neighbours, elements sharing one 64-bit draw, rows of a hidden-256 tensor
        assert abs(torch.corrcoef(torch.stack([first[:-lag], first[lag:]]))[0, 1].item()) < 0.01
    assert abs(torch.corrcoef(torch.stack([first, second]))[0, 1].item()) < 0.01


def test_masks_follow_torch_seed_and_move_its_generator():
    x = torch.ones(3, 5, 8)
    torch.manual_seed(7)
    a = fast_dropout(x, 0.3)
    after_a = torch.rand(1)
    torch.manual_seed(7)
    b = fast_dropout(x, 0.3)
    assert torch.equal(a, b) and a.shape == x.shape
    assert torch.equal(torch.rand(1), after_a)  # one draw from torch's generator per mask
    assert not torch.equal(fast_dropout(x, 0.3), b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_forward_and_backward_scale_kept_elements_like_nn_dropout(dtype):
    torch.manual_seed(1)
    layer = FastDropout(0.25)
    x = torch.randn(64, 16, 32).to(dtype).requires_grad_()
    y = layer(x)
    assert y.dtype == dtype
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.75) < 0.02
    scale = torch.tensor(1 / 0.75).to(dtype)  # torch's own dropout scales by 1 / (1 - p) in the input's dtype
    torch.testing.assert_close(y[kept], x[kept] * scale, rtol=0, atol=0)
    weights = torch.randn_like(x)
    (y * weights).sum().backward()
    torch.testing.assert_close(x.grad, weights * kept * scale, rtol=0, atol=0)
    layer.eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(FastDropout(0.0).train()(x), x) and not FastDropout(1.0).train()(x).any()


def test_attention_equals_sdpa_without_dropout_and_applies_one_mask_with_it():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    torch.manual_seed(2)
    module = nn.Module()
    module.is_causal = False
    q, k, v = (torch.randn(2, 2, 6, 8) for _ in range(3))
    mask = torch.ones(2, 1, 6, 6, dtype=torch.bool)
    mask[0, :, :, 4:] = False  # the first example has two padding tokens
    reference, _ = sdpa_attention_forward(module, q, k, v, mask, dropout=0.0)
    ours, _ = attention(module, q, k, v, mask, dropout=0.0)
    torch.testing.assert_close(ours, reference)
    torch.manual_seed(3)
    dropped, _ = attention(module, q, k, v, mask, dropout=0.5)
    torch.manual_seed(3)
    scores = (q @ k.transpose(-1, -2) / math.sqrt(8)).masked_fill(~mask, torch.finfo(torch.float32).min)
    expected = (fast_dropout(scores.softmax(-1), 0.5) @ v).transpose(1, 2)
    torch.testing.assert_close(dropped, expected)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # scores in float32, as SDPA's math path computes them
        low, _ = attention(module, q.bfloat16(), k.bfloat16(), v.bfloat16(), mask, dropout=0.0)
    torch.testing.assert_close(low.float(), reference, atol=2e-2, rtol=2e-2)


def test_a_model_gets_fast_dropout_and_attention_and_padding_still_does_not_matter(toy_encoder):
    from transformers import AutoModel

    torch.manual_seed(0)
    model = AutoModel.from_pretrained(toy_encoder)
    plain = [m.p for m in model.modules() if type(m) is nn.Dropout]
    assert use_fast_dropout(model) == (len(plain), True) and plain
    assert [m.p for m in model.modules() if isinstance(m, FastDropout)] == plain
    assert model.config._attn_implementation == ATTENTION
    assert "_attn_implementation" not in model.config.to_json_string()
    model.train()
    ids = torch.tensor([[2, 5, 6, 7, 3, 0, 0], [2, 8, 9, 10, 11, 12, 3]])
    mask = (ids != 0).long()
    torch.manual_seed(5)
    dropped = model(input_ids=ids, attention_mask=mask).last_hidden_state[0, :5]
    for layer in model.modules():  # no hidden dropout; attention dropout so small that every element is kept,
        if isinstance(layer, FastDropout):  # but still taking electralab's path, which must get the padding mask
            layer.p = 0.0
    for layer in model.encoder.layer:
        layer.attention.self.dropout.p = 1e-9
    kept = model(input_ids=ids, attention_mask=mask).last_hidden_state[0, :5]
    alone = model(input_ids=ids[:1, :5]).last_hidden_state[0]
    torch.testing.assert_close(kept, alone, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(dropped, kept)  # dropout was on before


def test_gradient_checkpointing_replays_the_same_fast_masks(toy_encoder):
    from transformers import AutoModel

    def gradients(checkpointing: bool) -> dict[str, torch.Tensor]:
        model = AutoModel.from_pretrained(toy_encoder)
        use_fast_dropout(model)
        if checkpointing:
            model.gradient_checkpointing_enable()
        model.train()
        torch.manual_seed(1)
        model(input_ids=torch.randint(5, 40, (4, 10))).last_hidden_state.pow(2).mean().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain, checkpointed = gradients(False), gradients(True)
    assert plain.keys() == checkpointed.keys()
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], msg=name)


def test_cpu_run_uses_fast_masks_unless_asked_for_torch_and_both_learn(toy_encoder, toy_data, tmp_path):
    from electralab.config import build_config
    from electralab.training.recipe import run_training

    def train(masks: str):
        return run_training(
            build_config(
                overrides=[
                    f"model.name_or_path={toy_encoder}",
                    f"data.data_dir={toy_data}",
                    "data.train_file=train.csv",
                    "data.test_file=test.csv",
                    "train.epochs=4",
                    "train.learning_rate=2e-3",
                    "train.batch_size=16",
                    f"train.dropout_masks={masks}",
                    "train.report_to=[]",
                    "train.progress_bar=false",
                    f"output_dir={tmp_path / masks}",
                ]
            )
        )

    fast, plain = train("auto"), train("torch")
    assert any("drawn by electralab" in note and "attention" in note for note in fast.metrics["notes"])
    assert not any("dropout masks" in note for note in plain.metrics["notes"])
    assert fast.metrics["test"]["accuracy"] >= 0.9  # the toy task is learnt with either kind of mask
    assert plain.metrics["test"]["accuracy"] >= 0.9
