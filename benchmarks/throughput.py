"""Training and inference throughput: electralab vs the Hugging Face reference, side by side in one process.

Training cases (same model, same rows, same batch size, alternating in one process, each run --repeats times,
timed over the same number of optimiser steps after a warm-up):
  hf-pad       (a) run_glue.py defaults: every example padded to max_length, random order, fp32 (--cases)
  hf-group     (b) the plain Trainer as people run it: dynamic padding + group_by_length, fp32
  hf-same      (c) the plain Trainer (AutoModelForSequenceClassification, fp32) on exactly the batches every
               ours-* case sees (electralab's length buckets, same seed): equal work per step, the baseline
  ours-fp32    electralab, length-bucketed batches, fp32 (its CPU default: dropout masks from its own generator)
  ours-bf16    electralab, length-bucketed batches, bf16 autocast, the model's attention (SDPA)
  ours-*-torchmasks  the same with torch's own dropout masks (train.dropout_masks=torch; electralab before them)
  ours-*-compile  the same with train.compile=true (torch.compile, dynamic shapes; compiling falls in the warm-up)
  ours-bf16-eager, ours-bf16-checkpointing  plain matmul attention; gradient checkpointing (by --cases)
  <case>-keepmem  the case with glibc keeping freed memory (mallopt; an experiment, by --cases)
Every case and repeat runs in a fresh Python process (--in-process: all in this one, as before; --paired N: all
cases at once, one process each, taking turns every N steps, each timed only while it has the turn).
Each case records a fingerprint of the (examples, real tokens) of every batch it trained on; the result lists
the cases whose batches equal the baseline's, so "equal work" is checked, not assumed.
Inference cases over the test texts: pipeline("text-classification") (batch 1 and 32), a plain length-sorted
fp32 inference_mode loop, and electralab's Predictor in fp32, bf16 and int8 (dynamic quantisation), and bf16
under torch.compile, each with its agreement with the fp32 model's predictions; the cases take turns over
--inference-rounds interleaved parts of the texts, and each round's speed-up over the sorted loop is kept.

Reported: samples/s, real (non-pad) tokens/s, the share of processed tokens that are real, peak RSS during
the case, and model-FLOPs utilisation (useful FLOPs on real tokens ÷ the measured fp32 GEMM peak).

Usage: python benchmarks/throughput.py [--model small|me5-small] [--data nsmc|imdb] [--steps 40] [--repeats 2]
                                      [--cases hf-group,hf-same,ours-fp32,ours-bf16,ours-bf16-compile] [--profile]
                                      [--paired 3] [--inference-rows 0]
       python benchmarks/throughput.py --inference-only runs/x/model [--inference-rows 5000]
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import multiprocessing
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import torch
from common import ROOT, SHARED, cpu_description, cpu_flags, fresh_dir, offline_model, save_result
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    ElectraConfig,
    ElectraModel,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    pipeline,
    set_seed,
)

from electralab.config import build_config
from electralab.data.prepare import load_splits
from electralab.data.readers import read_split
from electralab.engine.device import cpu_has_bf16
from electralab.engine.sampling import LengthBucketSampler
from electralab.inference.predictor import Predictor
from electralab.training.recipe import run_training
from electralab.vocab.build import build_vocab

SEED = 42
# KoELECTRA-small-v3's dimensions.
SMALL = {"hidden_size": 256, "num_hidden_layers": 12, "num_attention_heads": 4, "intermediate_size": 1024,
         "embedding_size": 128}  # fmt: skip
DATA = {
    "nsmc": {"preset": "nsmc", "dir": SHARED / "data" / "nsmc", "max_length": 128, "train": "ratings_train.txt",
             "test": "ratings_test.txt"},
    "imdb": {"preset": "imdb", "dir": SHARED / "data" / "imdb", "max_length": 512, "train": "train.csv.xz",
             "test": "test.csv.xz"},
}  # fmt: skip


def bf16_available() -> bool:
    """Whether this machine has bf16 kernels (CUDA, or a CPU with AVX-512 BF16 / AMX)."""
    return torch.cuda.is_available() or cpu_has_bf16()


def gemm_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    """Measured GEMM GFLOP/s of an n×n×n matmul (best of ``repeats``)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


class PeakRss:
    """Peak resident memory of this process while the ``with`` block runs (sampled every 20 ms)."""

    def __enter__(self) -> PeakRss:
        self.peak = psutil.Process().memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


_WAITED = [0.0]  # seconds this process waited for its turn (``--paired``: one case per process)


def own_clock() -> float:
    """Seconds on this case's clock: wall time, less the time it waited for its turn (``--paired``)."""
    return time.perf_counter() - _WAITED[0]


class Turns:
    """Training cases that run at the same time, one at a time: each takes ``block`` optimiser steps, then hands the
    turn on, so a slower minute of the machine falls on all of them alike. Each case trains in the main thread of
    its own process (spawned; training in a worker thread ran ~35% slower in bf16 on the AMX Xeon) and is timed on
    its own clock (:func:`own_clock`), which stops while it waits."""

    def __init__(self, names: list[str], block: int, context, timeout: float = 1800) -> None:
        self.names, self.block, self.timeout = list(names), block, timeout
        self.turn = context.Value("i", 0, lock=False)  # index of the case holding the turn; guarded by changed
        self.active = context.Array("b", [1] * len(names), lock=False)
        self.changed = context.Condition()
        self.start = context.Barrier(len(names), timeout=timeout)
        self.finish = context.Barrier(len(names), timeout=timeout)

    def wait(self, name: str) -> None:
        started, index = time.perf_counter(), self.names.index(name)
        with self.changed:
            if not self.changed.wait_for(lambda: self.turn.value == index, self.timeout):
                raise TimeoutError(f"{name} waited {self.timeout} s for its turn")
        _WAITED[0] += time.perf_counter() - started

    def _after(self, name: str) -> int:
        """The next active case after ``name`` in the cases' order (``name`` itself when it is the only one)."""
        at = self.names.index(name) + 1
        order = [*range(at, len(self.names)), *range(at)]
        return next(i for i in order if self.active[i])

    def hand_on(self, name: str) -> None:
        with self.changed:
            self.turn.value = self._after(name)
            self.changed.notify_all()

    def leave(self, name: str) -> None:
        """``name`` is done (or failed): it takes no more turns, and hands on the turn if it holds it."""
        with self.changed:
            index = self.names.index(name)
            self.active[index] = 0
            if self.turn.value == index and any(self.active):
                self.turn.value = self._after(name)
            self.changed.notify_all()

    def drop(self, name: str) -> None:
        """``name`` failed: break the barriers so the other cases stop too, and take it out of the turns."""
        self.start.abort()
        self.finish.abort()
        self.leave(name)

    def callback(self, name: str) -> TrainerCallback:
        turns = self

        class TakeTurns(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                turns.start.wait()  # every case set up (data, model) before any trains
                turns.wait(name)

            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step % turns.block == 0 and state.global_step < state.max_steps:
                    turns.hand_on(name)
                    turns.wait(name)

            def on_train_end(self, args, state, control, **kwargs):
                turns.leave(name)
                turns.finish.wait()  # nobody evaluates while another case is still timed

        return TakeTurns()


class StepMeter(TrainerCallback):
    """Times optimiser steps and counts the real and processed tokens the model saw (a forward pre-hook)."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.real = self.processed = self.samples = 0
        self.marks: list[tuple[float, int, int, int]] = []
        self.batches: list[tuple[int, int]] = []  # (examples, real tokens) of each training forward
        self.autocast: set[str] = set()  # dtypes CPU autocast ran the model's forwards in

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        def precision(module, positional):  # inside the forward, where accelerate's autocast wraps it
            if torch.is_autocast_enabled("cpu"):
                self.autocast.add(str(torch.get_autocast_dtype("cpu")).removeprefix("torch."))

        def count(module, positional, keyword):
            mask = keyword.get("attention_mask")
            if module.training and mask is not None:
                self.real += int(mask.sum())
                self.processed += mask.numel()
                self.samples += mask.shape[0]
                self.batches.append((mask.shape[0], int(mask.sum())))

        first_linear = next(module for module in model.modules() if isinstance(module, torch.nn.Linear))
        self._hooks = [model.register_forward_pre_hook(count, with_kwargs=True),
                       first_linear.register_forward_pre_hook(precision)]  # fmt: skip

    def on_step_end(self, args, state, control, **kwargs):
        self.marks.append((own_clock(), self.samples, self.real, self.processed))

    def on_train_end(self, args, state, control, **kwargs):
        for hook in self._hooks:
            hook.remove()

    def summary(self) -> dict:
        (t0, s0, r0, p0), (t1, s1, r1, p1) = self.marks[self.warmup - 1], self.marks[-1]
        seconds = t1 - t0
        return {
            "steps_timed": len(self.marks) - self.warmup,
            "samples_per_s": (s1 - s0) / seconds,
            "real_tokens_per_s": (r1 - r0) / seconds,
            "real_token_share": (r1 - r0) / (p1 - p0),
            "mean_real_length": (r1 - r0) / (s1 - s0),
            "batches_fingerprint": hashlib.sha1(repr(self.batches).encode()).hexdigest()[:12],
            "autocast": sorted(self.autocast) or ["off"],
        }


MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


class ProfileSteps(TrainerCallback):
    """``torch.profiler`` over optimiser steps [start, start + count): the top ops by self CPU time per step."""

    def __init__(self, start: int, count: int, top: int = 15) -> None:
        self.start, self.count, self.top = start, count, top
        self.profiler: torch.profiler.profile | None = None
        self.table: dict = {}

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step == self.start:
            self.profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
            self.profiler.__enter__()

    def on_step_end(self, args, state, control, **kwargs):
        if self.profiler is None or state.global_step != self.start + self.count:
            return
        self.profiler.__exit__(None, None, None)
        events = [e for e in self.profiler.key_averages() if e.self_cpu_time_total > 0]
        total = sum(e.self_cpu_time_total for e in events)
        events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
        matmul = sum(e.self_cpu_time_total for e in events if e.key in MATMUL_OPS)
        self.table = {
            "steps": self.count,
            "self_cpu_ms_per_step": total / 1000 / self.count,
            # The matmuls alone; total ÷ this bounds any speed-up at the same precision and shapes.
            "matmul_ms_per_step": matmul / 1000 / self.count,
            "matmul_share": matmul / total,
            "top_ops": [{"op": e.key, "ms_per_step": e.self_cpu_time_total / 1000 / self.count,
                         "share": e.self_cpu_time_total / total, "calls_per_step": e.count / self.count}
                        for e in events[: self.top]],
        }  # fmt: skip
        self.profiler = None


def training_flops_per_token(config, mean_length: float) -> float:
    """Useful training FLOPs per real token: 6 × encoder weights (matmuls) + 12 × layers × length × hidden."""
    hidden, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    weights = layers * (4 * hidden * hidden + 2 * hidden * ffn)
    embedding = getattr(config, "embedding_size", hidden)
    if embedding != hidden:
        weights += embedding * hidden  # embeddings_project
    return 6 * weights + 12 * layers * mean_length * hidden


def build_small_model(out: Path, data: dict, vocab_size: int) -> Path:
    """A random-init ELECTRA-small-shaped encoder with a WordPiece vocabulary built from the training texts."""
    texts = read_split(data["preset"], data["dir"] / data["train"])["text"][:]
    corpus = out / "corpus.txt"
    corpus.write_text("".join(f"{' '.join(t.split())}\n" for t in texts if t.strip()), encoding="utf-8")
    vocab = build_vocab([str(corpus)], out / "vocab", size=vocab_size)
    tokenizer = AutoTokenizer.from_pretrained(vocab.folder)
    set_seed(SEED)
    encoder = ElectraModel(ElectraConfig(**SMALL, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id))
    folder = out / "small-random"
    encoder.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def overrides(model: str, data: dict, args: argparse.Namespace, out: Path) -> list[str]:
    return [
        f"data.data_dir={data['dir']}",
        f"data.max_train_rows={args.train_rows}",
        f"data.max_test_rows={args.test_rows}",
        f"data.max_length={data['max_length']}",
        "data.row_sample=random",
        f"model.name_or_path={model}",
        f"train.batch_size={args.batch_size}",
        f"train.seed={SEED}",
        "train.report_to=[]",
        "train.progress_bar=false",
        f"output_dir={out}",
    ]


def train_ours(
    model: str, data: dict, args, out: Path, precision: str, steps: int, extra=(), callbacks=()
) -> tuple[dict, Path]:
    config = build_config(
        data["preset"],
        overrides=[
            *overrides(model, data, args, out),
            f"train.precision={precision}",
            "train.batching=length_buckets",
            f"train.max_steps={steps}",
            f"train.eval_steps={steps}",
            "train.eval_strategy=steps",
            *(["train.freeze_word_embeddings=true"] if args.freeze_word_embeddings else []),
            *extra,
        ],
    )
    meter = StepMeter(args.warmup)
    with PeakRss() as rss:
        result = run_training(config, run_name=f"ours-{precision}", extra_callbacks=[meter, *callbacks])
    return {**meter.summary(), "peak_rss_mb": rss.peak / 2**20, "test_accuracy": result.metrics["test"]["accuracy"]}, (
        result.model_dir
    )


class SameBatchesTrainer(Trainer):
    """The plain Trainer, given the training batches every ``*-same`` case sees: electralab's length buckets.

    Only the order of the examples is ours (``LengthBucketSampler`` with the same lengths, batch size and seed as
    ``train.batching=length_buckets``), so the reference does the same work per step as electralab.
    """

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        lengths = [len(ids) for ids in dataset["input_ids"][:]]
        return LengthBucketSampler(lengths, self.args.train_batch_size, self.args.seed)


def train_reference(
    model: str, data: dict, args, out: Path, padded: bool, same_batches: bool = False, callbacks=()
) -> dict:
    """AutoModelForSequenceClassification + a plain Trainer: (a) padded to max_length, random; (b) grouped;
    (same) on electralab's length-bucketed batches."""
    config = build_config(data["preset"], overrides=overrides(model, data, args, out))
    splits = load_splits(config.data, SEED)
    tokenizer = AutoTokenizer.from_pretrained(model)
    names = splits.label_names
    padding = "max_length" if padded else False

    def encode(batch):
        encoded = tokenizer(batch["text"], truncation=True, max_length=data["max_length"], padding=padding)
        return {**encoded, "labels": [names.index(x) for x in batch["label"]]}

    train = splits.train.map(encode, batched=True, remove_columns=splits.train.column_names)
    set_seed(SEED)
    net = AutoModelForSequenceClassification.from_pretrained(model, num_labels=len(names))
    if args.freeze_word_embeddings:
        net.get_input_embeddings().weight.requires_grad_(False)
    trainer = (SameBatchesTrainer if same_batches else Trainer)(
        model=net,
        args=TrainingArguments(
            output_dir=str(out / "hf"),
            max_steps=args.steps,
            per_device_train_batch_size=args.batch_size,
            learning_rate=5e-5,
            seed=SEED,
            save_strategy="no",
            eval_strategy="no",
            report_to=[],
            disable_tqdm=True,
            train_sampling_strategy="random" if padded else "group_by_length",
            dataloader_num_workers=0,
        ),
        train_dataset=train,
        data_collator=DataCollatorWithPadding(tokenizer),
        callbacks=[meter := StepMeter(args.warmup), *callbacks],
    )
    with PeakRss() as rss:
        trainer.train()
    return {**meter.summary(), "peak_rss_mb": rss.peak / 2**20}


def inference_cases(model_dir: Path, texts: list[str], max_length: int, rounds: int = 4) -> list[dict]:
    """Every inference path over ``texts``; agreement is with the fp32 model's predicted classes.

    The texts are dealt into ``rounds`` interleaved parts (every ``rounds``-th text, so each part has the same
    mix of lengths), and the cases take turns part by part: a slower minute of the machine hits all of them.
    """

    predictor = Predictor.from_folder(model_dir, max_length=max_length)
    model, tokenizer = predictor.model, predictor.tokenizer

    def loop(part: list[str]) -> np.ndarray:
        """A plain length-sorted fp32 inference_mode loop, batch 64."""
        encoded = tokenizer(part, truncation=True, max_length=max_length)
        order = np.argsort([len(x) for x in encoded["input_ids"]])
        out = np.zeros(len(part), dtype=np.int64)
        with torch.inference_mode():
            for start in range(0, len(order), 64):
                index = order[start : start + 64]
                batch = tokenizer.pad([{k: encoded[k][i] for k in encoded} for i in index], return_tensors="pt")
                out[index] = model(**batch).logits.argmax(-1).numpy()
        return out

    def hf_pipeline(batch_size: int):
        classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1)
        label_ids = {name: i for i, name in enumerate(predictor.label_names)}

        def run(part: list[str]) -> np.ndarray:
            results = classify(part, batch_size=batch_size, truncation=True, max_length=max_length)
            return np.array([label_ids[r["label"]] for r in results])

        return run

    def ours(precision: str):
        """The Predictor, built (and for int8 quantised) once, outside the time, as a user or server would."""
        predictor = Predictor(model, tokenizer, max_length, precision=precision)
        return lambda part: predictor.logits(part).argmax(-1)

    def compiled(precision: str):
        """``torch.compile`` (dynamic shapes) on our batching; compiling, one pass over the texts, is left out of the
        time, so the rounds time the steady state of a long-running predictor."""
        predictor = Predictor(model, tokenizer, max_length, precision=precision, compile=True)
        predictor.logits(texts)
        return lambda part: predictor.logits(part).argmax(-1)

    cases = {
        "pipeline-batch1": hf_pipeline(1),
        "pipeline-batch32": hf_pipeline(32),
        "sorted-loop-fp32": loop,
        "ours-fp32": ours("fp32"),
    }
    if bf16_available():
        cases.update({"ours-bf16": ours("bf16"), "ours-int8": ours("int8"), "ours-bf16-compiled": compiled("bf16")})
    else:  # no bf16 kernels (e.g. an AVX2-only CPU): electralab refuses bf16 there
        cases.update({"ours-int8": ours("int8"), "ours-fp32-compiled": compiled("fp32")})
    reference = loop(texts)
    predicted = {name: np.zeros(len(texts), dtype=np.int64) for name in cases}
    seconds = {name: [] for name in cases}
    peak = dict.fromkeys(cases, 0.0)
    for part in range(rounds):
        for name, run in cases.items():
            with PeakRss() as rss:
                started = time.perf_counter()
                predicted[name][part::rounds] = run(texts[part::rounds])
                seconds[name].append(time.perf_counter() - started)
            peak[name] = max(peak[name], rss.peak / 2**20)
    rows = []
    for name in cases:
        rows.append({
            "case": name,
            "samples_per_s": len(texts) / sum(seconds[name]),
            "samples_per_s_rounds": [len(texts[part::rounds]) / t for part, t in enumerate(seconds[name])],
            "agreement_with_fp32": float((predicted[name] == reference).mean()),
            "peak_rss_mb": peak[name],
        })  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def with_ratios(inference: list[dict]) -> list[dict]:
    """Add each inference case's speed-up over the pipeline (batch 1 and 32) and the sorted fp32 loop."""
    by_name = {row["case"]: row for row in inference}
    for row in inference:
        row["speedup_vs_pipeline_batch1"] = row["samples_per_s"] / by_name["pipeline-batch1"]["samples_per_s"]
        row["speedup_vs_pipeline_batch32"] = row["samples_per_s"] / by_name["pipeline-batch32"]["samples_per_s"]
        row["speedup_vs_sorted_loop"] = row["samples_per_s"] / by_name["sorted-loop-fp32"]["samples_per_s"]
        loop_rounds = by_name["sorted-loop-fp32"]["samples_per_s_rounds"]
        row["speedup_vs_sorted_loop_rounds"] = [
            a / b for a, b in zip(row["samples_per_s_rounds"], loop_rounds, strict=True)
        ]
    return inference


EXTRA = {"eager": "model.attention=eager", "checkpointing": "train.gradient_checkpointing=true",
         "compile": "train.compile=true", "torchmasks": "train.dropout_masks=torch"}  # fmt: skip
"""Case-name suffixes of ``ours-<precision>-...`` and the overrides they add."""
CASES = ("hf-group", "hf-same", "ours-fp32", "ours-bf16", "ours-fp32-compile", "ours-bf16-compile")


def profile_steps(model: str, data: dict, args, out: Path, count: int = 5) -> dict:
    """The top ops per training step (torch.profiler, steps after the warm-up) of hf-same and of ours."""
    precision = "bf16" if bf16_available() else "fp32"
    tables = {}
    for case in ("hf-same", f"ours-{precision}"):
        profiler = ProfileSteps(args.warmup, count)
        if case == "hf-same":
            train_reference(model, data, args, out, padded=False, same_batches=True, callbacks=[profiler])
        else:
            train_ours(model, data, args, out, precision, args.steps, callbacks=[profiler])
        tables[case] = profiler.table
        share = profiler.table["matmul_share"]
        print(case, f"profile: matmuls {share:.0%} of the step;", json.dumps(profiler.table["top_ops"][:5]), flush=True)
    return tables


def run_case(case: str, model: str | Path, data: dict, args, out: Path, callbacks=()) -> dict:
    """One timed training case; an electralab case's row also names its trained model folder (``model_dir``)."""
    if case.endswith("-keepmem"):
        keep_freed_memory()
        case = case.removesuffix("-keepmem")
    if case.startswith("hf"):
        same = case == "hf-same"
        return train_reference(str(model), data, args, out, case == "hf-pad", same, callbacks=callbacks)
    extra = [EXTRA[part] for part in case.split("-")[2:]]
    row, trained = train_ours(str(model), data, args, out, case.split("-")[1], args.steps, extra, callbacks)
    return {**row, "model_dir": str(trained)}


def paired_cases(cases: list[str], model: str | Path, data: dict, args, out: Path) -> dict[str, dict]:
    """All ``cases`` training at once, one process each, taking turns every ``--paired`` steps (:class:`Turns`)."""
    context = multiprocessing.get_context("spawn")
    turns = Turns(cases, args.paired, context)
    results = context.Queue()
    children = {case: context.Process(target=_paired_case, args=(case, model, data, args, out / case, turns, results))
                for case in cases}  # fmt: skip
    for child in children.values():
        child.start()
    rows, failures = collect_rows(children, results, turns)
    for child in children.values():
        child.join()
    if failures:
        raise SystemExit("--paired: " + "; ".join(failures))
    for case, row in rows.items():  # each case's forwards ran in its own precision
        wanted = ["bfloat16"] if "bf16" in case else ["off"]
        if row["autocast"] != wanted:
            raise SystemExit(f"--paired: {case} ran its forwards under autocast {row['autocast']}, not {wanted}")
    return {case: rows[case] for case in cases}


def collect_rows(children: dict, results, turns: Turns, poll: float = 5.0) -> tuple[dict, list[str]]:
    """Each case's row (``None`` if it failed) and the failures, as the children report them.

    A child that exits without reporting (killed, crashed) is a failure too: it leaves the turns and breaks the
    barriers, so the other cases stop at once instead of waiting out the turn timeout."""
    rows: dict = {}
    failures: list[str] = []
    silent: set[str] = set()  # exited without a report at the last poll (its report may still be in the pipe)
    deadline = time.monotonic() + turns.timeout * len(children)
    while len(rows) < len(children):
        try:
            case, row, failure = results.get(timeout=poll)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise TimeoutError(f"--paired: no report from {sorted(set(children) - set(rows))}") from None
            for case, child in children.items():
                if case in rows or child.exitcode is None:
                    continue
                if case in silent:
                    rows[case] = None
                    failures.append(f"{case}: its process exited with code {child.exitcode} without reporting")
                    turns.drop(case)
                silent.add(case)
            continue
        rows[case] = row
        if failure:
            failures.append(f"{case}: {failure}")
    return rows, failures


def _paired_case(case: str, model, data: dict, args, out: Path, turns: Turns, results) -> None:
    """One ``--paired`` case, in its own process's main thread; its row (or its failure) goes to ``results``."""
    try:
        results.put((case, run_case(case, model, data, args, out, callbacks=[turns.callback(case)]), None))
    except BaseException as error:  # noqa: BLE001 — reported by the parent, after the other cases stop
        turns.drop(case)
        results.put((case, None, f"{type(error).__name__}: {error}"))


def keep_freed_memory() -> None:
    """glibc: serve allocations up to 32 MiB from the heap and never give freed heap back to the system.

    By default glibc maps large blocks (activations) fresh and returns freed memory, so every training step faults
    its pages back in. A ``*-keepmem`` case measures what keeping them costs or saves (an experiment, not a default).
    """
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    if not (libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, (1 << 31) - 1)):
        raise SystemExit("mallopt refused the settings (not glibc?)")


def case_in_own_process(case: str, model: str | Path) -> dict:
    """Run one case in a fresh Python process with this command's arguments; its row.

    In one long process a case's speed depends on what ran before it (the allocator's state: the same case measured
    300 to 20,000 page faults per step, ±15% in speed), so by default every case and repeat starts clean.
    """
    with tempfile.TemporaryDirectory() as folder:
        row_file = Path(folder) / "row.json"
        command = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:],
                   "--one-case", case, "--model-dir", str(model), "--row-file", str(row_file)]  # fmt: skip
        subprocess.run(command, check=True)
        return json.loads(row_file.read_text(encoding="utf-8"))


def summarise(rows: list[dict]) -> dict:
    """Mean of each number over the repeats, with the spread (min, max) of the headline speeds."""
    summary = {key: float(np.mean([row[key] for row in rows])) for key, value in rows[0].items()
               if isinstance(value, (int, float))}  # fmt: skip
    for key in ("samples_per_s", "real_tokens_per_s"):
        summary[f"{key}_range"] = [min(row[key] for row in rows), max(row[key] for row in rows)]
    summary["batches_fingerprint"] = rows[0]["batches_fingerprint"]
    summary["repeats"] = len(rows)
    return summary


def machine_facts() -> dict:
    """The CPU, the flags that decide bf16/int8 speed, threads, and the library versions."""
    import transformers

    return {"cpu": cpu_description(), "cpu_flags": cpu_flags(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "transformers": transformers.__version__}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="small", choices=["small", "me5-small"])
    parser.add_argument("--data", default="nsmc", choices=list(DATA))
    parser.add_argument("--steps", type=int, default=40, help="optimiser steps per training case")
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the timing")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--test-rows", type=int, default=2_000)
    parser.add_argument("--inference-rows", type=int, default=2_000, help="test texts for inference (0: none)")
    parser.add_argument(
        "--inference-rounds", type=int, default=4, help="interleaved parts the inference cases alternate over"
    )
    parser.add_argument("--vocab-size", type=int, default=35_000)
    parser.add_argument("--inference-only", metavar="MODEL_DIR", help="time only inference, on this trained model")
    parser.add_argument("--cases", default=",".join(CASES), help=f"training cases, comma-separated (default {CASES})")
    parser.add_argument("--profile", action="store_true", help="also profile hf-same and ours (top ops per step)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each training case, alternating")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "throughput"))
    parser.add_argument("--result", help="name of results/<name>.json (default throughput_<model>_<data>)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run every case in this process (default: each case and repeat in a fresh process)",
    )
    parser.add_argument(
        "--paired",
        type=int,
        default=0,
        metavar="STEPS",
        help="run the cases at the same time, one process each, taking turns every STEPS optimiser steps, each timed "
        "only while it has the turn (a drift-proof ratio); default: one case after another",
    )
    parser.add_argument("--one-case", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    parser.add_argument("--row-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = DATA[args.data]
    args.freeze_word_embeddings = args.model == "me5-small"
    args.cases = args.cases.split(",")
    unknown = [c for c in args.cases if not (c.removesuffix("-keepmem") in ("hf-pad", "hf-group", "hf-same")
                                             or c.startswith("ours-"))]  # fmt: skip
    if (args.in_process or args.paired) and any(case.endswith("-keepmem") for case in args.cases):
        parser.error("*-keepmem cases change the whole process's allocator: run them without --in-process/--paired")
    if unknown:
        parser.error(f"unknown cases {unknown}: hf-pad, hf-group, hf-same or ours-<fp32|bf16>[-eager|-compile|...]")
    if args.inference_only:
        texts = read_split(data["preset"], data["dir"] / data["test"], max_rows=args.inference_rows)["text"][:]
        rows = with_ratios(inference_cases(Path(args.inference_only), texts, data["max_length"], args.inference_rounds))
        save_result(
            args.result or f"inference_{args.data}",
            {"model": args.inference_only, "data": args.data, "machine": machine_facts(), "inference": rows},
        )
        return
    if args.one_case:  # a child process of case_in_own_process
        row = run_case(args.one_case, args.model_dir, data, args, Path(args.out) / f"{args.model}-{args.data}")
        Path(args.row_file).write_text(json.dumps(row), encoding="utf-8")
        return
    out = fresh_dir(Path(args.out) / f"{args.model}-{args.data}")
    model = build_small_model(out, data, args.vocab_size) if args.model == "small" else offline_model(args.model)
    if not bf16_available():  # bf16 would run emulated, ~100x slower than fp32; electralab refuses it there
        print(f"no bf16 on this machine: leaving out {[c for c in args.cases if 'bf16' in c]}", flush=True)
        args.cases = [case for case in args.cases if "bf16" not in case]
    peaks = {"fp32_gflops": gemm_peak(torch.float32),
             "bf16_gflops": gemm_peak(torch.bfloat16, *((2048, 10) if bf16_available() else (512, 2)))}  # fmt: skip
    print(peaks, flush=True)

    runs: dict[str, list[dict]] = {case: [] for case in args.cases}
    model_dir = None
    for repeat in range(args.repeats):  # the cases alternate, so a slower minute of the machine hits all of them
        if args.paired:
            for case, row in paired_cases(args.cases, model, data, args, out / f"paired{repeat + 1}").items():
                model_dir = model_dir or row.pop("model_dir", None)
                runs[case].append(row)
                print(f"repeat {repeat + 1}/{args.repeats} (paired)", case, row, flush=True)
            continue
        for case in args.cases:
            row = run_case(case, model, data, args, out) if args.in_process else case_in_own_process(case, model)
            model_dir = model_dir or row.pop("model_dir", None)
            runs[case].append(row)
            print(f"repeat {repeat + 1}/{args.repeats}", case, row, flush=True)
    training = {case: summarise(rows) for case, rows in runs.items()}
    config = AutoConfig.from_pretrained(model)
    baseline = "hf-same" if "hf-same" in training else args.cases[0]
    for row in training.values():
        flops = training_flops_per_token(config, row["mean_real_length"]) * row["real_tokens_per_s"]
        row["model_flops_utilisation_vs_fp32_peak"] = flops / (peaks["fp32_gflops"] * 1e9)
        for other in ("hf-pad", "hf-group", "hf-same"):
            if other in training:
                for unit in ("samples_per_s", "real_tokens_per_s"):
                    row[f"{unit}_vs_{other}"] = row[unit] / training[other][unit]
    fingerprints = {case: {r["batches_fingerprint"] for r in rows} for case, rows in runs.items()}
    profiles = profile_steps(model, data, args, out) if args.profile else {}
    same_work = sorted(case for case, seen in fingerprints.items() if seen == fingerprints[baseline])

    inference = []
    if args.inference_rows and model_dir:  # --inference-rows 0: training only
        texts = read_split(data["preset"], data["dir"] / data["test"], max_rows=args.inference_rows)["text"][:]
        inference = with_ratios(inference_cases(Path(model_dir), texts, data["max_length"], args.inference_rounds))
    save_result(
        args.result or f"throughput_{args.model}_{args.data}",
        {
            "model": args.model,
            "data": args.data,
            "args": {k: v for k, v in vars(args).items() if k != "out"},
            "machine": machine_facts(),
            "gemm_peak": peaks,
            "training": training,
            "training_runs": runs,
            "same_batches_as_baseline": same_work,
            "profile": profiles,
            "inference": inference,
        },
    )


if __name__ == "__main__":
    main()
