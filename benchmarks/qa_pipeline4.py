"""The real transformers 4.x question-answering pipeline against its re-implementation in ``qa.py``.

transformers 5 removed ``pipeline("question-answering")``, so ``qa.py speed`` measures our predictor against
the 4.x pipeline's algorithm re-implemented (``qa.PipelineAlgorithm``). This script checks that stand-in
against the real pipeline, in a second environment with transformers 4.x: the same answer spans, and how
much faster the stand-in is (the real pipeline's own overhead, which the stand-in leaves out):

    python3 -m venv /tmp/venv4
    /tmp/venv4/bin/pip install torch==2.13.0 "transformers==4.57.*" sentencepiece protobuf numpy
    cd benchmarks
    ../.venv/bin/python qa.py speed --model <run>/model --questions-out out/qa_questions.jsonl
    /tmp/venv4/bin/python qa_pipeline4.py --model <run>/model --questions out/qa_questions.jsonl \
        --tokenizer-class XLMRobertaTokenizerFast

electralab is not imported (it needs transformers 5): the model folder (an encoder + a 2-logit span layer
``qa_outputs``) is loaded as the same weights in the encoder family's ``...ForQuestionAnswering`` class.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from common import cpu_description, save_result
from qa import PipelineAlgorithm
from safetensors.torch import load_file


def load_as_hugging_face(folder: Path, tokenizer_class: str | None):
    """An electralab question-answering folder as the plain Hugging Face model with the same weights."""
    import transformers
    from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer

    saved = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if saved.get("task") != "question_answering":
        raise SystemExit(f"{folder}: not a question-answering model folder (task: {saved.get('task')})")
    encoder = dict(saved["encoder"])
    config = AutoConfig.for_model(encoder.pop("model_type"), **encoder)
    model = AutoModelForQuestionAnswering.from_config(config)
    prefix = model.base_model_prefix
    weights = {
        (f"{prefix}.{key[len('encoder.') :]}" if key.startswith("encoder.") else key): value
        for key, value in load_file(str(folder / "model.safetensors")).items()
    }
    missing, unexpected = model.load_state_dict(weights, strict=False)
    unexpected = [key for key in unexpected if ".pooler." not in key]  # the QA class has no pooler
    if missing or unexpected:
        raise SystemExit(f"weights do not map onto {type(model).__name__}: missing {missing}, unexpected {unexpected}")
    # transformers 5 saves a generic "TokenizersBackend" class, unknown to 4.x: name the encoder's own class
    tokenizer = (getattr(transformers, tokenizer_class) if tokenizer_class else AutoTokenizer).from_pretrained(folder)
    lengths = (int(saved["max_seq_length"]), int(saved["doc_stride"]), int(saved["max_answer_length"]))
    return model.eval(), tokenizer, lengths, transformers.__version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a trained electralab question-answering model folder")
    parser.add_argument("--questions", required=True, help="JSONL of {question, context} (qa.py --questions-out)")
    parser.add_argument(
        "--tokenizer-class", help="e.g. XLMRobertaTokenizerFast (multilingual-e5's) when 4.x cannot tell"
    )
    parser.add_argument("--rounds", type=int, default=4, help="the questions in this many interleaved chunks")
    parser.add_argument("--result", default="qa_pipeline4")
    args = parser.parse_args()
    torch.set_num_threads(2)
    from transformers import pipeline

    model, tokenizer, lengths, version = load_as_hugging_face(Path(args.model), args.tokenizer_class)
    max_length, stride, max_answer = min(lengths[0], 512), min(lengths[1], lengths[0] // 2), lengths[2]
    rows = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines()]
    questions, contexts = [r["question"] for r in rows], [r["context"] for r in rows]
    real = pipeline("question-answering", model=model, tokenizer=tokenizer, device=-1)
    stand_in = PipelineAlgorithm(model, tokenizer, max_length, stride, max_answer)
    runs = {
        "pipeline": lambda q, c: real(question=q, context=c, max_seq_len=max_length, doc_stride=stride,
                                      max_answer_len=max_answer, align_to_words=False),
        "stand_in": stand_in,
    }  # fmt: skip
    for call in runs.values():  # warm-up
        for q, c in zip(questions[:8], contexts[:8], strict=True):
            call(q, c)
    seconds = dict.fromkeys(runs, 0.0)
    found: dict[str, list] = {name: [] for name in runs}
    chunk = -(-len(rows) // args.rounds)
    for start in range(0, len(rows), chunk):  # interleaved, so that a busy machine slows both alike
        for name, call in runs.items():
            began = time.perf_counter()
            part = zip(questions[start : start + chunk], contexts[start : start + chunk], strict=True)
            found[name] += [call(q, c) for q, c in part]
            seconds[name] += time.perf_counter() - began
    pairs = list(zip(found["pipeline"], found["stand_in"], strict=True))
    same_span = np.mean([(a["start"], a["end"]) == (b["start"], b["end"]) for a, b in pairs])
    score_gap = max(abs(a["score"] - b["score"]) for a, b in pairs)
    result = {
        "cpu": cpu_description(), "torch_threads": torch.get_num_threads(), "transformers": version,
        "tokenizer": type(tokenizer).__name__, "model_input_names": tokenizer.model_input_names,
        "questions": len(rows), "rounds": args.rounds, "max_length": max_length, "doc_stride": stride,
        "max_answer_length": max_answer, "model": args.model,
        "questions_per_second": {name: round(len(rows) / s, 2) for name, s in seconds.items()},
        "stand_in_speedup_over_pipeline": round(seconds["pipeline"] / seconds["stand_in"], 3),
        "same_span": round(float(same_span), 4), "max_score_difference": float(score_gap),
    }  # fmt: skip
    print(json.dumps(result, indent=2, ensure_ascii=False))
    save_result(args.result, result)


if __name__ == "__main__":
    main()
