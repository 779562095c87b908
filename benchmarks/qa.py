"""Extractive question answering (KorQuAD 1.0) against a plain Hugging Face reference, and prediction speed.

    cd benchmarks
    ../.venv/bin/python qa.py korquad                      # me5-small, 80/20 by article, 2,000 questions, 2 epochs
    ../.venv/bin/python qa.py speed --model <run>/model    # prediction: ours vs the question-answering pipeline
    ../.venv/bin/python qa.py scoring --model <run>/model  # test EM / F1 under each answer-scoring rule

``korquad``: KorQuAD 1.0 dev split 80/20 by article (seed 42; 10% of the training articles are carved as dev
for our recipe and held out of both), the first 2,000 training questions, windows of 256 tokens with a stride
of 64, 2 epochs, batch 16, learning rate 5e-5, warmup 10%, word embeddings frozen in both runs, the whole test
part. Ours: ``electralab`` with the ``korquad`` preset (no dev evaluation during training: the last model, as
the reference). Reference: ``AutoModelForQuestionAnswering`` + ``Trainer`` on the same question rows, with the
feature preparation and the post-processing of Hugging Face's question-answering example (``run_qa.py``,
``utils_qa.py``) written out below, independent of electralab's code. Both are scored with the same SQuAD v1.1
EM / F1 and KorQuAD character F1.

``speed``: questions per second of our predictor (windows batched by length) against the question-answering
pipeline on the same model and questions (the pipeline in fp32; ours at fp32, bf16 where the CPU has it, and
int8; interleaved rounds), and how often each gives the pipeline's answer span: ours answers by the pipeline's
rule (``scoring="window_probability"``); our default rule (``logit_sum``) is counted too.
``pipeline("question-answering")`` was removed in transformers 5; when it is missing, the baseline is its
algorithm (transformers 4.x ``QuestionAnsweringPipeline``: one window per forward pass, softmax start and end
probabilities masked to the context, the best start x end product up to ``max_answer_len`` tokens, offsets not
widened to words, the model fed its tokenizer's ``model_input_names`` only, answers of the same text across windows
merged with their scores summed) re-implemented here, which omits the
pipeline's own overhead (so it flatters the baseline); ``qa_pipeline4.py`` checks it against the real pipeline.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import numpy as np
import torch
from common import SHARED, cpu_description, fresh_dir, offline_model, save_result

KORQUAD = SHARED / "data" / "korquad_v1"


def settings(args: argparse.Namespace, out) -> list[str]:
    overrides = [
        f"data.data_dir={args.data}", f"data.max_length={args.max_length}", f"data.doc_stride={args.stride}",
        f"data.max_train_rows={args.train_questions}", f"train.epochs={args.epochs}", "train.batch_size=16",
        "train.learning_rate=5e-5", "train.warmup=0.1", "train.freeze_word_embeddings=true", "train.report_to=[]",
        "train.progress_bar=false", "train.eval_strategy='no'", f"output_dir={out}",
    ]  # fmt: skip
    if args.test_questions:
        overrides.append(f"data.max_test_rows={args.test_questions}")
    return overrides + list(args.set or [])


def ours(model: str, overrides: list[str]) -> dict:
    from electralab.api import fit, load_config

    started = time.perf_counter()
    result = fit(load_config("korquad", model=model, overrides=overrides), run_name="korquad-ours")
    test = result.metrics["test"]
    return {"exact_match": test["exact_match"], "f1": test["f1"], "char_f1": test["char_f1"], "rows": test["rows"],
            "seconds": round(time.perf_counter() - started, 1), "model_dir": str(result.model_dir)}  # fmt: skip


def finished(run_dir: str) -> dict:
    """Our side read back from a finished run folder (``--ours-run``: the reference run alone, later)."""
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text(encoding="utf-8"))
    test = metrics["test"]
    return {"exact_match": test["exact_match"], "f1": test["f1"], "char_f1": test["char_f1"], "rows": test["rows"],
            "train_seconds": metrics["run"]["train_seconds"], "model_dir": str(Path(run_dir) / "model")}  # fmt: skip


def reference(model: str, overrides: list[str], out) -> dict:
    """Plain Hugging Face on the same question rows: the question-answering example's features and decoding."""
    from transformers import (
        AutoModelForQuestionAnswering,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from electralab.api import load_config
    from electralab.metrics.qa import qa_scores
    from electralab.tasks.qa_data import read_splits  # the same rows; nothing else of electralab below

    config = load_config("korquad", model=model, overrides=overrides)
    data, train_config = config.data, config.train
    raw, _ = read_splits(data, train_config.seed)
    tokenizer = AutoTokenizer.from_pretrained(model)
    max_length, stride = min(data.max_length, tokenizer.model_max_length), data.doc_stride
    pad_on_right = tokenizer.padding_side == "right"

    def tokenize(examples: dict) -> dict:
        questions = [q.lstrip() for q in examples["question"]]
        return tokenizer(
            questions if pad_on_right else examples["context"], examples["context"] if pad_on_right else questions,
            truncation="only_second" if pad_on_right else "only_first", max_length=max_length, stride=stride,
            return_overflowing_tokens=True, return_offsets_mapping=True,
        )  # fmt: skip

    def prepare_train_features(examples: dict) -> dict:
        tokenized = tokenize(examples)
        sample_mapping = tokenized.pop("overflow_to_sample_mapping")
        offset_mapping = tokenized.pop("offset_mapping")
        tokenized["start_positions"], tokenized["end_positions"] = [], []
        for i, offsets in enumerate(offset_mapping):
            input_ids = tokenized["input_ids"][i]
            if tokenizer.cls_token_id in input_ids:
                cls_index = input_ids.index(tokenizer.cls_token_id)
            elif tokenizer.bos_token_id in input_ids:
                cls_index = input_ids.index(tokenizer.bos_token_id)
            else:
                cls_index = 0
            sequence_ids = tokenized.sequence_ids(i)
            answers = examples["answers"][sample_mapping[i]]
            if len(answers["answer_start"]) == 0:
                tokenized["start_positions"].append(cls_index)
                tokenized["end_positions"].append(cls_index)
                continue
            start_char = answers["answer_start"][0]
            end_char = start_char + len(answers["text"][0])
            token_start_index = 0
            while sequence_ids[token_start_index] != (1 if pad_on_right else 0):
                token_start_index += 1
            token_end_index = len(input_ids) - 1
            while sequence_ids[token_end_index] != (1 if pad_on_right else 0):
                token_end_index -= 1
            if not (offsets[token_start_index][0] <= start_char and offsets[token_end_index][1] >= end_char):
                tokenized["start_positions"].append(cls_index)
                tokenized["end_positions"].append(cls_index)
            else:
                while token_start_index < len(offsets) and offsets[token_start_index][0] <= start_char:
                    token_start_index += 1
                tokenized["start_positions"].append(token_start_index - 1)
                while offsets[token_end_index][1] >= end_char:
                    token_end_index -= 1
                tokenized["end_positions"].append(token_end_index + 1)
        return tokenized

    def prepare_validation_features(examples: dict) -> dict:
        tokenized = tokenize(examples)
        sample_mapping = tokenized.pop("overflow_to_sample_mapping")
        tokenized["example_id"] = []
        for i in range(len(tokenized["input_ids"])):
            sequence_ids = tokenized.sequence_ids(i)
            context_index = 1 if pad_on_right else 0
            tokenized["example_id"].append(examples["id"][sample_mapping[i]])
            tokenized["offset_mapping"][i] = [
                (o if sequence_ids[k] == context_index else None) for k, o in enumerate(tokenized["offset_mapping"][i])
            ]
        return tokenized

    train = raw["train"].map(prepare_train_features, batched=True, remove_columns=raw["train"].column_names)
    set_seed(train_config.seed)
    hf = AutoModelForQuestionAnswering.from_pretrained(model)
    hf.get_input_embeddings().weight.requires_grad_(False)
    arguments = TrainingArguments(
        output_dir=str(out / "reference"), num_train_epochs=train_config.epochs,
        learning_rate=train_config.learning_rate, per_device_train_batch_size=train_config.batch_size,
        per_device_eval_batch_size=train_config.eval_batch_size, warmup_steps=train_config.warmup_steps(),
        weight_decay=train_config.weight_decay, seed=train_config.seed, save_strategy="no", report_to=[],
        disable_tqdm=True, logging_steps=100,
    )  # fmt: skip
    trainer = Trainer(model=hf, args=arguments, train_dataset=train, data_collator=DataCollatorWithPadding(tokenizer))
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    test = raw["test"]
    features = test.map(prepare_validation_features, batched=True, remove_columns=test.column_names)
    output = trainer.predict(features.remove_columns(["example_id", "offset_mapping"]))
    answers = postprocess_qa_predictions(test, features, output.predictions[:2], data.n_best, data.max_answer_length)
    scores = qa_scores([answers[i] for i in test["id"][:]], [a["text"] for a in test["answers"][:]])
    return {**scores, "train_seconds": round(seconds, 1), "train_windows": len(train)}


def postprocess_qa_predictions(examples, features, predictions, n_best_size: int, max_answer_length: int) -> dict:
    """``utils_qa.postprocess_qa_predictions`` of the Hugging Face example (SQuAD v1: no null answer)."""
    all_start_logits, all_end_logits = predictions
    example_id_to_index = {k: i for i, k in enumerate(examples["id"][:])}
    features_per_example = collections.defaultdict(list)
    for i, example_id in enumerate(features["example_id"][:]):
        features_per_example[example_id_to_index[example_id]].append(i)
    offsets_of = features["offset_mapping"][:]
    all_predictions = collections.OrderedDict()
    for example_index, example in enumerate(examples):
        prelim_predictions = []
        for feature_index in features_per_example[example_index]:
            start_logits, end_logits = all_start_logits[feature_index], all_end_logits[feature_index]
            offset_mapping = offsets_of[feature_index]
            start_indexes = np.argsort(start_logits)[-1 : -n_best_size - 1 : -1].tolist()
            end_indexes = np.argsort(end_logits)[-1 : -n_best_size - 1 : -1].tolist()
            for start_index in start_indexes:
                for end_index in end_indexes:
                    if (
                        start_index >= len(offset_mapping)
                        or end_index >= len(offset_mapping)
                        or offset_mapping[start_index] is None
                        or offset_mapping[end_index] is None
                    ):
                        continue
                    if end_index < start_index or end_index - start_index + 1 > max_answer_length:
                        continue
                    prelim_predictions.append({
                        "offsets": (offset_mapping[start_index][0], offset_mapping[end_index][1]),
                        "score": start_logits[start_index] + end_logits[end_index],
                    })  # fmt: skip
        predictions = sorted(prelim_predictions, key=lambda x: x["score"], reverse=True)[:n_best_size]
        context = example["context"]
        for pred in predictions:
            offsets = pred.pop("offsets")
            pred["text"] = context[offsets[0] : offsets[1]]
        if len(predictions) == 0 or (len(predictions) == 1 and predictions[0]["text"] == ""):
            predictions.insert(0, {"text": "empty", "score": 0.0})
        all_predictions[example["id"]] = predictions[0]["text"]
    return all_predictions


def korquad(args: argparse.Namespace) -> dict:
    model = args.model or offline_model("me5-small")
    out = fresh_dir(args.out or "out/qa_korquad")
    overrides = settings(args, out)
    result = {"model": model, "data": "KorQuAD 1.0 dev, 80/20 by article (seed 42)", "word_embeddings": "frozen (both)",
              "train_questions": args.train_questions, "max_length": args.max_length, "stride": args.stride,
              "epochs": args.epochs, "overrides": list(args.set or [])}  # fmt: skip
    result["ours"] = finished(args.ours_run) if args.ours_run else ours(model, overrides)
    if not args.ours_only:
        result["reference"] = reference(model, overrides, out)
        result["gap_points"] = {key: round(result["reference"][key] - result["ours"][key], 2)
                                for key in ("exact_match", "f1", "char_f1")}  # fmt: skip
    return result


def scoring(args: argparse.Namespace) -> dict:
    """EM / F1 / char F1 of a trained model on the whole test part under each answer-scoring rule (fp32)."""
    from electralab.api import answer, load_config, load_model
    from electralab.metrics.qa import qa_scores
    from electralab.tasks.qa_data import read_splits
    from electralab.tasks.qa_features import ANSWER_SCORINGS

    config = load_config("korquad", model=args.model, overrides=[f"data.data_dir={args.data}"])
    test = read_splits(config.data, config.train.seed)[0]["test"]
    gold = [row["text"] for row in test["answers"][:]]
    predictor = load_model(args.model)
    rules = {}
    for rule in ANSWER_SCORINGS:
        found = answer(predictor, test["question"][:], test["context"][:], batch_size=args.batch_size, scoring=rule)
        rules[rule] = {key: round(value, 2) for key, value in qa_scores([a["answer"] for a in found], gold).items()}
        print(rule, rules[rule], flush=True)
    return {"model": args.model, "questions": len(test), "precision": "fp32", "scores": rules}


class PipelineAlgorithm:
    """transformers 4.x ``QuestionAnsweringPipeline`` for one question at a time (top_k=1, align_to_words=False)."""

    def __init__(self, model, tokenizer, max_seq_len: int, doc_stride: int, max_answer_len: int) -> None:
        self.model, self.tokenizer = model.eval(), tokenizer
        self.max_seq_len, self.doc_stride, self.max_answer_len = max_seq_len, doc_stride, max_answer_len

    @torch.inference_mode()
    def __call__(self, question: str, context: str) -> dict:
        encoded = self.tokenizer(
            question, context, truncation="only_second", max_length=self.max_seq_len, stride=self.doc_stride,
            return_overflowing_tokens=True, return_offsets_mapping=True, return_token_type_ids=True,
        )  # fmt: skip
        found: dict[str, list] = {}  # one answer per text (ignoring case), scores summed: the pipeline's get_answer
        for span in range(len(encoded["input_ids"])):
            # the pipeline feeds the model its tokenizer's model_input_names only (an XLM-R tokenizer: no token
            # types, though asked for them above; feeding them changes a BERT-shaped encoder's logits)
            inputs = {key: torch.tensor([encoded[key][span]]) for key in self.tokenizer.model_input_names}
            output = self.model(**inputs)
            start, end = output.start_logits[0].numpy(), output.end_logits[0].numpy()
            p_mask = np.array([token != 1 for token in encoded.sequence_ids(span)])
            ids = np.array(encoded["input_ids"][span])
            if self.tokenizer.cls_token_id is not None:
                p_mask[ids == self.tokenizer.cls_token_id] = False
            allowed = ~p_mask
            start = np.where(allowed, start, -10000.0)
            end = np.where(allowed, end, -10000.0)
            start = np.exp(start - start.max()) / np.exp(start - start.max()).sum()
            end = np.exp(end - end.max()) / np.exp(end - end.max()).sum()
            start[0] = end[0] = 0.0
            candidates = np.tril(np.triu(np.outer(start, end)), self.max_answer_len - 1)
            s, e = np.unravel_index(np.argmax(candidates), candidates.shape)
            if not (allowed[s] and allowed[e]):
                continue
            offsets = encoded["offset_mapping"][span]
            text = context[offsets[s][0] : offsets[e][1]].lower()
            if text in found:
                found[text][0] += float(candidates[s, e])
            else:
                found[text] = [float(candidates[s, e]), offsets[s][0], offsets[e][1]]
        ranked = sorted(found.values(), key=lambda answer: answer[0], reverse=True)
        score, begin, finish = ranked[0] if ranked else (0.0, 0, 0)
        return {"score": score, "start": begin, "end": finish, "answer": context[begin:finish]}


def speed(args: argparse.Namespace) -> dict:
    """Questions per second and the same answer spans: our predictor vs the question-answering pipeline (fp32).

    Ours answers by the pipeline's rule (``scoring="window_probability"``) at each precision; the same spans
    with our default rule (``logit_sum``, fp32) are counted too, untimed.
    """
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    import electralab.models  # noqa: F401  (the Auto classes load our model folder)
    from electralab.api import answer, load_config, load_model
    from electralab.engine.device import cpu_has_bf16
    from electralab.tasks.qa_data import read_splits
    from electralab.tasks.qa_features import make_windows

    config = load_config("korquad", model=args.model, overrides=[f"data.data_dir={args.data}"])
    test = read_splits(config.data, config.train.seed)[0]["test"]
    count = min(args.questions, len(test))
    questions, contexts = test["question"][:count], test["context"][:count]
    if args.questions_out:  # for qa_pipeline4.py, which runs the real 4.x pipeline in another environment
        rows = [{"question": q, "context": c} for q, c in zip(questions, contexts, strict=True)]
        Path(args.questions_out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    predictor = load_model(args.model)
    settings_ = predictor.model.config
    model = AutoModelForQuestionAnswering.from_pretrained(args.model)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    lengths = (predictor.max_length, min(settings_.doc_stride, predictor.max_length // 2), settings_.max_answer_length)
    try:
        from transformers import pipeline

        real = pipeline("question-answering", model=model, tokenizer=tokenizer, device="cpu")
        baseline_name = "pipeline('question-answering')"

        def baseline(q: str, c: str) -> dict:
            return real(question=q, context=c, max_seq_len=lengths[0], doc_stride=lengths[1],
                        max_answer_len=lengths[2], align_to_words=False)  # fmt: skip
    except Exception as err:  # transformers 5 removed the question-answering pipeline
        baseline_name = f"the 4.x pipeline's algorithm, re-implemented ({type(err).__name__}: {str(err)[:100]})"
        baseline = PipelineAlgorithm(model, tokenizer, *lengths)
    precisions = [p for p in args.precisions.split(",") if p != "bf16" or cpu_has_bf16()]
    runs = {"pipeline": lambda qs, cs: [baseline(q, c) for q, c in zip(qs, cs, strict=True)]}
    for precision in precisions:
        ours_model = predictor if precision == "fp32" else load_model(args.model, precision=precision)
        runs[f"ours_{precision}"] = lambda qs, cs, m=ours_model: answer(
            m, qs, cs, batch_size=args.batch_size, scoring="window_probability"
        )
    for call in runs.values():  # warm-up
        call(questions[:8], contexts[:8])
    seconds = dict.fromkeys(runs, 0.0)
    found: dict[str, list] = {name: [] for name in runs}
    chunk = -(-count // args.rounds)
    for start in range(0, count, chunk):  # interleaved, so that a busy machine slows all alike
        for name, call in runs.items():
            started = time.perf_counter()
            found[name] += call(questions[start : start + chunk], contexts[start : start + chunk])
            seconds[name] += time.perf_counter() - started
    found["ours_fp32_logit_sum"] = answer(predictor, questions, contexts, batch_size=args.batch_size)  # untimed
    windows = collections.Counter(make_windows(tokenizer, questions, contexts, lengths[0], lengths[1]).owners)

    def agreement(name: str) -> dict:
        """How often a case gives the pipeline's span: all questions, one-window and several-window ones."""
        pairs = list(zip(found[name], found["pipeline"], strict=True))
        same = [(a["start"], a["end"]) == (b["start"], b["end"]) for a, b in pairs]
        text = np.mean([a["answer"] == b["answer"] for a, b in pairs])
        kinds = {"one_window": [x for i, x in enumerate(same) if windows[i] == 1],
                 "several_windows": [x for i, x in enumerate(same) if windows[i] > 1]}  # fmt: skip
        return {"same_span": round(float(np.mean(same)), 4), "same_answer_text": round(float(text), 4),
                **{kind: {"questions": len(x), "same_span": round(float(np.mean(x)), 4) if x else None}
                   for kind, x in kinds.items()}}  # fmt: skip

    cases = {name: {"questions_per_second": round(count / seconds[name], 2),
                    "speedup": round(seconds["pipeline"] / seconds[name], 2), **agreement(name)}
             for name in runs if name != "pipeline"}  # fmt: skip
    cases["ours_fp32_logit_sum"] = {"speedup": None, **agreement("ours_fp32_logit_sum")}
    return {"questions": count, "rounds": args.rounds, "baseline": baseline_name,
            "baseline_questions_per_second": round(count / seconds["pipeline"], 2),
            "answer_scoring": "window_probability (the pipeline's rule) unless the case says logit_sum",
            "cases": cases, "batch_size": args.batch_size, "max_length": lengths[0], "doc_stride": lengths[1],
            "max_answer_length": lengths[2], "model": args.model}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["korquad", "speed", "scoring"])
    parser.add_argument("--model", help="korquad: an encoder (default me5-small); speed, scoring: a trained QA model")
    parser.add_argument("--data", default=str(KORQUAD), help="folder of KorQuAD_v1.0_dev.json")
    parser.add_argument("--train-questions", type=int, default=2000)
    parser.add_argument("--test-questions", type=int, help="korquad: only the first N test questions (checks)")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--stride", type=int, default=64)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--ours-only", action="store_true", help="korquad: skip the reference")
    parser.add_argument("--ours-run", help="korquad: read our side from this finished run folder instead of training")
    parser.add_argument("--out", help="korquad: run folder (default out/qa_korquad)")
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="korquad: one more config override for both runs (e.g. train.seed=7); repeatable",
    )
    parser.add_argument("--questions", type=int, default=1000, help="speed: test questions to answer")
    parser.add_argument("--batch-size", type=int, default=64, help="speed: our prediction batch size")
    parser.add_argument(
        "--precisions", default="fp32,bf16,int8", help="speed: ours at these (bf16 where the CPU has it)"
    )
    parser.add_argument("--questions-out", help="speed: also write the questions as JSONL (for qa_pipeline4.py)")
    parser.add_argument("--rounds", type=int, default=4, help="speed: the questions in this many interleaved chunks")
    parser.add_argument("--result", help="name of the result file (default qa_<what>)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    result = {"korquad": korquad, "speed": speed, "scoring": scoring}[args.what](args)
    facts = {"cpu": cpu_description(), "torch_threads": torch.get_num_threads()}
    save_result(args.result or f"qa_{args.what}", {**facts, **result})


if __name__ == "__main__":
    main()
