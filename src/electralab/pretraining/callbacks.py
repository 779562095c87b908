"""Trainer callback: the per-step replaced-token view and ``metrics.jsonl``."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rich.console import Console
from transformers import PreTrainedTokenizerBase, TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from .trainer import StepRecorder
from .view import METRICS_NAME, append_view, rich_view, view_from_output, write_html_report


class ReplacedTokenViewCallback(TrainerCallback):
    """Every ``view_steps`` steps, show and report the first sequence of the last batch; log lines to a file.

    Args:
        recorder: Where the trainer keeps the last forward's tensors.
        tokenizer: Turns ids back into tokens.
        run_dir: The run folder (``pretrain_report.html``, ``pretrain_views.jsonl``, ``metrics.jsonl``).
        view_steps: Steps between views (0: never).
        console: Where the views are printed.
    """

    def __init__(
        self,
        recorder: StepRecorder,
        tokenizer: PreTrainedTokenizerBase,
        run_dir: Path,
        view_steps: int,
        console: Console,
    ) -> None:
        self.recorder = recorder
        self.tokenizer = tokenizer
        self.run_dir = run_dir
        self.view_steps = view_steps
        self.console = console

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: object
    ) -> None:
        """Show the view of the step just finished."""
        if not self.view_steps or state.global_step % self.view_steps or not state.is_world_process_zero:
            return
        if self.recorder.last is None:
            return
        view = view_from_output(self.recorder.last, self.tokenizer, state.global_step)
        self.console.print(rich_view(view))
        append_view(self.run_dir, view)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: object,
    ) -> None:
        """Append the log (with the diagnostics) as one JSON line of ``metrics.jsonl``."""
        if not logs or not state.is_world_process_zero:
            return
        record = {"step": state.global_step, **{k: _json_number(v) for k, v in logs.items()}}
        with (self.run_dir / METRICS_NAME).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        write_html_report(self.run_dir)


def _json_number(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def truncate_jsonl(path: Path, last_step: int) -> None:
    """Drop lines logged after ``last_step`` (a resumed run logs those steps again)."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if json.loads(line)["step"] <= last_step]
    path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
