"""What a run hands back: typed results of training, pretraining and vocabulary building (no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunResult:
    """Where a training run (fine-tuning or pretraining) wrote its files and what it measured.

    Attributes:
        run_dir: The run folder (resolved config, metrics.json, log_history.json, the report, checkpoints/).
        outputs: The model folders it wrote, by name: ``model`` (fine-tuning) or ``discriminator`` and
            ``generator`` (pretraining).
        metrics: The content of ``metrics.json`` (``run``, ``dev``, ``test``, ``notes``, ``warnings``, ...).
        report: The HTML report, or None on the non-main processes of a distributed run.
    """

    run_dir: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    report: Path | None = None

    @property
    def model_dir(self) -> Path:
        """The fine-tuned model folder (``model/``), or the discriminator's after pretraining."""
        return self.outputs.get("model") or self.outputs["discriminator"]

    @property
    def discriminator_dir(self) -> Path:
        """Pretraining: the discriminator folder (fine-tune it like any encoder)."""
        return self.outputs["discriminator"]

    @property
    def generator_dir(self) -> Path:
        """Pretraining: the generator folder (an ``ElectraForMaskedLM``)."""
        return self.outputs["generator"]


@dataclass
class CheckResult:
    """What ``electralab check`` found and where it wrote it.

    Attributes:
        folder: The report folder.
        report: The content of ``check.json`` (per split and pair of splits; ``findings`` one line each).
        json_path: ``check.json``.
        html_path: ``check.html``.
    """

    folder: Path
    report: dict[str, Any]
    json_path: Path
    html_path: Path


@dataclass
class ComparisonResult:
    """What ``electralab compare`` measured and where it wrote it.

    Attributes:
        folder: The comparison folder (``runs/<configuration>/seed-<seed>/`` and the three reports).
        summary: The content of ``comparison.json``: per configuration mean ± std over seeds (``configurations``),
            the ``best`` configuration by dev, ``differences``, ``bootstrap`` and every run's record (``runs``).
        json_path: ``comparison.json``.
        markdown_path: ``comparison.md``.
        html_path: ``comparison.html`` (plots embedded).
    """

    folder: Path
    summary: dict[str, Any]
    json_path: Path
    markdown_path: Path
    html_path: Path

    @property
    def best(self) -> str | None:
        """The label of the configuration with the best mean dev metric (None if no run finished)."""
        return self.summary.get("best")

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The runs that failed: configuration, seed and error."""
        return [run for run in self.summary.get("runs", []) if run["status"] == "failed"]


@dataclass
class SearchResult(ComparisonResult):
    """What ``electralab search`` found and where it wrote it: a comparison of its trials plus the Optuna study.

    ``summary["search"]`` holds the study: ``trials`` (number, label, state, objective, params), ``best_trial``,
    ``best_value``, ``best_params`` and ``best_overrides`` (``key=value`` to pass to ``electralab train``).
    """

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's values by dotted config key (empty if no trial finished)."""
        return dict(self.summary["search"]["best_params"])

    @property
    def trials(self) -> list[dict[str, Any]]:
        """Every trial of the study: number, label, state, objective and params."""
        return list(self.summary["search"]["trials"])
