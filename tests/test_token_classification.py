"""Token classification end to end on a learnable toy NER task, through the real CLI and the API."""

from __future__ import annotations

import json
import random

import pytest
from conftest import FILLER, SHARED_DATA, korean_vocabulary, write_encoder

import electralab as el
from electralab.cli import main
from electralab.data.tagging import read_tagged

PEOPLE = ["kim", "lee", "park", "choi"]
PLACES = ["seoul", "busan", "incheon"]


def toy_sentences(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """Filler words with people (one word, B-PER) and two-word places (B-LOC I-LOC: '<place> city')."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        words = [(w, "O") for w in rng.choices(FILLER, k=rng.randint(3, 8))]
        words.insert(rng.randrange(len(words) + 1), (rng.choice(PEOPLE), "B-PER"))
        at = rng.randrange(len(words) + 1)
        words[at:at] = [(rng.choice(PLACES), "B-LOC"), ("city", "I-LOC")]
        sentences.append(words)
    return sentences


def write_conll(path, sentences) -> None:
    lines = ["-DOCSTART- -X- -X- O", ""]
    for sentence in sentences:
        lines += [f"{word} X X {tag}" for word, tag in sentence] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def ner_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ner")
    for name, n, seed in (("train.txt", 300, 1), ("valid.txt", 40, 2), ("test.txt", 60, 3)):
        write_conll(folder / name, toy_sentences(n, seed))
    # places split into sub-words ("se ##oul"): the first sub-token carries the tag
    vocab = ["kim", "lee", "park", "choi", "city", "se", "##oul", "bu", "##san", "in", "##che", "##on", *FILLER]
    encoder = write_encoder(folder / "encoder", vocab)
    return folder, encoder


def _train(ner_data, out, *overrides):
    folder, encoder = ner_data
    code = main(
        ["train", "--preset", "conll2003", "--data-dir", str(folder), "--model", str(encoder), "--output-dir", str(out),
         "train.epochs=8", "train.learning_rate=2e-3", "train.batch_size=16", "train.warmup=0", "train.report_to=[]",
         "train.progress_bar=false", "model.cnn_filters=16", "model.rnn_hidden_size=16", *overrides]
    )  # fmt: skip
    assert code == 0
    (run_dir,) = out.iterdir()
    return run_dir, json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("head,crf", [("auto", "false"), ("lstm", "true"), ("cnn", "false")])
def test_heads_learn_the_toy_entities(ner_data, tmp_path, head, crf):
    run_dir, metrics = _train(ner_data, tmp_path / "out", f"model.head={head}", f"model.crf={crf}")
    saved = json.loads((run_dir / "model" / "config.json").read_text(encoding="utf-8"))
    assert saved["head"] == {"auto": "linear"}.get(head, head)
    assert metrics["test"]["f1"] >= 0.9, metrics["test"]
    assert set(metrics["test"]["per_class"]) == {"PER", "LOC"} and metrics["test"]["rows"] == 60
    assert "Per-class metrics" in (run_dir / "report.html").read_text(encoding="utf-8")
    # predictions/test.jsonl: one line per test sentence, its entities agreeing with the entity scores.
    rows = [json.loads(line) for line in (run_dir / "predictions" / "test.jsonl").read_text().splitlines()]
    assert len(rows) == metrics["test"]["rows"]
    key = lambda e: (e["start"], e["end"], e["label"])  # noqa: E731
    gold = sum(len(r["gold"]) for r in rows)
    hits = sum(len({key(e) for e in r["gold"]} & {key(e) for e in r["predicted"]}) for r in rows)
    assert gold == metrics["test"]["entities"] and hits / gold == pytest.approx(metrics["test"]["recall"])
    assert all(r["text"][e["start"] : e["end"]] == e["text"] for r in rows for e in r["gold"])


def test_predict_gives_entities_with_offsets_for_any_length(ner_data, tmp_path):
    run_dir, metrics = _train(ner_data, tmp_path / "out", "model.crf=true", "data.max_length=16")
    model = el.load_model(run_dir / "model")
    text = " ".join(FILLER[:30]) + " kim w3 seoul city"  # far past 16 tokens: windows, not truncation
    (result,) = el.predict(model, [text])
    found = {(e["text"], e["label"], e["start"]) for e in result["entities"]}
    assert found == {("kim", "PER", text.index("kim")), ("seoul city", "LOC", text.index("seoul"))}
    for entity in result["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"] and 0 < entity["score"] <= 1
    scores = el.evaluate(run_dir / "model", ner_data[0] / "test.txt")
    assert scores["f1"] == pytest.approx(metrics["test"]["f1"]) and scores["rows"] == 60


def test_bad_tags_are_repaired_or_refused(ner_data, tmp_path, capsys):
    folder, encoder = ner_data
    bad = tmp_path / "bad"
    bad.mkdir()
    sentences = toy_sentences(40, 5)
    sentences[0][0] = (sentences[0][0][0], "I-PER")  # an I- after nothing
    write_conll(bad / "train.txt", sentences)
    write_conll(bad / "valid.txt", toy_sentences(10, 6))
    write_conll(bad / "test.txt", [[("kim", "B-ORG")]])  # a tag training never saw
    common = ["train", "--preset", "conll2003", "--data-dir", str(bad), "--model", str(encoder),
              "--output-dir", str(tmp_path / "o"), "train.epochs=1", "train.report_to=[]"]  # fmt: skip
    assert main([*common, "data.invalid_tags=refuse"]) == 2
    assert "train.txt (sentence 1): 1 I- tag(s) continue no entity" in capsys.readouterr().err
    assert main(common) == 2
    assert "tags ['B-ORG'] do not occur in the training data" in capsys.readouterr().err
    assert main(["train", "--preset", "conll2003", "--data-dir", str(folder), "--model", str(encoder),
                 "--head", "mean"]) == 2  # fmt: skip
    assert "is a sequence head" in capsys.readouterr().err


def test_korean_characters_train_and_predict(tmp_path):
    data = read_tagged("klue_ner", SHARED_DATA / "klue_ner" / "klue-ner-v1.1_dev.tsv", max_rows=200)
    encoder = write_encoder(tmp_path / "ko", korean_vocabulary(data["text"][:], size=2000))
    out = tmp_path / "out"
    code = main(
        ["train", "--preset", "klue_ner", "--data-dir", str(SHARED_DATA / "klue_ner"), "--model", str(encoder),
         "--output-dir", str(out), "data.max_train_rows=200", "train.epochs=1", "train.report_to=[]",
         "train.progress_bar=false"]
    )  # fmt: skip
    assert code == 0
    (run_dir,) = out.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["test"]["rows"] == 40 and metrics["run"]["train_rows"] == 144  # 200 -> 20% test -> 10% dev
    (result,) = el.predict(run_dir / "model", ["김철수는 서울에서 2024년 3월에 일했다"])
    for entity in result["entities"]:
        assert "김철수는 서울에서 2024년 3월에 일했다"[entity["start"] : entity["end"]] == entity["text"]


def test_subtoken_units_give_the_pipelines_simple_entities(ner_data, tmp_path, capsys):
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    run_dir, _ = _train(ner_data, tmp_path / "out", "data.label_all_subtokens=true")
    texts = [" ".join(word for word, _ in sentence) for sentence in toy_sentences(30, 9)]
    texts[0] = "seoulcity kim  busan city"  # an entity ending inside a word; two spaces
    pipe = pipeline(
        "token-classification", model=AutoModelForTokenClassification.from_pretrained(run_dir / "model"),
        tokenizer=AutoTokenizer.from_pretrained(run_dir / "model"), aggregation_strategy="simple", device="cpu",
    )  # fmt: skip
    theirs = [{(e["entity_group"], e["start"], e["end"]) for e in found} for found in pipe(texts)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(run_dir / "model"), "--input", str(tmp_path / "in.txt"),
                 "--units", "token"]) == 0  # fmt: skip
    mine = [json.loads(line)["entities"] for line in capsys.readouterr().out.splitlines()]
    assert [{(e["label"], e["start"], e["end"]) for e in found} for found in mine] == theirs
    assert sum(len(found) for found in theirs) >= 60  # the toy entities are found, not two empty lists
    with pytest.raises(el.ConfigError, match="units='syllable'"):
        el.load_model(run_dir / "model", units="syllable")
