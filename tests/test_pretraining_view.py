"""The per-step view and the diagnostics, built from known tensors and checked row by row."""

from __future__ import annotations

import json
import math

import pytest
import torch
from rich.console import Console
from sklearn.metrics import roc_auc_score
from transformers import BertTokenizerFast

from electralab.pretraining.diagnostics import DiagnosticsAccumulator, roc_auc
from electralab.pretraining.model import ElectraPretrainingOutput
from electralab.pretraining.view import REPORT_NAME, append_view, build_view, rich_view, view_from_output

torch.set_num_threads(1)
WORDS = ["영화", "재밌", "##다", "정말", "별로", "배우", "연기", "최고", "ㅋㅋ", "지루"]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    vocab = tmp_path_factory.mktemp("view-vocab") / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n", encoding="utf-8")
    return BertTokenizerFast(vocab=str(vocab), do_lower_case=False, strip_accents=False)


def _ids(tokenizer, tokens):
    return torch.tensor(tokenizer.convert_tokens_to_ids(tokens))


# [CLS] 영화 정말 재밌 ##다 ㅋㅋ [SEP] [PAD] [PAD]
ORIGINAL = ["[CLS]", "영화", "정말", "재밌", "##다", "ㅋㅋ", "[SEP]", "[PAD]", "[PAD]"]
MASKED = [0, 1, 1, 0, 1, 1, 0, 0, 0]  # position 5 is sampled back to its original token
SAMPLED = ["[CLS]", "배우", "별로", "재밌", "##다", "ㅋㅋ", "[SEP]", "[PAD]", "[PAD]"]
LOGITS = [-3.0, 2.0, -1.0, 0.5, -2.0, 1.5, -4.0, 9.0, 9.0]  # pads score high but are not judged


def test_view_rows_match_the_masks_they_were_built_from(tokenizer):
    input_ids = _ids(tokenizer, ORIGINAL)
    attention_mask = torch.tensor([1] * 7 + [0, 0])
    masked = torch.tensor(MASKED, dtype=torch.bool)
    sampled = _ids(tokenizer, SAMPLED)
    logits = torch.tensor(LOGITS)
    view = build_view(tokenizer, input_ids, attention_mask, masked, sampled, logits, step=40)

    assert [row.position for row in view.rows] == list(range(7)), "padding is not a row"
    for row in view.rows:
        p = row.position
        assert row.original == ORIGINAL[p]
        assert row.masked == bool(MASKED[p])
        assert row.generator == (SAMPLED[p] if MASKED[p] else None)
        assert row.replaced == (bool(MASKED[p]) and SAMPLED[p] != ORIGINAL[p])
        assert row.flagged == (LOGITS[p] > 0)
        assert row.correct == (row.flagged == row.replaced)
        assert row.probability == pytest.approx(1 / (1 + math.exp(-LOGITS[p])), abs=1e-4)
    # replaced: 1 (caught), 2 (missed); flagged but original: 3, 5 (sampled back to the original)
    assert [r.position for r in view.rows if r.replaced] == [1, 2]
    assert [r.position for r in view.rows if not r.correct] == [2, 3, 5]
    assert (view.tokens, view.misjudged, view.replaced, view.caught) == (7, 3, 2, 1)
    assert view.summary() == "7 tokens, 3 misjudged — 2 replaced, 1 caught"
    assert [r.position for r in view.shown_rows()] == [1, 2, 3, 4, 5]
    assert view.original_text() == "영화 정말 재밌다 ㅋㅋ"
    assert view.corrupted_pieces() == [
        ("배우", "replaced flagged"),
        ("별로", "replaced"),
        ("재밌", "flagged"),
        ("##다", ""),
        ("ㅋㅋ", "flagged"),
    ]

    console = Console(record=True, width=120)
    console.print(rich_view(view))
    text = console.export_text()
    assert "step 40" in text and "7 tokens, 3 misjudged — 2 replaced, 1 caught" in text
    assert "corrupted: 배우 별로 재밌다 ㅋㅋ" in text


def test_html_report_keeps_every_view_and_is_rewritten(tokenizer, tmp_path):
    out = ElectraPretrainingOutput(
        input_ids=_ids(tokenizer, ORIGINAL).unsqueeze(0),
        attention_mask=torch.tensor([[1] * 7 + [0, 0]]),
        masked_positions=torch.tensor([MASKED], dtype=torch.bool),
        sampled_ids=_ids(tokenizer, SAMPLED).unsqueeze(0),
        discriminator_logits=torch.tensor([LOGITS]),
    )
    for step in (10, 20):
        append_view(tmp_path, view_from_output(out, tokenizer, step))
    html = (tmp_path / REPORT_NAME).read_text(encoding="utf-8")
    assert html.count("<section>") == 2 and html.index("step 20") < html.index("step 10")
    assert '<span class="replaced flagged">배우</span>' in html and '<span class="replaced">별로</span>' in html
    assert html.count("7 tokens, 3 misjudged — 2 replaced, 1 caught") == 2
    lines = (tmp_path / "pretrain_views.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["step"] for line in lines] == [10, 20]
    assert not list(tmp_path.glob(".pretrain_report.html.*")), "no temp file left behind"


def test_auc_matches_sklearn_with_ties():
    rng = torch.Generator().manual_seed(0)
    labels = torch.rand(500, generator=rng) < 0.2
    scores = torch.round(torch.randn(500, generator=rng) + labels.float(), decimals=1)  # many ties
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels.numpy(), scores.numpy()), abs=1e-9)
    assert math.isnan(roc_auc(scores, torch.zeros(500, dtype=torch.bool)))


def test_diagnostics_from_known_tensors():
    # One sequence of 6 real tokens + 1 pad; masked at 1, 2, 3; position 3 sampled back to the original.
    input_ids = torch.tensor([[2, 10, 11, 12, 13, 3, 0]])
    out = ElectraPretrainingOutput(
        input_ids=input_ids,
        attention_mask=torch.tensor([[1, 1, 1, 1, 1, 1, 0]]),
        masked_positions=torch.tensor([[0, 1, 1, 1, 0, 0, 0]], dtype=torch.bool),
        mlm_predictions=torch.tensor([[0, 10, 9, 12, 0, 0, 0]]),  # 2 of 3 right
        sampled_ids=torch.tensor([[2, 10, 14, 12, 13, 3, 0]]),  # sampled: 10 (orig), 14 (repl), 12 (orig) -> 2/3
        replaced_mask=torch.tensor([[0, 0, 1, 0, 0, 0, 0]], dtype=torch.bool),
        discriminator_logits=torch.tensor([[-1.0, 0.5, 2.0, -1.0, -2.0, -3.0, 5.0]]),
        mlm_loss=torch.tensor(1.0),
        rtd_loss=torch.tensor(0.5),
    )
    accumulator = DiagnosticsAccumulator()
    accumulator.add(out)
    metrics = accumulator.pop()
    assert metrics["mlm_accuracy"] == pytest.approx(2 / 3, abs=1e-6)
    assert metrics["sampled_accuracy"] == pytest.approx(2 / 3, abs=1e-6)
    assert metrics["disc_accuracy"] == pytest.approx(5 / 6, abs=1e-6)  # position 1 flagged wrongly
    assert metrics["disc_precision"] == pytest.approx(1 / 2, abs=1e-6)
    assert metrics["disc_recall"] == 1.0 and metrics["disc_auc"] == 1.0
    assert metrics["replaced_fraction"] == pytest.approx(1 / 6, abs=1e-6)
    assert (metrics["mlm_loss"], metrics["rtd_loss"]) == (1.0, 0.5)
    assert accumulator.pop() == {}, "pop starts over"
