"""Extractive question answering: metrics, article splits, windows, decoding, a toy task end to end."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
from conftest import FILLER, write_encoder

import electralab as el
from electralab.cli import main
from electralab.data.squad import read_questions, split_by_article
from electralab.errors import ConfigError, DataError
from electralab.metrics.qa import (
    best_null_threshold,
    char_f1,
    exact_match,
    example_scores,
    normalize_answer,
    qa_scores,
    token_f1,
)
from electralab.models.loading import load_tokenizer
from electralab.tasks.qa_features import Windows, answer_tokens, best_answers, make_windows

NAMES = ["kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon"]
QUESTION = "what is it"


def toy_question(rng: random.Random, words: int) -> tuple[str, str, int]:
    """Filler words with one '<name> is <answer>' inside: the answer is the word after 'is'."""
    context = rng.choices(FILLER, k=words)
    at = rng.randrange(len(context) + 1)
    answer = rng.choice(NAMES)
    context[at:at] = ["is", answer]
    text = " ".join(context)
    start = len(" ".join(context[: at + 1])) + 1
    assert text[start : start + len(answer)] == answer
    return text, answer, start


def squad_file(
    path, articles: int, per_article: int, seed: int, words: tuple[int, int] = (4, 14), unanswerable: float = 0.0
):
    """A SQuAD JSON file of toy questions: ``articles`` articles of two paragraphs each.

    With ``unanswerable`` > 0, that share of the paragraphs has no 'is <name>' (SQuAD v2: ``is_impossible``).
    """
    rng = random.Random(seed)
    data = []
    for a in range(articles):
        paragraphs = []
        for p in range(2):
            qas = []
            context, answer, start = toy_question(rng, rng.randint(*words))
            impossible = rng.random() < unanswerable
            if impossible:
                context = " ".join(rng.choices(FILLER, k=rng.randint(*words)))
            for q in range(per_article // 2):
                answers = [] if impossible else [{"text": answer, "answer_start": start}]
                qas.append({"id": f"{a}-{p}-{q}", "question": QUESTION, "answers": answers,
                            "is_impossible": impossible})  # fmt: skip
            paragraphs.append({"context": context, "qas": qas})
        data.append({"title": f"article {a}", "paragraphs": paragraphs})
    path.write_text(json.dumps({"version": "toy", "data": data}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def qa_data(tmp_path_factory):
    """Toy SQuAD files (contexts of 4-30 words: some need two windows of 32 tokens) and a tiny encoder."""
    folder = tmp_path_factory.mktemp("qa")
    squad_file(folder / "toy.json", 60, 4, seed=1, words=(4, 30))
    encoder = write_encoder(folder / "encoder", FILLER + NAMES + ["is", "what", "it"])
    return folder, encoder


def _train(qa_data, out, *overrides):
    folder, encoder = qa_data
    code = main(
        ["train", "--preset", "korquad", "--data-dir", str(folder), "--model", str(encoder), "--output-dir", str(out),
         "data.train_file=toy.json", "data.max_length=32", "data.doc_stride=8", "train.epochs=4",
         "train.learning_rate=2e-3", "train.batch_size=16", "train.warmup=0", "train.report_to=[]",
         "train.progress_bar=false", *overrides]
    )  # fmt: skip
    assert code == 0
    (run_dir,) = out.iterdir()
    return run_dir, json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def trained(qa_data, tmp_path_factory):
    return _train(qa_data, tmp_path_factory.mktemp("qa-run"))


def test_squad_and_korquad_scores_match_hand_computed_values():
    assert normalize_answer("The  Cat, sat!") == "cat sat"
    assert exact_match("the cat", "Cat.") == 1.0 and exact_match("cats", "cat") == 0.0
    assert token_f1("the cat sat", "a cat sat on mat") == pytest.approx(2 / 3)  # P 2/2, R 2/4
    assert token_f1("1989년 2월", "1989년 2월 15일") == pytest.approx(0.8)  # P 2/2, R 2/3
    # KorQuAD: characters without spaces: 7 of 7 predicted, 7 of 10 gold -> 2 * 0.7 / 1.7
    assert char_f1("1989년 2월", "1989년 2월 15일") == pytest.approx(14 / 17)
    assert char_f1("《무정》", "무정") == 1.0  # KorQuAD drops 《》; SQuAD does not (not ASCII punctuation)
    assert exact_match("《무정》", "무정") == 0.0
    assert char_f1("서울", "부산") == 0.0
    # characters of "the cat sat" vs "a cat sat on mat": thecatsat vs acatsatonmat, 7 in common of 9 and 12
    sat = 2 * (7 / 9) * (7 / 12) / (7 / 9 + 7 / 12)
    assert char_f1("the cat sat", "a cat sat on mat") == pytest.approx(sat)
    scores = qa_scores(["the cat sat", "y", "dog"], [["a cat sat on mat"], ["x"], ["a cat", "Dog!"]])
    assert scores == pytest.approx(
        {"exact_match": 100 / 3, "f1": (2 / 3 + 0 + 1) / 3 * 100, "char_f1": (sat + 0 + 1) / 3 * 100, "rows": 3}
    )


def test_article_split_never_mixes_articles(tmp_path):
    questions = read_questions(squad_file(tmp_path / "toy.json", 20, 4, seed=3)).questions
    rest, carved = split_by_article(questions, 0.2, seed=7)
    assert len(set(carved["article"])) == 4 and len(set(rest["article"])) == 16
    assert not set(carved["article"]) & set(rest["article"])
    assert sorted(rest["id"][:] + carved["id"][:]) == sorted(questions["id"][:])
    assert split_by_article(questions, 0.2, seed=7)[1]["id"][:] == carved["id"][:]
    assert split_by_article(questions, 0.2, seed=8)[1]["id"][:] != carved["id"][:]


def test_korquad_splits_80_20_by_article():
    from conftest import SHARED_DATA

    path = SHARED_DATA / "korquad_v1" / "KorQuAD_v1.0_dev.json"
    if not path.is_file():
        pytest.skip("KorQuAD 1.0 dev file not present")
    found = read_questions(path)
    assert len(found.questions) == 5774 and not found.misplaced
    rest, test = split_by_article(found.questions, 0.2, seed=42)
    assert len(set(test["article"])) == 28 and not set(test["article"]) & set(rest["article"])
    config = el.load_config("korquad", model="unused", data_dir=path.parent)
    assert (config.data.max_length, config.data.doc_stride, config.task) == (384, 128, "question_answering")


def test_windows_hold_the_answer_or_point_at_the_first_token(qa_data):
    _, encoder = qa_data
    tokenizer = load_tokenizer(str(encoder))
    rng = random.Random(5)
    contexts, answers = [], []
    for words in (6, 40, 90):
        context, answer, start = toy_question(rng, words)
        contexts.append(context)
        answers.append({"text": [answer], "answer_start": [start]})
    windows = make_windows(tokenizer, [QUESTION] * 3, contexts, 32, 8, answers=answers)
    assert windows.owners.count(0) == 1 and windows.owners.count(2) > 4
    for w, owner in enumerate(windows.owners):
        offsets, answer = windows.offsets[w], answers[owner]
        start_char = answer["answer_start"][0]
        end_char = start_char + len(answer["text"][0])
        inside = [span for span in offsets if span is not None]
        assert len(windows.encoded["input_ids"][w]) <= 32
        if windows.starts[w] == 0:  # not inside: both point at the first token ([CLS])
            assert windows.ends[w] == 0 and not (inside[0][0] <= start_char and inside[-1][1] >= end_char)
        else:
            assert offsets[windows.starts[w]][0] == start_char and offsets[windows.ends[w]][1] == end_char
    for q, context in enumerate(contexts):  # never cut: every character of every context is in some window
        covered = {i for w, owner in enumerate(windows.owners) if owner == q
                   for span in windows.offsets[w] if span is not None for i in range(*span)}  # fmt: skip
        assert all(i in covered for i, char in enumerate(context) if not char.isspace())
    no_answer = {"text": [], "answer_start": []}
    assert answer_tokens([2, 5, 3], [(0, 0)] * 3, [None, 0, None], no_answer, tokenizer) == (0, 0)


def test_decoding_returns_exact_substrings_with_offsets(qa_data):
    tokenizer = load_tokenizer(str(qa_data[1]))
    contexts = ["w1 w2 is kim w3 w4", "w5 is lee w6 " * 12]
    windows = make_windows(tokenizer, ["what is it", "what is it"], contexts, 24, 6)
    starts = [np.full(len(ids), -10.0) for ids in windows.encoded["input_ids"]]
    ends = [np.full(len(ids), -10.0) for ids in windows.encoded["input_ids"]]
    starts[0][1], ends[0][2] = 50.0, 50.0  # question tokens: never an answer
    kim = next(k for k, span in enumerate(windows.offsets[0]) if span == (9, 12))
    starts[0][kim], ends[0][kim + 1] = 10.0, 9.0  # "kim w3"
    ends[0][kim] = 8.5
    last = [w for w, owner in enumerate(windows.owners) if owner == 1][-1]
    lee = [k for k, span in enumerate(windows.offsets[last]) if span and contexts[1][slice(*span)] == "lee"][-1]
    starts[last][lee], ends[last][lee] = 7.0, 7.0
    first_context = next(k for k, span in enumerate(windows.offsets[last]) if span is not None)
    assert lee >= first_context + 7
    starts[last][first_context], ends[last][first_context + 6] = 20.0, 20.0  # the highest: 7 tokens, over 5
    first, second = best_answers(contexts, windows, starts, ends, n_best=20, max_answer_length=5)
    assert first["answer"] == "kim w3" and (first["start"], first["end"]) == (9, 15)
    assert contexts[0][first["start"] : first["end"]] == first["answer"]
    assert second["answer"] == "lee" and contexts[1][second["start"] : second["end"]] == "lee"
    assert second["start"] == contexts[1].rindex("lee") and 0 < second["score"] <= 1
    (only,) = best_answers(["x"], Windows({}, [0], [[None, None]], [], []), [np.zeros(2)], [np.zeros(2)])
    assert only == {"answer": "", "start": 0, "end": 0, "score": 0.0}


def test_toy_task_learns_and_reloads_with_the_same_answers(qa_data, trained):
    run_dir, metrics = trained
    assert metrics["test"]["exact_match"] >= 90, metrics["test"]  # chance: about 1 in 20 tokens
    assert metrics["dev"]["f1"] >= 90 and metrics["run"]["task"] == "question_answering"
    # dev scores during training (windows in order, decoded per question) agree with the final evaluation's
    history = json.loads((run_dir / "log_history.json").read_text())
    assert max(entry["eval_f1"] for entry in history if "eval_f1" in entry) == pytest.approx(metrics["dev"]["f1"])
    rows = [json.loads(line) for line in (run_dir / "predictions" / "test.jsonl").read_text().splitlines()]
    assert len(rows) == metrics["test"]["rows"]
    assert sum(r["exact_match"] for r in rows) / len(rows) * 100 == pytest.approx(metrics["test"]["exact_match"])
    saved = json.loads((run_dir / "model" / "config.json").read_text())
    assert (saved["task"], saved["doc_stride"], saved["max_seq_length"]) == ("question_answering", 8, 32)
    assert 'electralab.answer(model, ["question"], ["context"])' in (run_dir / "model" / "README.md").read_text()
    questions = read_questions(qa_data[0] / "toy.json").questions
    contexts = dict(zip(questions["id"][:], questions["context"][:], strict=True))
    answers = el.answer(run_dir / "model", [r["question"] for r in rows], [contexts[r["id"]] for r in rows])
    for row, again in zip(rows, answers, strict=True):  # the reloaded folder answers as the trained model did
        assert (again["answer"], again["start"], again["end"]) == (row["answer"], row["start"], row["end"])
        assert again["score"] == pytest.approx(row["score"], abs=1e-4)
        assert contexts[row["id"]][again["start"] : again["end"]] == again["answer"]
    assert saved["answer_scoring"] == "logit_sum"
    predictor = el.load_model(run_dir / "model")
    pipeline_rule = el.answer(predictor, [r["question"] for r in rows], [contexts[r["id"]] for r in rows],
                              scoring="window_probability")  # fmt: skip
    rule_scores = qa_scores([a["answer"] for a in pipeline_rule], [r["gold"] for r in rows])
    assert rule_scores["exact_match"] >= 75, rule_scores  # the other rule on the same logits: still the answers
    assert any(abs(a["score"] - b["score"]) > 1e-3 for a, b in zip(answers, pipeline_rule, strict=True))
    assert all(0 < a["score"] <= 1 for a in pipeline_rule) and predictor.model.config.answer_scoring == "logit_sum"
    with pytest.raises(ConfigError, match="scoring='best'"):
        el.answer(predictor, [QUESTION], ["w1 is kim"], scoring="best")


def test_predict_through_the_cli_reads_long_contexts_whole(trained, tmp_path, capsys):
    run_dir, _ = trained
    rng = random.Random(11)
    short, short_answer, short_start = toy_question(rng, 8)
    long = " ".join(rng.choices(FILLER, k=130)) + " is jung " + " ".join(rng.choices(FILLER, k=2))  # 4x 32 tokens
    lines = [{"question": QUESTION, "context": short}, {"id": "long", "question": QUESTION, "context": long}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    model = str(run_dir / "model")
    code = main(["predict", "--model", model, "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "o")])
    assert code == 0
    first, second = [json.loads(line) for line in (tmp_path / "o").read_text().splitlines()]
    assert set(first) == {"answer", "start", "end", "score"}
    assert (first["answer"], first["start"]) == (short_answer, short_start)
    assert second["answer"] == "jung" and long[second["start"] : second["end"]] == "jung"
    assert second["start"] > len(long) * 0.9  # found in the last window
    from electralab.models.loading import load_tokenizer

    windows = make_windows(load_tokenizer(model), [QUESTION], [long], 32, 8)
    assert len(windows.owners) >= 6  # the context is 4x the window, read in overlapping windows
    capsys.readouterr()
    assert main(["evaluate", "--model", model, "--data", str(tmp_path / "in.jsonl")]) == 2  # no answers
    assert "no 'answers' object" in capsys.readouterr().err
    assert main(["predict", "--model", model]) == 2  # stdin: one text per line has no context
    assert "reads a .jsonl file of {question, context} lines: pass --input" in capsys.readouterr().err


def test_evaluate_scores_a_squad_file(qa_data, trained, capsys):
    run_dir, metrics = trained
    code = main(["evaluate", "--model", str(run_dir / "model"), "--data", str(qa_data[0] / "toy.json")])
    assert code == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["rows"] == 240 and scores["exact_match"] >= 90 and scores["f1"] >= scores["exact_match"]


def test_bad_questions_are_skipped_or_refused(qa_data, tmp_path, capsys):
    good = {"question": "what is it", "context": "w1 is kim", "answers": {"text": ["kim"], "answer_start": [6]}}
    misplaced = {**good, "id": "q-misplaced", "answers": {"text": ["kim"], "answer_start": [2]}}
    half = {**good, "id": "q-half", "answers": {"text": ["kim", "kim"], "answer_start": [6, 0]}}
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in (good, misplaced, half)), encoding="utf-8")
    found = read_questions(path)
    assert found.questions["id"][:] == ["1", "q-half"] and found.misplaced == ["q-misplaced", "q-half"]
    assert found.skipped == ["q-misplaced"] and found.questions["answers"][1]["answer_start"] == [6]
    for bad, message in (
        ({**good, "id": "q-empty", "question": "  "}, "id q-empty): empty or missing question"),
        ({**good, "id": "q-nocontext", "context": ""}, "id q-nocontext): empty or missing context"),
        ({**good, "id": "q-none", "answers": {"text": [], "answer_start": []}}, "unanswerable question"),
    ):
        path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
        with pytest.raises(DataError, match=re.escape(message)):
            read_questions(path)
    squad = json.loads((qa_data[0] / "toy.json").read_text())
    squad["data"][0]["paragraphs"][0]["qas"][0]["is_impossible"] = True
    (tmp_path / "v2.json").write_text(json.dumps(squad), encoding="utf-8")
    with pytest.raises(DataError, match=r"article 1, paragraph 1, question 1, id 0-0-0\): an unanswerable"):
        read_questions(tmp_path / "v2.json")
    # through a run: the misplaced answer is named in the notes, the question skipped
    squad = json.loads((qa_data[0] / "toy.json").read_text())
    squad["data"][5]["paragraphs"][1]["qas"][0]["answers"][0]["answer_start"] += 1
    (tmp_path / "toy.json").write_text(json.dumps(squad), encoding="utf-8")
    run_dir, metrics = _train((tmp_path, qa_data[1]), tmp_path / "out", "train.epochs=1")
    assert any("ids 5-1-0" in note and "1 questions had an answer not found" in note for note in metrics["notes"])
    with pytest.raises(DataError, match="question 2: empty context"):
        el.answer(run_dir / "model", ["what is it", "what is it"], ["w1 is kim", " "])
    with pytest.raises(ConfigError, match="context for every question"):
        el.predict(run_dir / "model", ["what is it"])
    long_question = " ".join(["what"] * 40)
    with pytest.raises(DataError, match="question 1: 40 tokens leave no room for the context"):
        el.answer(run_dir / "model", [long_question], ["w1 is kim"])


def test_config_keys_and_refused_settings(qa_data, tmp_path, capsys):
    keys = el.config_keys()
    assert "context tokens shared" in keys["data.doc_stride"] and "data.max_answer_length" in keys
    assert "question answering" in keys["data.n_best"].lower() or "start and end" in keys["data.n_best"]
    folder, encoder = qa_data
    common = ["train", "--preset", "korquad", "--data-dir", str(folder), "--model", str(encoder),
              "--output-dir", str(tmp_path / "x"), "data.train_file=toy.json"]  # fmt: skip
    assert main([*common, "data.max_length=32", "data.doc_stride=16"]) == 2
    assert "data.doc_stride=16: expected 0 to less than half" in capsys.readouterr().err
    assert main([*common, "train.metric_for_best=accuracy"]) == 2
    assert not (tmp_path / "x").exists()


def test_report_lists_the_worst_answered_questions(qa_data, tmp_path):
    from electralab.reports.html import write_report
    from electralab.tasks.question_answering import prediction_rows, worst_examples

    questions = read_questions(qa_data[0] / "toy.json", max_rows=4).questions
    golds = [a["text"][0] for a in questions["answers"][:]]
    answers = [{"answer": gold, "start": 0, "end": 0, "score": 0.9} for gold in golds]
    answers[2] = {"answer": "w1 w2", "start": 0, "end": 5, "score": 0.7}
    answers[1] = {"answer": f"{golds[1]} w3", "start": 0, "end": 5, "score": 0.8}
    examples = worst_examples(questions, prediction_rows(questions, answers))
    assert [e["predicted"] for e in examples] == ["w1 w2", f"{golds[1]} w3"]  # lowest F1 first, right ones left out
    html = write_report(tmp_path, {"test": qa_scores([a["answer"] for a in answers], [[g] for g in golds])}, [],
                        examples).read_text(encoding="utf-8")  # fmt: skip
    assert "Worst-answered questions (test)" in html and "w1 w2" in html and "<details>" in html


def test_check_reads_the_article_splits(qa_data, tmp_path):
    folder, encoder = qa_data
    config = el.load_config(
        "korquad",
        model=str(encoder),
        data_dir=folder,
        output_dir=tmp_path,
        overrides={"data.train_file": "toy.json", "data.max_length": 32, "data.doc_stride": 8},
    )
    result = el.check(config, tokenizer=False)
    assert {name: split["rows"] for name, split in result.report["splits"].items()} == {
        "train": 172, "dev": 20, "test": 48}  # fmt: skip


def test_unanswerable_scores_and_the_tuned_null_threshold():
    assert example_scores("", []) == {"exact_match": 1.0, "f1": 1.0, "char_f1": 1.0}
    assert example_scores("kim", []) == {"exact_match": 0.0, "f1": 0.0, "char_f1": 0.0}
    scores = qa_scores(["", "kim", "kim lee", ""], [[], [], ["kim"], ["lee"]])
    assert scores["exact_match"] == 25.0 and scores["f1"] == pytest.approx((1 + 0 + 2 / 3 + 0) / 4 * 100)
    assert scores["has_answer_f1"] == pytest.approx(100 / 3) and scores["no_answer_accuracy"] == 50.0
    assert scores["unanswerable_rows"] == 2 and "has_answer_f1" not in qa_scores(["a"], [["a"]])
    # answering q0 and q1 (differences -3, -1) and nothing for q2 (unanswerable) and q3 (its span scores 0.5):
    # 3 of 4, against 2.5 answering all and 1 answering none
    assert best_null_threshold([-3, -1, 2, 5], [1, 1, 0, 0.5], [False, False, True, False]) == -1
    assert best_null_threshold([1, 2], [0, 0], [True, True]) < 1  # all unanswerable: nothing answered


def test_null_answer_wins_by_the_threshold(qa_data):
    tokenizer = load_tokenizer(str(qa_data[1]))
    windows = make_windows(tokenizer, ["what is it"], ["w1 w2 is kim w3"], 24, 6)
    starts, ends = np.full(len(windows.offsets[0]), -10.0), np.full(len(windows.offsets[0]), -10.0)
    kim = windows.offsets[0].index((9, 12))
    starts[kim], ends[kim], starts[0], ends[0] = 3.0, 3.0, 4.0, 4.0  # null 8 vs span 6: difference 2
    (empty,) = best_answers(["w1 w2 is kim w3"], windows, [starts], [ends], null_threshold=0.0)
    assert (empty["answer"], empty["start"], empty["end"]) == ("", 0, 0) and empty["null_difference"] == 2.0
    (span,) = best_answers(["w1 w2 is kim w3"], windows, [starts], [ends], null_threshold=2.5)
    assert span["answer"] == "kim" and span["null_difference"] == 2.0
    (plain,) = best_answers(["w1 w2 is kim w3"], windows, [starts], [ends])  # SQuAD v1: the null never competes
    assert plain["answer"] == "kim" and "null_difference" not in plain


def test_toy_task_with_unanswerable_questions(qa_data, tmp_path):
    folder = tmp_path / "v2"
    folder.mkdir()
    squad_file(folder / "toy.json", 60, 4, seed=2, words=(4, 30), unanswerable=0.3)
    with pytest.raises(DataError, match="set data.unanswerable=true"):
        read_questions(folder / "toy.json")
    run_dir, metrics = _train((folder, qa_data[1]), tmp_path / "out", "data.unanswerable=true", "train.epochs=6")
    test = metrics["test"]
    assert test["unanswerable_rows"] > 5 and test["exact_match"] >= 85, test
    assert test["no_answer_accuracy"] >= 80 and test["has_answer_f1"] >= 80, test
    saved = json.loads((run_dir / "model" / "config.json").read_text())
    assert saved["unanswerable"] and saved["null_threshold"] == metrics["run"]["null_threshold"]
    context = " ".join(FILLER[:12])
    nothing, something = el.answer(run_dir / "model", [QUESTION, QUESTION], [context, "w1 w2 is kim w3"])
    assert nothing == {"answer": "", "start": 0, "end": 0, "score": nothing["score"]}
    assert something["answer"] == "kim"
    assert main(["evaluate", "--model", str(run_dir / "model"), "--data", str(folder / "toy.json")]) == 0


def random_questions(tokenizer, rng: random.Random, words: list[str], count: int, length: tuple[int, int]):
    """``count`` contexts of random ``words`` (``length`` words each) and their windows of 20 tokens, stride 4."""
    contexts = [" ".join(rng.choices(words, k=rng.randint(*length))) for _ in range(count)]
    return contexts, make_windows(tokenizer, [QUESTION] * count, contexts, 20, 4)


def random_logits(windows: Windows, generator: np.random.Generator, scales=None) -> tuple[list, list]:
    """Random start and end logits for every window, each window's multiplied by its ``scales`` entry if given."""
    lengths = [len(ids) for ids in windows.encoded["input_ids"]]
    scales = np.ones(len(lengths)) if scales is None else scales
    starts = [generator.normal(size=n) * scale for n, scale in zip(lengths, scales, strict=True)]
    ends = [generator.normal(size=n) * scale for n, scale in zip(lengths, scales, strict=True)]
    return starts, ends


def test_decoding_finds_the_best_span_over_all_windows(qa_data):
    """With n_best covering every token, the answer is the brute-force best start + end over all windows."""
    tokenizer = load_tokenizer(str(qa_data[1]))
    contexts, windows = random_questions(tokenizer, random.Random(4), FILLER + NAMES, 30, (3, 40))
    starts, ends = random_logits(windows, np.random.default_rng(0))
    found = best_answers(contexts, windows, starts, ends, n_best=20, max_answer_length=3)
    for q, context in enumerate(contexts):
        best = max(
            (starts[w][s] + ends[w][e], windows.offsets[w][s][0], windows.offsets[w][e][1])
            for w, owner in enumerate(windows.owners) if owner == q
            for s in range(20) for e in range(20)
            if s < len(windows.offsets[w]) and e < len(windows.offsets[w])
            and windows.offsets[w][s] is not None and windows.offsets[w][e] is not None and 0 <= e - s < 3
        )  # fmt: skip
        assert (found[q]["start"], found[q]["end"]) == best[1:] and found[q]["answer"] == context[best[1] : best[2]]


def pipeline_best(
    windows: Windows, question: int, context: str, starts, ends, max_answer_length: int
) -> tuple[float, int, int]:
    """The question-answering pipeline's choice, computed as it does: per-window softmaxes, best product."""
    found: dict[str, list] = {}  # the 4.x pipeline's get_answer: one answer per text, scores summed
    for w, owner in enumerate(windows.owners):
        if owner != question:
            continue
        offsets = windows.offsets[w]
        allowed = np.array([i == 0 or offsets[i] is not None for i in range(len(offsets))])
        start = np.exp(np.where(allowed, starts[w], -10000.0) - np.where(allowed, starts[w], -10000.0).max())
        end = np.exp(np.where(allowed, ends[w], -10000.0) - np.where(allowed, ends[w], -10000.0).max())
        start, end = start / start.sum(), end / end.sum()
        start[0] = end[0] = 0.0
        pairs = np.tril(np.triu(np.outer(start, end)), max_answer_length - 1)
        s, e = np.unravel_index(np.argmax(pairs), pairs.shape)
        text = context[offsets[s][0] : offsets[e][1]].lower()
        if text in found:
            found[text][0] += float(pairs[s, e])
        else:
            found[text] = [float(pairs[s, e]), offsets[s][0], offsets[e][1]]
    return tuple(sorted(found.values(), key=lambda answer: answer[0], reverse=True)[0])


def test_window_probability_scoring_is_the_pipelines_rule(qa_data):
    """Spans compared by start x end probability within each window: the pipeline's answer, not the logit sum's."""
    tokenizer = load_tokenizer(str(qa_data[1]))
    rng, generator = random.Random(5), np.random.default_rng(1)
    contexts, windows = random_questions(tokenizer, rng, FILLER + NAMES, 40, (3, 40))
    scales = generator.uniform(0.5, 6.0, size=len(windows.owners))  # peaked and flat windows
    starts, ends = random_logits(windows, generator, scales)
    found = best_answers(contexts, windows, starts, ends, n_best=5, max_answer_length=3, scoring="window_probability")
    by_logits = best_answers(contexts, windows, starts, ends, n_best=5, max_answer_length=3)
    for q, context in enumerate(contexts):
        score, start, end = pipeline_best(windows, q, context, starts, ends, 3)
        assert (found[q]["start"], found[q]["end"]) == (start, end) and found[q]["answer"] == context[start:end]
        assert found[q]["score"] == pytest.approx(score, abs=1e-6)
    # two words only, one-token answers: the same text wins in several windows, and the pipeline merges those
    repeated, repeated_windows = random_questions(tokenizer, rng, ["kim", "lee"], 40, (20, 40))
    more_starts, more_ends = random_logits(repeated_windows, generator)
    merged = best_answers(repeated, repeated_windows, more_starts, more_ends, max_answer_length=1,
                          scoring="window_probability")  # fmt: skip
    for q, context in enumerate(repeated):
        score, start, end = pipeline_best(repeated_windows, q, context, more_starts, more_ends, 1)
        assert (merged[q]["start"], merged[q]["end"]) == (start, end)
        assert merged[q]["score"] == pytest.approx(score, abs=1e-6)
    differ = sum((a["start"], a["end"]) != (b["start"], b["end"]) for a, b in zip(found, by_logits, strict=True))
    assert differ >= 3, "the two rules should pick different windows' spans somewhere in this data"
    with pytest.raises(ConfigError, match="logit_sum, window_probability"):
        best_answers(contexts, windows, starts, ends, scoring="softmax")
