"""The run record: when it ran and on what (``environment.json``), its predictions, and a model card per model.

:func:`record_run` adds the run's times, model size, data and settings to ``metrics.json``'s ``run`` section,
writes ``environment.json`` and ``predictions/<split>.jsonl``; :func:`write_model_cards` writes a
``README.md`` into every saved model folder. The report header reads the same facts.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from ..files import atomic_write, write_json
from ..tasks import FinalEvaluation, Task
from .environment import collect_environment

ENVIRONMENT_NAME = "environment.json"
PREDICTIONS_DIR = "predictions"


def parameter_counts(model: torch.nn.Module) -> dict[str, int]:
    """Parameters of the trained model: all of them (shared tensors once) and the trainable ones."""
    unique = {id(p): p for p in model.parameters()}.values()
    return {"parameters": sum(p.numel() for p in unique), "trainable_parameters": sum(
        p.numel() for p in unique if p.requires_grad)}  # fmt: skip


def record_run(
    run_dir: Path, config: Any, task: Task, model: torch.nn.Module, evaluation: FinalEvaluation,
    metrics: dict[str, Any], started: float,
) -> None:  # fmt: skip
    """Complete ``metrics`` (run facts) and write ``environment.json`` and the predictions of every scored split.

    Args:
        run_dir: The run folder.
        config: The run's resolved config.
        task: The run's task (describes data and settings).
        model: The trained model.
        evaluation: The final evaluation (its ``predictions`` are written).
        metrics: The run's metrics, completed in place (``run``: times, parameters, data, settings).
        started: When training started (``time.time()``); the run finishes now, after scoring and saving.
    """
    finished = datetime.now().astimezone()
    described = task.describe_run(config)
    metrics["run"].update(
        {
            "title": f"{task.name} · {run_dir.name}",
            "started": datetime.fromtimestamp(started).astimezone().isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            **parameter_counts(model),
            "data": described["data"],
            "settings": described["settings"],
        }
    )
    write_json(run_dir / ENVIRONMENT_NAME, collect_environment(config.train.precision))
    for split, rows in evaluation.predictions.items():
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        atomic_write(run_dir / PREDICTIONS_DIR / f"{split}.jsonl", lines)


def _scores_table(metrics: dict[str, Any]) -> str:
    rows = []
    for split in ("dev", "test"):
        scores = metrics.get(split)
        if isinstance(scores, dict):
            shown = {k: v for k, v in scores.items() if isinstance(v, float) and k != "loss"}
            rows += [f"| {split} | {key} | {value:.4f} |" for key, value in list(shown.items())[:8]]
    return "| split | metric | value |\n|---|---|---|\n" + "\n".join(rows) if rows else "(no held-out scores)"


def model_card(name: str, metrics: dict[str, Any]) -> str:
    """A Hugging Face model card (``README.md``) for one model folder of the run."""
    run = metrics.get("run", {})
    data = "\n".join(f"- {split}: {text}" for split, text in run.get("data", {}).items()) or "- (not recorded)"
    settings = ", ".join(f"{key}={value}" for key, value in run.get("settings", {}).items())
    base = run.get("model") or run.get("discriminator") or "?"
    warnings = "\n".join(f"- {warning}" for warning in metrics.get("warnings", [])) or "- none"
    use = (
        'answer(model, ["question"], ["context"])'
        if run.get("task") == "question_answering"
        else 'predict(model, ["..."])'
    )
    return f"""---
library_name: transformers
tags: [electralab, {run.get("task", "")}]
---
# {name}

Trained with electralab ({run.get("task", "")}) from `{base}`: {run.get("parameters", 0):,} parameters,
{run.get("global_step")} optimizer steps, {run.get("started")} → {run.get("finished")}.

## Data
{data}

## Settings
{settings}

## Results
{_scores_table(metrics)}

## Warnings
{warnings}

## Use
```python
import electralab
model = electralab.load_model("{name}")
electralab.{use}
```
The run folder beside this model holds `metrics.json`, `environment.json` (hardware and versions),
`predictions/` and `report.html`.
"""


def write_model_cards(outputs: dict[str, Path], metrics: dict[str, Any]) -> None:
    """Write ``README.md`` into each saved model folder (``model/``, ``discriminator/``, ``generator/``)."""
    for name, folder in outputs.items():
        if Path(folder).is_dir():
            atomic_write(Path(folder) / "README.md", model_card(name, metrics))
