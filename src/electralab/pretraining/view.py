"""The per-step view: what the generator replaced and what the discriminator caught, for one sequence.

``build_view`` turns one sequence's tensors into rows (position, original token, generator's token,
replaced?, flagged?, correct?) and a summary line; ``rich_view`` prints it, ``write_html_report`` keeps
every view of a run in ``pretrain_report.html`` (rewritten atomically).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from rich.console import Group
from rich.table import Table
from rich.text import Text
from transformers import PreTrainedTokenizerBase

from ..files import atomic_write
from ..reports.fonts import font_face_css
from ..reports.header import HEADER_CSS, run_header
from ..reports.html import embed_png
from ..reports.plots import plot_pretraining_curves
from .model import ElectraPretrainingOutput

REPORT_NAME = "pretrain_report.html"
VIEWS_NAME = "pretrain_views.jsonl"
METRICS_NAME = "metrics.jsonl"
CURVES_NAME = "pretrain_curves.png"
MAX_HTML_VIEWS = 200


@dataclass(frozen=True)
class TokenRow:
    """One token of the viewed sequence."""

    position: int
    original: str
    generator: str | None
    """The generator's sampled token (masked positions only)."""
    masked: bool
    replaced: bool
    """The corrupted token differs from the original (a sample equal to the original is not a replacement)."""
    flagged: bool
    """The discriminator says replaced (logit > 0)."""
    probability: float
    """The discriminator's probability that the token was replaced."""
    special: bool

    @property
    def correct(self) -> bool:
        """The discriminator's verdict matches what happened."""
        return self.flagged == self.replaced


@dataclass(frozen=True)
class ReplacedTokenView:
    """One sequence at one step: the rows and the counts of the summary line."""

    step: int
    rows: list[TokenRow]

    @property
    def tokens(self) -> int:
        """Real (non-pad) tokens judged by the discriminator."""
        return len(self.rows)

    @property
    def misjudged(self) -> int:
        """Tokens whose verdict was wrong."""
        return sum(not row.correct for row in self.rows)

    @property
    def replaced(self) -> int:
        """Tokens the generator actually replaced."""
        return sum(row.replaced for row in self.rows)

    @property
    def caught(self) -> int:
        """Replaced tokens the discriminator flagged."""
        return sum(row.replaced and row.flagged for row in self.rows)

    def summary(self) -> str:
        """``X tokens, Y misjudged — Z replaced, W caught``."""
        return f"{self.tokens} tokens, {self.misjudged} misjudged — {self.replaced} replaced, {self.caught} caught"

    def shown_rows(self) -> list[TokenRow]:
        """The rows worth a table line: masked or flagged tokens (every other token is original, judged original)."""
        return [row for row in self.rows if row.masked or row.flagged]

    def original_text(self) -> str:
        """The original sequence as text (word pieces joined, special tokens left out)."""
        return _join([(row.original, "") for row in self.rows if not row.special])

    def corrupted_pieces(self) -> list[tuple[str, str]]:
        """The corrupted sequence as (token, mark) pairs; mark is '', 'replaced', 'flagged' or 'replaced flagged'."""
        pieces = []
        for row in self.rows:
            if row.special:
                continue
            token = row.generator if row.replaced else row.original
            marks = [name for name, on in (("replaced", row.replaced), ("flagged", row.flagged)) if on]
            pieces.append((token or "", " ".join(marks)))
        return pieces

    def to_dict(self) -> dict[str, Any]:
        """JSON form (one line of ``pretrain_views.jsonl``)."""
        return {"step": self.step, "rows": [asdict(row) for row in self.rows]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplacedTokenView:
        """Inverse of :meth:`to_dict`."""
        return cls(step=int(data["step"]), rows=[TokenRow(**row) for row in data["rows"]])


def build_view(
    tokenizer: PreTrainedTokenizerBase,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    masked_positions: torch.Tensor,
    sampled_ids: torch.Tensor,
    discriminator_logits: torch.Tensor,
    step: int = 0,
) -> ReplacedTokenView:
    """Build the view of one sequence from its tensors (all of shape (T,)).

    A position counts as replaced when it was masked and the sampled id differs from the original;
    the discriminator flags it when its logit is above 0.
    """
    special_ids = set(tokenizer.all_special_ids)
    rows = []
    for position in torch.nonzero(attention_mask.bool(), as_tuple=False).flatten().tolist():
        original_id = int(input_ids[position])
        masked = bool(masked_positions[position])
        sampled_id = int(sampled_ids[position]) if masked else None
        logit = float(discriminator_logits[position])
        rows.append(
            TokenRow(
                position=position,
                original=tokenizer.convert_ids_to_tokens(original_id),
                generator=tokenizer.convert_ids_to_tokens(sampled_id) if sampled_id is not None else None,
                masked=masked,
                replaced=masked and sampled_id != original_id,
                flagged=logit > 0,
                probability=round(float(torch.sigmoid(torch.tensor(logit))), 4),
                special=original_id in special_ids,
            )
        )
    return ReplacedTokenView(step=step, rows=rows)


def view_from_output(
    output: ElectraPretrainingOutput, tokenizer: PreTrainedTokenizerBase, step: int, index: int = 0
) -> ReplacedTokenView:
    """The view of sequence ``index`` of a batch's forward output."""
    return build_view(
        tokenizer,
        output.input_ids[index].cpu(),
        output.attention_mask[index].cpu(),
        output.masked_positions[index].cpu(),
        output.sampled_ids[index].cpu(),
        output.discriminator_logits[index].float().cpu(),
        step=step,
    )


def _join(pieces: list[tuple[str, str]], render: Any = None) -> str:
    """Join word pieces into text (``##x`` glued to the previous piece); ``render`` wraps marked pieces."""
    out = []
    for token, mark in pieces:
        glue = token.startswith("##")
        text = token[2:] if glue else token
        text = render(text, mark) if render and mark else (html.escape(text) if render else text)
        out.append(text if glue or not out else " " + text)
    return "".join(out)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def rich_view(view: ReplacedTokenView) -> Group:
    """A rich renderable: original, corrupted (replaced in red, flagged underlined), table, summary."""
    corrupted = Text()
    for i, (token, mark) in enumerate(view.corrupted_pieces()):
        glue = token.startswith("##")
        if i and not glue:
            corrupted.append(" ")
        style = ("bold red" if "replaced" in mark else "") + (" underline" if "flagged" in mark else "")
        corrupted.append(token[2:] if glue else token, style=style.strip() or None)
    table = Table(title=f"step {view.step}", show_lines=False)
    for name in ("pos", "original", "generator", "replaced?", "disc says replaced?", "correct?"):
        table.add_column(name)
    for row in view.shown_rows():
        table.add_row(
            str(row.position),
            row.original,
            row.generator or "",
            _yes(row.replaced),
            f"{_yes(row.flagged)} ({row.probability:.2f})",
            "✓" if row.correct else "[bold red]✗[/]",
        )
    return Group(
        Text.assemble(("original:  ", "bold"), view.original_text()),
        Text.assemble(("corrupted: ", "bold"), corrupted),
        table,
        Text(view.summary(), style="bold"),
    )


def _html_mark(text: str, mark: str) -> str:
    return f'<span class="{mark}">{html.escape(text)}</span>'


def html_view(view: ReplacedTokenView) -> str:
    """One view as an HTML section."""
    rows = "".join(
        f'<tr class="{"" if row.correct else "wrong"}"><td class=num>{row.position}</td>'
        f"<td>{html.escape(row.original)}</td><td>{html.escape(row.generator or '')}</td>"
        f"<td>{_yes(row.replaced)}</td><td>{_yes(row.flagged)} ({row.probability:.2f})</td>"
        f"<td>{'✓' if row.correct else '✗'}</td></tr>"
        for row in view.shown_rows()
    )
    return (
        f"<section><h2>step {view.step}</h2>"
        f"<p><b>original</b>: {html.escape(view.original_text())}</p>"
        f"<p><b>corrupted</b>: {_join(view.corrupted_pieces(), _html_mark)}</p>"
        "<table><tr><th>position</th><th>original</th><th>generator</th><th>replaced?</th>"
        f"<th>discriminator says replaced?</th><th>correct?</th></tr>{rows}</table>"
        f"<p class=summary>{html.escape(view.summary())}</p></section>"
    )


_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, "Report Hangul", "Noto Sans KR",
       "Malgun Gothic", sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #222; }
img.plot { max-width: 100%; height: auto; border: 1px solid #eee; }
.meta { color: #666; font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; }
th { background: #f4f5f7; text-align: left; }
td.num { text-align: right; }
tr.wrong td { background: #fdecea; }
span.replaced { background: #fbd5d0; color: #8a1c14; font-weight: 600; }
span.flagged { text-decoration: underline wavy #1a5fb4; }
p.summary { font-weight: 600; }
"""
RUN_METRICS_NAME = "metrics.json"


def _finished_run_metrics(run_dir: Path) -> dict[str, Any]:
    """The run's ``metrics.json`` once it finished (run facts, notes, warnings), else nothing."""
    try:
        return json.loads((run_dir / RUN_METRICS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def append_view(run_dir: Path, view: ReplacedTokenView) -> Path:
    """Add ``view`` to the run's ``pretrain_views.jsonl`` and rewrite ``pretrain_report.html`` from all views."""
    with (run_dir / VIEWS_NAME).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(view.to_dict(), ensure_ascii=False) + "\n")
    return write_html_report(run_dir)


def write_html_report(run_dir: Path) -> Path:
    """Write ``pretrain_report.html`` (atomically): diagnostics curves, then the per-step views, newest first.

    The curves come from ``metrics.jsonl``, the views from ``pretrain_views.jsonl``.
    The page shows the latest ``MAX_HTML_VIEWS`` views; the JSON lines keep all of them.
    """
    metrics_file = run_dir / METRICS_NAME
    records = (
        [json.loads(line) for line in metrics_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if metrics_file.is_file()
        else []
    )
    curves_path = plot_pretraining_curves(records, run_dir / CURVES_NAME)
    curves = (
        f"<h2>Diagnostics over steps</h2>{embed_png(curves_path, 'diagnostics over steps')}"
        '<p class="meta">Accuracy of the discriminator is only worth something above the dashed baseline: '
        "answering 'original' for every token scores 1 − replaced fraction.</p>"
        if curves_path
        else ""
    )
    views_file = run_dir / VIEWS_NAME
    lines = views_file.read_text(encoding="utf-8").splitlines() if views_file.is_file() else []
    lines = [line for line in lines if line.strip()]
    views = [ReplacedTokenView.from_dict(json.loads(line)) for line in lines[-MAX_HTML_VIEWS:]]
    body = "".join(html_view(view) for view in reversed(views))
    legend = (
        '<p class="meta"><span class="replaced">replaced by the generator</span> · '
        '<span class="flagged">flagged by the discriminator</span> · rows in red: misjudged'
        + (
            f" · the latest {len(views)} of {len(lines)} views; all are in {VIEWS_NAME}"
            if len(lines) > len(views)
            else ""
        )
        + "</p>"
    )
    header = run_header(run_dir, _finished_run_metrics(run_dir), None, f"ELECTRA pretraining: {run_dir.name}")
    page = (
        f"{header}{curves}<h2>Per-step views: what the generator replaced, what the discriminator caught</h2>"
        f"{legend}{body}"
    )
    path = run_dir / REPORT_NAME
    atomic_write(
        path,
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>ELECTRA pretraining: {run_dir.name}'
        f"</title><style>{font_face_css([page])}{_CSS}{HEADER_CSS}</style></head><body>{page}</body></html>\n",
    )
    return path
