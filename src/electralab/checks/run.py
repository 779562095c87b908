"""Check the data a config names, through its task: write check.json and check.html, print the findings."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..config import RunConfig
from ..data.quality_report import check_splits
from ..engine.rundir import new_run_dir
from ..files import write_json
from ..models.loading import load_tokenizer
from ..reports.check_html import write_check_report
from ..results import CheckResult
from ..tasks import get_task

console = Console(stderr=True)


def check_data(config: RunConfig, run_name: str = "check", with_tokenizer: bool = True) -> CheckResult:
    """Run every data check on the configured files and write a report folder under ``config.output_dir``.

    Args:
        config: A fine-tuning config (its data section; its model's tokenizer for the token checks).
        run_name: Prefix of the report folder.
        with_tokenizer: Also check token lengths and tokenizer coverage (needs ``config.model.name_or_path``).
    """
    started = time.perf_counter()
    task = get_task(config.task)
    splits = task.raw_splits(config)
    tokenizer = load_tokenizer(config.model.name_or_path) if with_tokenizer and config.model.name_or_path else None
    report = check_splits(
        splits, task.label_column, tokenizer, config.data.max_length, label_names=config.data.label_columns
    )
    report["files"] = {
        name: str(config.data.resolve(getattr(config.data, f"{name}_file"))) for name in splits
    }  # fmt: skip
    report["seconds"] = round(time.perf_counter() - started, 1)
    folder = new_run_dir(config.output_dir, run_name)
    write_json(folder / "check.json", report)
    html = write_check_report(folder / "check.html", report)
    _print(report, folder)
    return CheckResult(folder=folder, report=report, json_path=folder / "check.json", html_path=html)


def _print(report: dict, folder: Path) -> None:
    table = Table(title=f"data check ({report['seconds']} s)")
    for column in ("split", "rows", "empty", "repeated rows", "leaked from train", "conflicting texts"):
        table.add_column(column, justify="right" if column != "split" else "left")
    for name, split in report["splits"].items():
        leaked = report["leakage"].get(f"train->{name}", {}).get("rows", "")
        table.add_row(
            name, f"{split['rows']:,}", f"{split['empty']:,}", f"{report['duplicates'][name]['exact_rows']:,}",
            f"{leaked:,}" if leaked != "" else "", f"{report['conflicts'][name]['texts']:,}",
        )  # fmt: skip
    console.print(table)
    for line in report["findings"] or ["no problems found"]:
        console.print(f"  - {line}")
    console.print(f"report: {folder / 'check.html'}")
