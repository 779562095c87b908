"""``evaluate`` and ``predict`` on files or lists of texts, for a saved model folder (or a loaded Predictor)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datasets import Dataset
from rich.console import Console

from ..config import DataConfig
from ..data.readers import read_split, read_text_lines
from ..engine.rundir import RUN_CONFIG, load_run_config
from ..errors import ConfigError, DataError
from .predictor import Predictor

console = Console(stderr=True)


def as_predictor(
    model: str | Path | Predictor,
    precision: str = "fp32",
    compile: bool = False,
    units: str | None = None,
    force: bool = False,
) -> Predictor:
    """A model folder loaded as a :class:`Predictor` (a Predictor is returned as it is)."""
    if isinstance(model, Predictor):
        return model
    return Predictor.from_folder(model, precision=precision, compile=compile, units=units, force=force)


def run_data_config(model_dir: str | Path) -> DataConfig | None:
    """The data settings a model folder was trained with (reader, columns), when it has a run config."""
    folder = Path(model_dir)
    return load_run_config(folder).data if (folder / RUN_CONFIG).is_file() else None


def evaluate_file(
    model: str | Path | Predictor,
    data_path: str,
    fmt: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 64,
    precision: str = "fp32",
    compile: bool = False,
) -> dict[str, Any]:
    """Score a model on a labelled file read with the run's reader and columns (or the given ones)."""
    predictor = as_predictor(model, precision, compile)
    data = run_data_config(predictor.folder) if predictor.folder is not None else None
    fmt = fmt or (data.format if data else None)
    if fmt is None:
        raise ConfigError(f"{model} has no {RUN_CONFIG}; pass --format (nsmc, ynat, imdb, sst2, table, ...)")
    dataset = predictor.task.read_labelled(data_path, data, text_column, label_column, fmt)
    return predictor.score(dataset, batch_size, source=data_path)


def evaluate_texts(
    model: str | Path | Predictor,
    texts: Sequence[str],
    labels: Sequence[Any],
    batch_size: int = 64,
    precision: str = "fp32",
) -> dict[str, Any]:
    """Score a model on texts with their labels (a label name each; multi-label: a list of names each)."""
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} texts but {len(labels)} labels: give one label per text")
    predictor = as_predictor(model, precision)
    column = "labels" if labels and isinstance(labels[0], (list, tuple)) else "label"
    dataset = Dataset.from_dict({"text": list(texts), column: [list(x) if column == "labels" else x for x in labels]})
    return predictor.score(dataset, batch_size, source="the given texts")


SKIPPED = {"line": "blank line", "row": "empty text"}
"""The ``skipped`` reason of an input line or table row without text: it gets a record, but no prediction."""


def read_input_texts(input_path: str | None, text_column: str = "text") -> tuple[str, list[tuple[int, str]]]:
    """Texts to predict, each with where it came from: a .txt file or stdin (one per line), or a table's column.

    Returns:
        ``("line", [(line number, text), ...])`` for text input (blank lines included, so outputs line up with
        input lines), or ``("row", [(row number, text), ...])`` for a table (rows counted from 1 after the header).

    Raises:
        DataError: If the input holds no text at all.
    """
    if input_path is None:
        key, numbered = "line", [(n, line.rstrip("\r\n")) for n, line in enumerate(sys.stdin, start=1)]
    elif Path(input_path).suffix.lower() in {".csv", ".tsv", ".jsonl", ".json"}:
        texts = read_split("table", input_path, text_column=text_column, require_label=False)["text"]
        key, numbered = "row", list(enumerate(texts, start=1))
    else:
        key, numbered = "line", read_text_lines(input_path)
    if not any(text.strip() for _, text in numbered):
        raise DataError(f"{input_path or 'stdin'}: no texts to predict; give one text per line")
    return key, numbered


def predict_records(predictor: Predictor, key: str, numbered: list[tuple[int, str]], batch_size: int) -> list[dict]:
    """One record per input line or row, in input order: ``{key: n, **prediction}``, or a ``skipped`` one.

    A blank text gives ``{key: n, "text": text, "skipped": "blank line"}`` (a table row: ``"empty text"``).
    """
    texts = [text for _, text in numbered if text.strip()]
    predictions = iter(predictor.predict(texts, batch_size=batch_size))
    return [
        {key: n, **next(predictions)} if text.strip() else {key: n, "text": text, "skipped": SKIPPED[key]}
        for n, text in numbered
    ]


def predict_file(
    model: str | Path | Predictor,
    input_path: str | None,
    output_path: str | None,
    text_column: str = "text",
    batch_size: int = 64,
    precision: str = "fp32",
    compile: bool = False,
    units: str | None = None,
    force: bool = False,
) -> int:
    """Label each text of ``input_path`` (or stdin) and write JSON lines to ``output_path`` (or stdout).

    One record per input line (``line``) or table row (``row``), blank ones marked ``skipped``; returns their count.
    Question answering reads ``{question, context}`` rows instead and answers each.
    """
    if input_path is not None and not Path(input_path).is_file():  # before the model's seconds of loading
        problem = "is a directory" if Path(input_path).is_dir() else "not found"
        raise DataError(
            f"{input_path}: input file {problem}; pass a .txt file (one text per line) or a CSV/TSV/JSONL table "
            "(--text-column), or nothing to read stdin"
        )
    predictor = as_predictor(model, precision, compile, units, force)
    read_pairs = getattr(predictor.task, "read_prediction_inputs", None)  # question answering: (question, context)
    if read_pairs:
        questions, contexts = read_pairs(input_path)
        results = predictor.predict(questions, contexts, batch_size=batch_size)
    else:
        results = predict_records(predictor, *read_input_texts(input_path, text_column), batch_size)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
    if output_path is None:
        sys.stdout.write(lines)
    else:
        Path(output_path).write_text(lines, encoding="utf-8")
        console.print(f"wrote {len(results)} predictions to {output_path}")
    return len(results)
