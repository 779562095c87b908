"""The header every run report opens with: what ran, on which data, with which settings, when, where, with what.

Read from ``metrics.json``'s ``run`` section, its notes and warnings, and ``environment.json`` beside it; a
fact that was not recorded is left out, never guessed.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any

ENVIRONMENT_NAME = "environment.json"

HEADER_CSS = """
.header th { width: 11rem; }
.header td { max-width: 820px; word-break: break-word; }
.notes, .warnings { border: 1px solid #ccd; border-left: 5px solid #1a5fb4; background: #f3f6fb;
                    padding: 0.5rem 1rem; margin: 0.8rem 0; border-radius: 4px; }
.warnings { border-color: #f5c2c0; border-left-color: #d93025; background: #fdecea; color: #8a1c14; }
.notes ul, .warnings ul { margin: 0.3rem 0 0 0; padding-left: 1.2rem; }
"""


def _escape(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def read_environment(run_dir: Path) -> dict[str, Any]:
    """``environment.json`` of a run folder, or an empty dict when it has none (an older or unfinished run)."""
    path = Path(run_dir) / ENVIRONMENT_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _duration(started: str | None, finished: str | None) -> str | None:
    try:
        seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    except (TypeError, ValueError):
        return None
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"


def _when(run: dict[str, Any]) -> str | None:
    started, finished = run.get("started"), run.get("finished")
    if not started:
        return None
    took = _duration(started, finished)
    return f"{started} → {finished} ({took}; training {run.get('train_seconds', '?')} s, the rest scoring)"


def _model(run: dict[str, Any]) -> str | None:
    name = run.get("model") or run.get("discriminator")
    if name is None:
        return None
    size = run.get("parameters")
    trainable = run.get("trainable_parameters")
    parts = [str(name)]
    if run.get("head"):
        parts.append(f"head {run['head']}")
    if run.get("generator"):
        parts.append(f"generator {run['generator']}")
    if isinstance(size, int):
        parts.append(f"{size / 1e6:,.2f}M parameters" + (f" ({trainable / 1e6:,.2f}M trained)" if trainable else ""))
    return " · ".join(parts)


def _hardware(environment: dict[str, Any]) -> str | None:
    hardware = environment.get("hardware")
    if not hardware:
        return None
    gpus = ", ".join(f"{g['name']} ({g['memory_gib']} GiB)" for g in hardware.get("gpus", [])) or "no GPU"
    return (
        f"{hardware.get('cpu')} · {hardware.get('cpu_cores')} cores, {hardware.get('torch_threads')} torch threads"
        f" · {gpus} · precision {hardware.get('precision')}"
    )


def _versions(environment: dict[str, Any]) -> str | None:
    versions = environment.get("versions")
    if not versions:
        return None
    shown = [f"{name} {value}" for name, value in versions.items() if value and "git" not in name]
    commit = versions.get("electralab_git_commit")
    shown.append(f"electralab commit {commit[:12]}{'+dirty' if commit.endswith('+dirty') else ''}" if commit
                 else "electralab not from a git checkout")  # fmt: skip
    return " · ".join(shown)


def _rows(run: dict[str, Any], environment: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("Model", _model(run))]
    rows += [(f"Data: {split}", text) for split, text in (run.get("data") or {}).items()]
    rows.append(("Rows used", ", ".join(f"{k[:-5]} {run[k]:,}" for k in ("train_rows", "dev_rows", "test_rows")
                                        if isinstance(run.get(k), int)) or None))  # fmt: skip
    settings = run.get("settings") or {}
    rows.append(("Settings", ", ".join(f"{key}={value}" for key, value in settings.items()) or None))
    rows.append(("Steps", f"{run['global_step']:,} optimizer steps" if isinstance(run.get("global_step"), int)
                 else None))  # fmt: skip
    rows += [("When", _when(run)), ("Hardware", _hardware(environment)), ("Versions", _versions(environment))]
    rows.append(("Command", environment.get("command")))
    return [(name, value) for name, value in rows if value]


def _panel(title: str, items: list[str], kind: str) -> str:
    if not items:
        return ""
    lis = "\n".join(f"<li>{_escape(item)}</li>" for item in items)
    return f'<div class="{kind}"><strong>{_escape(title)}</strong>\n<ul>\n{lis}\n</ul>\n</div>'


def run_header(run_dir: Path, metrics: dict[str, Any], title: str | None, default_title: str) -> str:
    """The report's opening: title, a table of the run's facts, then the warnings and notes panels.

    Args:
        run_dir: The run folder (``environment.json`` is read from it).
        metrics: The run's ``metrics.json`` content (``run``, ``notes``, ``warnings``).
        title: The title to show, or None for the run's own (``run.title``).
        default_title: The title when neither is given.
    """
    run = metrics.get("run") if isinstance(metrics.get("run"), dict) else {}
    if isinstance(metrics.get("warnings"), str):
        metrics = {**metrics, "warnings": [metrics["warnings"]]}
    environment = read_environment(run_dir)
    rows = "\n".join(f"<tr><th>{_escape(n)}</th><td>{_escape(v)}</td></tr>" for n, v in _rows(run, environment))
    warnings = [w for w in metrics.get("warnings") or [] if w]
    notes = [n for n in metrics.get("notes") or [] if n]
    return (
        f"<h1>{_escape(title or run.get('title') or default_title)}</h1>\n"
        + (f'<table class="header">\n{rows}\n</table>\n' if rows else "")
        + _panel(f"Warnings ({len(warnings)})", warnings, "warnings")
        + _panel(f"Notes ({len(notes)})", notes, "notes")
    )
