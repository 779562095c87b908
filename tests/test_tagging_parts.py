"""NER building blocks: the CRF against brute force, constrained transitions, alignment round trips, readers."""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from conftest import SHARED_DATA
from transformers import AutoTokenizer

from electralab.data.tag_align import token_labels, unit_tags, unreachable_entities
from electralab.data.tag_scheme import entity_spans, repair
from electralab.data.tagging import read_tagged
from electralab.errors import DataError
from electralab.models.crf import CRF, allowed_transitions, gather_left, scatter_back

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _brute_force(crf: CRF, emissions: torch.Tensor, length: int) -> tuple[float, list[int], float]:
    """log Z, the best path and its score by enumerating every path of ``length`` tags."""
    with torch.no_grad():
        start, moves = crf._scores()
    scores = {}
    for path in itertools.product(range(len(LABELS)), repeat=length):
        score = start[path[0]] + emissions[0, path[0]]
        for t in range(1, length):
            score = score + moves[path[t - 1], path[t]] + emissions[t, path[t]]
        scores[path] = float((score + crf.end[path[-1]]).detach())
    best = max(scores, key=scores.get)
    return float(torch.logsumexp(torch.tensor(list(scores.values())), 0)), list(best), scores[best]


def test_crf_forward_and_viterbi_match_brute_force():
    torch.manual_seed(0)
    crf = CRF(LABELS)
    with torch.no_grad():
        crf.transitions.normal_()
        crf.start.normal_()
        crf.end.normal_()
    emissions = torch.randn(2, 4, len(LABELS))
    lengths = torch.tensor([4, 3])
    log_z = crf.log_partition(emissions, lengths)
    paths = crf.decode(emissions, lengths)
    for row, length in enumerate(lengths.tolist()):
        expected_z, best, best_score = _brute_force(crf, emissions[row], length)
        assert log_z[row].item() == pytest.approx(expected_z, abs=1e-4)
        assert paths[row, :length].tolist() == best
        gold = torch.tensor([best + [0] * (4 - length)])
        score = crf.path_score(emissions[row : row + 1], gold, lengths[row : row + 1])
        assert score.item() == pytest.approx(best_score, abs=1e-4)


def test_constrained_transitions_forbid_i_after_o_or_another_type():
    start, moves = allowed_transitions(LABELS)
    index = {tag: i for i, tag in enumerate(LABELS)}
    assert not start[index["I-PER"]] and start[index["B-PER"]]
    assert not moves[index["O"], index["I-PER"]] and not moves[index["B-LOC"], index["I-PER"]]
    assert moves[index["B-PER"], index["I-PER"]] and moves[index["I-PER"], index["O"]]
    crf = CRF(LABELS)
    emissions = torch.full((1, 3, 5), -5.0)
    emissions[0, :, LABELS.index("I-PER")] = 5.0  # emissions alone say I-PER I-PER I-PER
    path = crf.decode(emissions, torch.tensor([3]))[0].tolist()
    assert [LABELS[i] for i in path][0] != "I-PER" and LABELS[path[1]] in ("I-PER", "B-PER", "O", "B-LOC")


def test_gather_and_scatter_are_inverse():
    values = torch.arange(10).view(2, 5)
    mask = torch.tensor([[1, 0, 1, 1, 0], [0, 1, 0, 0, 0]], dtype=torch.bool)
    gathered, lengths = gather_left(values, mask)
    assert lengths.tolist() == [3, 1] and gathered[0, :3].tolist() == [0, 2, 3] and gathered[1, 0] == 6
    back = scatter_back(gathered, mask)
    assert back.tolist() == [[0, -100, 2, 3, -100], [-100, 6, -100, -100, -100]]


def test_repair_turns_orphan_inside_tags_into_beginnings():
    fixed, count = repair(["O", "I-PER", "I-PER", "B-LOC", "I-PER"])
    assert fixed == ["O", "B-PER", "I-PER", "B-LOC", "B-PER"] and count == 2
    assert entity_spans(fixed) == [("PER", 1, 2), ("LOC", 3, 3), ("PER", 4, 4)]


def test_word_alignment_labels_first_subtokens_and_maps_back(tmp_path):
    from conftest import FILLER, write_encoder

    tokenizer = AutoTokenizer.from_pretrained(write_encoder(tmp_path / "enc", ["good", "##great", "bad", *FILLER]))
    text, starts, ends, tags = "goodgreat w1 bad", [0, 10, 13], [9, 12, 16], ["B-PER", "O", "B-LOC"]
    encoded = tokenizer(text, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    label2id = {tag: i for i, tag in enumerate(LABELS)}
    first = token_labels(offsets, starts, ends, tags, label2id)
    assert [LABELS[i] if i >= 0 else None for i in first] == [None, "B-PER", None, "O", "B-LOC", None]
    every = token_labels(offsets, starts, ends, tags, label2id, label_all_subtokens=True)
    assert LABELS[every[2]] == "I-PER"  # the second sub-token of goodgreat continues the entity
    token_tags = [LABELS[i] if i >= 0 else None for i in first]
    assert unit_tags(offsets, token_tags, starts, ends) == tags


def test_every_klue_ner_entity_survives_the_round_trip_through_tokens():
    """Characters -> tokens -> characters on the whole KLUE-NER file with a character-level WordPiece."""
    from conftest import korean_vocabulary, write_encoder

    data = read_tagged("klue_ner", SHARED_DATA / "klue_ner" / "klue-ner-v1.1_dev.tsv")
    assert len(data) == 5000
    import tempfile
    from pathlib import Path

    folder = write_encoder(Path(tempfile.mkdtemp()) / "ko", korean_vocabulary(data["text"][:], size=3000))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    total = lost = 0
    for row in data:
        offsets = tokenizer(row["text"], return_offsets_mapping=True)["offset_mapping"]
        entities, missing = unreachable_entities(offsets, row["starts"], row["ends"], row["tags"])
        total, lost = total + entities, lost + missing
    assert total == 14257  # PS 4,418 + QT 3,151 + DT 2,312 + OG 2,182 + LC 1,649 + TI 545 (SOURCE.md)
    assert lost == 0


def test_sentencepiece_offsets_with_a_leading_space_still_start_their_unit():
    # XLM-R style: "▁서울" has the offsets of " 서울" (the space included)
    starts, ends, tags = [0, 2, 3], [1, 3, 4], ["B-PS", "B-LC", "I-LC"]  # text "김 서울"
    offsets = [(0, 0), (0, 1), (1, 4), (0, 0)]
    label2id = {"O": 0, "B-PS": 1, "I-PS": 2, "B-LC": 3, "I-LC": 4}
    assert token_labels(offsets, starts, ends, tags, label2id) == [-100, 1, 3, -100]
    assert unit_tags(offsets, [None, "B-PS", "B-LC", None], starts, ends) == tags
    assert unreachable_entities(offsets, starts, ends, tags) == (2, 0)


def test_readers_conll_klue_and_jsonl(tmp_path):
    conll = read_tagged("conll", SHARED_DATA / "conll2003" / "valid.txt", max_rows=3)
    assert conll[0]["text"] == "CRICKET - LEICESTERSHIRE TAKE OVER AT TOP AFTER INNINGS VICTORY ."
    assert conll[0]["tags"][:3] == ["O", "O", "B-ORG"] and conll[0]["starts"][2] == 10
    path = tmp_path / "x.jsonl"
    rows = [{"tokens": ["Kim", "visited", "Seoul"], "tags": ["B-PER", "O", "B-LOC"]},
            {"text": "김철수는 서울에", "entities": [{"start": 0, "end": 3, "label": "PS"}]}]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    data = read_tagged("tagged_jsonl", path)
    assert data[1]["tags"][:4] == ["B-PS", "I-PS", "I-PS", "O"] and data[1]["starts"][4] == 5  # space skipped
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"tokens": ["a", "b"], "tags": ["O"]}\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 1: 2 tokens but 1 tags"):
        read_tagged("tagged_jsonl", bad)
    broken = tmp_path / "bad.txt"
    broken.write_text("EU B-ORG\nrejects\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: expected a token and its tag"):
        read_tagged("conll", broken)


def test_report_highlights_gold_and_predicted_spans(tmp_path):
    from datasets import Dataset

    from electralab.reports.html import write_report
    from electralab.tasks.token_classification import prediction_rows, sentence_examples

    text = "김철수 씨는 <서울>에서 일한다"
    words = text.split(" ")
    starts = [text.index(word) for word in words]
    raw = Dataset.from_dict({"text": [text, "no entity"], "starts": [starts, [0, 3]],
                             "ends": [[s + len(w) for s, w in zip(starts, words, strict=True)], [2, 9]]})  # fmt: skip
    gold = [["B-PER", "O", "B-LOC", "O"], ["O", "O"]]
    guess = [["B-PER", "O", "O", "B-LOC"], ["O", "O"]]
    (example,) = sentence_examples(prediction_rows(raw, gold, guess))
    assert example["gold_spans"] == [[0, 3, "PER"], [7, 13, "LOC"]]
    assert example["predicted_spans"] == [[0, 3, "PER"], [14, 17, "LOC"]] and example["confidence"] == 2.0
    page = write_report(tmp_path, {}, [], [example]).read_text(encoding="utf-8")
    assert page.count('<mark class="hit">김철수<sub>PER</sub></mark>') == 2  # in the gold and the predicted line
    assert '<mark class="missed">&lt;서울&gt;에서<sub>LOC</sub></mark>' in page
    assert '<mark class="spurious">일한다<sub>LOC</sub></mark>' in page


def test_length_batches_keep_rows_and_token_budgets():
    from electralab.models.batching import length_batches

    lengths = [30, 5, 100, 7, 6, 200, 8, 9]
    batches = length_batches(lengths, batch_size=3, max_tokens=40)
    assert sorted(int(i) for batch in batches for i in batch) == list(range(8))  # every row once
    for batch in batches:
        assert len(batch) <= 3 and (len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 40)
    assert [[lengths[i] for i in batch] for batch in batches] == [[5, 6, 7], [8, 9], [30], [100], [200]]
    assert len(length_batches(lengths, batch_size=3)) == 3  # rows only
