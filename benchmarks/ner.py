"""Token classification (NER) against a plain Hugging Face reference, side by side, and prediction speed.

    cd benchmarks
    ../.venv/bin/python ner.py conll   # CoNLL-2003, MiniLM-L6, 2 epochs: ours (linear) vs the reference
    ../.venv/bin/python ner.py klue    # KLUE-NER 80/20, me5-small (word embeddings frozen): 5 heads vs reference
    ../.venv/bin/python ner.py speed   # prediction: ours vs pipeline("token-classification", "simple")

The reference is AutoModelForTokenClassification + Trainer + DataCollatorForTokenClassification with
first-sub-token labelling, same hyperparameters, same tokenised rows; both are scored with seqeval's strict
IOB2 entity F1 on the test sentences.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import SHARED, cpu_description, fresh_dir, offline_model, save_result

HEADS = (("linear", False), ("lstm", False), ("cnn", False), ("linear", True), ("lstm", True))


def ours(preset: str, model: str, out, overrides: list[str], name: str) -> dict:
    from electralab.api import fit, load_config

    started = time.perf_counter()
    result = fit(load_config(preset, model=model, output_dir=out, overrides=overrides), run_name=name)
    test = result.metrics["test"]
    return {"f1": test["f1"], "precision": test["precision"], "recall": test["recall"],
            "dev_f1": result.metrics["dev"]["f1"], "seconds": round(time.perf_counter() - started, 1),
            "model_dir": str(result.model_dir)}  # fmt: skip


def reference(preset: str, model: str, out, overrides: list[str], freeze_word_embeddings: bool) -> dict:
    """Plain Hugging Face: the same tokenised rows, AutoModelForTokenClassification, Trainer, the collator."""
    from transformers import (
        AutoModelForTokenClassification,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from electralab.api import load_config
    from electralab.data.tag_align import first_tokens, unit_tags
    from electralab.metrics.tagging import entity_scores
    from electralab.models.loading import load_tokenizer
    from electralab.tasks.tagging_data import encode, label_names, read_splits

    config = load_config(preset, model=model, output_dir=out, overrides=overrides)
    set_seed(config.train.seed)
    raw, _ = read_splits(config.data, config.train.seed)
    names = label_names(raw["train"])
    label2id = {n: i for i, n in enumerate(names)}
    tokenizer = load_tokenizer(model)
    train = encode(raw["train"], tokenizer, config.data, label2id).remove_columns("length")
    hf = AutoModelForTokenClassification.from_pretrained(
        model, num_labels=len(names), id2label=dict(enumerate(names)), label2id=label2id
    )
    if freeze_word_embeddings:
        hf.get_input_embeddings().weight.requires_grad_(False)
    train_config = config.train
    args = TrainingArguments(
        output_dir=str(out / "reference"), num_train_epochs=train_config.epochs,
        learning_rate=train_config.learning_rate, per_device_train_batch_size=train_config.batch_size,
        warmup_steps=train_config.warmup_steps(), weight_decay=train_config.weight_decay, seed=train_config.seed,
        save_strategy="no", report_to=[], disable_tqdm=True, logging_steps=100,
    )  # fmt: skip
    started = time.perf_counter()
    collator = DataCollatorForTokenClassification(tokenizer)
    Trainer(model=hf, args=args, train_dataset=train, data_collator=collator).train()
    seconds = time.perf_counter() - started
    hf.eval()
    test = raw["test"]
    predicted = []
    with torch.inference_mode():
        for row in test:
            enc = tokenizer(
                row["text"], truncation=True, max_length=config.data.max_length, return_offsets_mapping=True,
                return_tensors="pt",
            )  # fmt: skip
            offsets = enc.pop("offset_mapping")[0].tolist()
            ids = hf(**enc).logits[0].argmax(-1).tolist()
            first = first_tokens(offsets, row["starts"], row["ends"])
            tags = [names[i] if keep else None for i, keep in zip(ids, first, strict=True)]
            predicted.append(unit_tags(offsets, tags, row["starts"], row["ends"]))
    scores = entity_scores(test["tags"][:], predicted, config.data.tag_scheme)
    return {"f1": scores["f1"], "precision": scores["precision"], "recall": scores["recall"],
            "train_seconds": round(seconds, 1)}  # fmt: skip


def conll(args: argparse.Namespace) -> dict:
    model = offline_model("minilm")
    out = fresh_dir("out/ner_conll_all" if args.label_all_subtokens else "out/ner_conll")
    overrides = [
        f"data.data_dir={SHARED / 'data' / 'conll2003'}", f"train.epochs={args.epochs}", "train.report_to=[]",
        "train.progress_bar=false", "train.learning_rate=5e-5", "train.batch_size=32", "train.warmup=0.1",
    ]  # fmt: skip
    if args.label_all_subtokens:  # ours only: every sub-token labelled (for the comparison with the pipeline)
        overrides.append("data.label_all_subtokens=true")
        return {"model": "all-MiniLM-L6-v2 (offline)", "epochs": args.epochs, "label_all_subtokens": True,
                "ours_linear": ours("conll2003", model, out, overrides, "conll-ours-all")}  # fmt: skip
    result = {
        "model": "all-MiniLM-L6-v2 (offline)", "epochs": args.epochs,
        "ours_linear": ours("conll2003", model, out, overrides, "conll-ours"),
    }  # fmt: skip
    if not args.ours_only:
        result["reference"] = reference("conll2003", model, out, overrides, freeze_word_embeddings=False)
    return result


def klue(args: argparse.Namespace) -> dict:
    model, out = offline_model("me5-small"), fresh_dir("out/ner_klue")
    overrides = [f"data.data_dir={SHARED / 'data' / 'klue_ner'}", f"train.epochs={args.epochs}", "train.report_to=[]",
                 "train.progress_bar=false", "train.freeze_word_embeddings=true", "train.learning_rate=5e-5",
                 "train.warmup=0.1"]  # fmt: skip
    rows = {}
    for head, crf in HEADS:
        name = f"{head}{'+crf' if crf else ''}"
        extra = [f"model.head={head}", f"model.crf={str(crf).lower()}", "train.head_learning_rate=1e-3"]
        rows[name] = ours("klue_ner", model, out, overrides + extra, f"klue-{head}-{crf}")
    rows["reference"] = reference("klue_ner", model, out, overrides, freeze_word_embeddings=True)
    return {"model": "multilingual-e5-small (offline), word embeddings frozen in all runs", "epochs": args.epochs,
            "head_learning_rate (ours)": 1e-3, "runs": rows, "round_trip": round_trip(model)}  # fmt: skip


def round_trip(model: str) -> dict:
    """Every gold entity of the KLUE-NER file re-tagged through the model's tokens and back: how many are lost."""
    from electralab.data.tag_align import unreachable_entities
    from electralab.data.tagging import read_tagged
    from electralab.models.loading import load_tokenizer

    tokenizer = load_tokenizer(model)
    data = read_tagged("klue_ner", SHARED / "data" / "klue_ner" / "klue-ner-v1.1_dev.tsv")
    total = lost = 0
    for row in data:
        offsets = tokenizer(row["text"], return_offsets_mapping=True)["offset_mapping"]
        entities, missing = unreachable_entities(offsets, row["starts"], row["ends"], row["tags"])
        total, lost = total + entities, lost + missing
    return {"entities": total, "unreachable": lost}


def speed(args: argparse.Namespace) -> dict:
    """Texts per second and identical entities: our Predictor vs the token-classification pipeline, fp32.

    The pipeline's ``simple`` aggregation reads every sub-token's tag, so ours is compared with it reading
    sub-word tokens too (``units="token"``); our default reads each word's first sub-token, which the
    pipeline's ``first`` aggregation approximates with the tokenizer's words (``U.S.`` is four of them).
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    import electralab.models  # noqa: F401  (the pipeline loads our model through the Auto classes)
    from electralab.api import load_model, predict
    from electralab.data.tagging import read_tagged

    texts = read_tagged("conll", SHARED / "data" / "conll2003" / "test.txt")["text"][: args.texts]
    by_word, by_token = load_model(args.model), load_model(args.model, units="token")
    model = AutoModelForTokenClassification.from_pretrained(args.model)
    tokenizer = AutoTokenizer.from_pretrained(args.model)

    def pipe(strategy: str):
        return pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy=strategy,
                        device="cpu")  # fmt: skip

    simple, first = pipe("simple"), pipe("first")
    runs = {
        "ours_token": lambda some: predict(by_token, some, batch_size=64),
        "ours_word": lambda some: predict(by_word, some, batch_size=64),
        "pipeline_simple": lambda some: simple(some),
        "pipeline_simple_batch64": lambda some: simple(some, batch_size=64),
        "pipeline_first": lambda some: first(some),
    }
    predict(by_token, texts[:64]), predict(by_word, texts[:64]), simple(texts[:16])  # warm-up
    seconds = dict.fromkeys(runs, 0.0)
    found: dict[str, list] = {name: [] for name in runs}
    chunk = -(-len(texts) // args.rounds)
    for start in range(0, len(texts), chunk):  # interleaved, so that a busy machine slows every method alike
        for name, call in runs.items():
            started = time.perf_counter()
            found[name] += call(texts[start : start + chunk])
            seconds[name] += time.perf_counter() - started
    rate = {name: round(len(texts) / s, 1) for name, s in seconds.items()}
    return {"texts": len(texts), "precision": "fp32", "rounds": args.rounds, "texts_per_second": rate,
            "speedup_token_vs_simple": round(seconds["pipeline_simple"] / seconds["ours_token"], 2),
            "speedup_word_vs_simple": round(seconds["pipeline_simple"] / seconds["ours_word"], 2),
            "speedup_token_vs_simple_batch64": round(seconds["pipeline_simple_batch64"] / seconds["ours_token"], 2),
            "identical_token_vs_simple": identical(found["ours_token"], found["pipeline_simple"]),
            "identical_token_vs_simple_batch64": identical(found["ours_token"], found["pipeline_simple_batch64"]),
            "identical_word_vs_first": identical(found["ours_word"], found["pipeline_first"]),
            "identical_word_vs_simple": identical(found["ours_word"], found["pipeline_simple"]),
            "model": args.model}  # fmt: skip


def identical(mine: list[dict], theirs: list[list[dict]]) -> float:
    """Share of texts whose entities (type, start, end) are the same in both."""
    same = [
        {(e["label"], e["start"], e["end"]) for e in m["entities"]}
        == {(e["entity_group"], e["start"], e["end"]) for e in t}
        for m, t in zip(mine, theirs, strict=True)
    ]
    return float(np.mean(same))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["conll", "klue", "speed"])
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--model", help="speed: a trained token-classification model folder")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4, help="speed: the texts in this many interleaved chunks")
    parser.add_argument("--label-all-subtokens", action="store_true", help="conll: ours only, every sub-token labelled")
    parser.add_argument("--ours-only", action="store_true", help="conll: skip the reference (a model for `speed`)")
    parser.add_argument("--result", help="name of the result file (default ner_<what>)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    result = {"conll": conll, "klue": klue, "speed": speed}[args.what](args)
    facts = {"cpu": cpu_description(), "torch_threads": torch.get_num_threads()}
    save_result(args.result or f"ner_{args.what}", {**facts, **result})


if __name__ == "__main__":
    main()
