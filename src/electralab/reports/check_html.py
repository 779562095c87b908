"""``check.html``: what ``electralab check`` found in a dataset, as a page a person opens."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from ..files import atomic_write
from .html import CSS, embed_png, escape, html_table
from .plots import plot_length_histograms


def _examples(title: str, examples: list[dict], value: str) -> str:
    if not examples:
        return ""

    def shown(found: Any) -> Any:
        return ", ".join(f"{key}: {count:,}" for key, count in found.items()) if isinstance(found, dict) else found

    rows = [[example["text"], shown(example[value])] for example in examples]
    return f"<h3>{escape(title)}</h3>\n" + html_table(["text", value], rows)


def _splits(report: dict[str, Any]) -> str:
    labels = report.get("labels", {})
    rows = []
    for name, split in report["splits"].items():
        distribution = labels.get(name, {})
        counts = ", ".join(f"{label}: {count:,}" for label, count in distribution.get("counts", {}).items())
        ratio = distribution.get("imbalance_ratio")
        rows.append([name, split["rows"], split["empty"], counts, f"{ratio:.2f}" if ratio else ""])
    return "<h2>Splits</h2>\n" + html_table(["split", "rows", "empty", "labels", "imbalance"], rows, {1, 2, 4})


def _duplicates(report: dict[str, Any]) -> str:
    parts = ["<h2>Duplicates inside each split</h2>"]
    rows = [[n, f["exact_rows"], f["exact_texts"], f["normalised_rows"]] for n, f in report["duplicates"].items()]
    parts.append(html_table(["split", "repeated rows", "texts repeated", "after normalising"], rows, {1, 2, 3}))
    for name, found in report["duplicates"].items():
        parts.append(_examples(f"{name}: most repeated", found["examples"], "copies"))
    return "\n".join(parts)


def _leakage(report: dict[str, Any]) -> str:
    parts = ["<h2>Leakage between splits</h2>"]
    rows = [
        [pair, found["rows"], f"{found['share']:.2%}", found["texts"], found["normalised_rows"]]
        for pair, found in report["leakage"].items()
    ]
    parts.append(html_table(["pair", "rows", "share", "distinct texts", "after normalising"], rows, {1, 2, 3, 4}))
    for pair, found in report["leakage"].items():
        parts.append(_examples(f"{pair}: examples", found["examples"], "rows"))
    return "\n".join(parts)


def _conflicts(report: dict[str, Any]) -> str:
    parts = ["<h2>Same text, different labels</h2>"]
    rows = [[where, found["texts"], found["rows"]] for where, found in report["conflicts"].items()]
    parts.append(html_table(["where", "texts", "rows"], rows, {1, 2}))
    for where, found in report["conflicts"].items():
        parts.append(_examples(f"{where}: examples", found["examples"], "labels"))
    return "\n".join(parts)


def _lengths(report: dict[str, Any], folder: Path) -> str:
    lengths = report.get("lengths")
    if not lengths:
        return ""
    keys = ("mean", "p50", "p90", "p95", "p99", "max", "truncated_rows", "truncated_share")
    rows = [[name, *(found.get(key) for key in keys)] for name, found in lengths.items()]
    parts = ["<h2>Token lengths</h2>", html_table(["split", *keys], rows, set(range(1, len(keys) + 1)))]
    plot = plot_length_histograms(lengths, folder / "check_lengths.png")
    if plot is not None:
        parts.append(embed_png(plot, "token length histograms"))
    coverage = report.get("tokenizer")
    if coverage:
        parts.append("<h3>Tokenizer coverage (train sample)</h3>")
        parts.append(html_table(["measure", "value"], [[key, value] for key, value in coverage.items()]))
    return "\n".join(parts)


def _characters(report: dict[str, Any]) -> str:
    characters = report.get("characters")
    if not characters:
        return ""
    kinds = ("control", "replacement_character", "mojibake", "mixed_script_word")
    rows = [[name, *(found[kind] for kind in kinds), found["scripts"]] for name, found in characters.items()]
    parts = ["<h2>Characters</h2>", html_table(["split", *kinds, "scripts (texts)"], rows, {1, 2, 3, 4})]
    for name, found in characters.items():
        for kind, texts in found.get("examples", {}).items():
            parts.append(f"<h3>{escape(name)}: {escape(kind)}</h3>\n" + html_table(["text"], [[t] for t in texts]))
    return "\n".join(parts)


def _multi_label(report: dict[str, Any]) -> str:
    found = report.get("multi_label")
    if not found:
        return ""
    names = found["labels"]
    rows = [[name, *row] for name, row in zip(names, found["co_occurrence"], strict=True)]
    return "<h2>Label co-occurrence (train)</h2>\n" + html_table(["", *names], rows, set(range(1, len(names) + 1)))


def write_check_report(path: Path, report: dict[str, Any], title: str = "electralab data check") -> Path:
    """Write ``check.html`` (plots embedded, and saved beside it) from a ``check.json`` report."""
    path = Path(path)
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    files = ", ".join(f"{name}: {file}" for name, file in report.get("files", {}).items())
    findings = report["findings"]
    summary = (
        '<div class="warnings"><strong>Findings</strong>\n<ul>\n'
        + "\n".join(f"<li>{escape(line)}</li>" for line in findings)
        + "\n</ul>\n</div>"
        if findings
        else "<p>No problems found.</p>"
    )
    body = [
        f'<h1>{escape(title)}</h1>\n<p class="meta">Generated {escape(generated)}; {escape(files)}</p>',
        summary,
        _splits(report),
        _leakage(report),
        _duplicates(report),
        _conflicts(report),
        _lengths(report, path.parent),
        _characters(report),
        _multi_label(report),
    ]
    document = (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )
    atomic_write(path, document)
    return path
