"""``evaluate`` and ``predict`` on files, for a saved model folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ..config import DataConfig
from ..data.multilabel import read_multilabel_split
from ..data.readers import read_split, read_texts
from ..errors import ConfigError, DataError
from ..tasks.classification import score_logits
from ..tasks.multilabel import multi_hot
from ..training.multilabel_metrics import full_report, sigmoid
from ..training.rundir import RUN_CONFIG, load_run_config, write_json
from .predictor import Predictor

console = Console(stderr=True)


def evaluate_file(
    model_dir: str,
    data_path: str,
    fmt: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    output: str | None = None,
    batch_size: int = 64,
    precision: str = "fp32",
    compile: bool = False,
) -> dict:
    """Score the model in ``model_dir`` on a labelled file; print a table and return the metrics."""
    folder = Path(model_dir)
    predictor = Predictor.from_folder(folder, precision=precision, compile=compile)
    data = load_run_config(folder).data if (folder / RUN_CONFIG).is_file() else None
    fmt = fmt or (data.format if data else None)
    if fmt is None:
        raise ConfigError(f"{folder} has no {RUN_CONFIG}; pass --format (nsmc, ynat, imdb, sst2, table, ...)")
    if predictor.multi_label:
        metrics = _score_multi_label(predictor, data_path, data, text_column, batch_size)
    else:
        metrics = _score_single_label(predictor, data_path, fmt, data, text_column, label_column, batch_size)
    keys = [k for k in HEADLINE if k in metrics]
    table = Table(title=f"{data_path} ({metrics['rows']} rows)")
    for key in keys:
        table.add_column(key, justify="right")
    table.add_row(*(f"{metrics[k]:.4f}" for k in keys))
    console.print(table)
    if metrics["collapsed"]:
        console.print(f"[bold red]{Path(data_path).name}: the model's predictions collapsed[/bold red]")
    print(json.dumps({k: metrics[k] for k in [*keys, "rows"]}, ensure_ascii=False))
    if output:
        write_json(Path(output), metrics)
    return metrics


HEADLINE = ("accuracy", "f1_micro", "f1_macro", "f1_weighted", "f1_samples", "exact_match", "hamming_loss", "loss")


def _score_single_label(
    predictor: Predictor,
    data_path: str,
    fmt: str,
    data: DataConfig | None,
    text_column: str | None,
    label_column: str | None,
    batch_size: int,
) -> dict:
    dataset = read_split(
        fmt,
        data_path,
        text_column=text_column or (data.text_column if data else "text"),
        text_pair_column=data.text_pair_column if data else None,
        label_column=label_column or (data.label_column if data else "label"),
    )
    label2id = {name: i for i, name in enumerate(predictor.label_names)}
    unseen = sorted(set(dataset["label"][:]) - set(label2id))
    if unseen:
        raise DataError(
            f"{data_path}: labels {unseen} are not among the model's labels {predictor.label_names}; "
            "check the file or the --label-column"
        )
    pairs = dataset["text_pair"][:] if "text_pair" in dataset.column_names else None
    logits = predictor.logits(dataset["text"][:], pairs, batch_size)
    labels = np.array([label2id[label] for label in dataset["label"][:]])
    metrics, _ = score_logits(logits, labels, predictor.label_names, dataset["text"][:])
    return metrics


def _score_multi_label(
    predictor: Predictor, data_path: str, data: DataConfig | None, text_column: str | None, batch_size: int
) -> dict:
    data = data or DataConfig()
    dataset, _ = read_multilabel_split(
        data_path,
        text_column=text_column or data.text_column,
        label_columns=data.label_columns,
        label_column=data.label_column,
        label_delimiter=data.label_delimiter,
    )
    names = predictor.label_names
    unseen = sorted({n for labels in dataset["labels"][:] for n in labels} - set(names))
    if unseen:
        raise DataError(f"{data_path}: labels {unseen} are not among the model's labels {names}")
    target = multi_hot(names)
    truth = np.asarray([target(labels) for labels in dataset["labels"][:]], dtype=int)
    probabilities = sigmoid(predictor.logits(dataset["text"][:], None, batch_size))
    config = predictor.model.config
    metrics = full_report(truth, probabilities, list(predictor.thresholds()), names, config.threshold)
    metrics["rows"] = len(truth)
    return metrics


def predict_file(
    model_dir: str,
    input_path: str | None,
    output_path: str | None,
    text_column: str = "text",
    batch_size: int = 64,
    precision: str = "fp32",
    compile: bool = False,
) -> int:
    """Label each text of ``input_path`` (or stdin) and write JSON lines to ``output_path`` (or stdout)."""
    predictor = Predictor.from_folder(model_dir, precision=precision, compile=compile)
    if input_path is None:
        texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    elif Path(input_path).suffix.lower() in {".csv", ".tsv", ".jsonl", ".json"}:
        texts = read_split("table", input_path, text_column=text_column, require_label=False)["text"]
    else:
        texts = read_texts(input_path)
    if not texts:
        raise DataError(f"{input_path or 'stdin'}: no texts to predict; give one text per line")
    results = predictor.predict(texts, batch_size=batch_size)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
    if output_path is None:
        sys.stdout.write(lines)
    else:
        Path(output_path).write_text(lines, encoding="utf-8")
        console.print(f"wrote {len(results)} predictions to {output_path}")
    return len(results)
