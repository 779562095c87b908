"""Run records people can trust and share: report header, predictions, environment, permissions, Korean glyphs."""

from __future__ import annotations

import json
import os
import stat
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import SHARED_DATA

from electralab.cli import main
from electralab.reports.fonts import FONT_FAMILY, font_face_css, missing_glyphs, register_font
from electralab.reports.plots import plot_confusion_matrix

YNAT_LABELS = ["IT과학", "경제", "사회", "생활문화", "세계", "스포츠", "정치"]
UMASK = 0o027


@pytest.fixture(scope="module")
def korean_run(korean_encoder, tmp_path_factory) -> Path:
    """A tiny KLUE-YNAT run (Korean titles and class names), written under umask 027."""
    out = tmp_path_factory.mktemp("ynat-runs")
    previous = os.umask(UMASK)
    try:
        code = main(
            ["train", "--preset", "ynat", "--data-dir", str(SHARED_DATA / "klue_ynat"), "--model", str(korean_encoder),
             "--output-dir", str(out), "data.max_train_rows=120", "data.max_test_rows=60", "data.max_length=32",
             "train.epochs=2", "train.batch_size=32", "train.report_to=[]", "train.progress_bar=false",
             "train.keep_checkpoints=5"]
        )  # fmt: skip
    finally:
        os.umask(previous)
    assert code == 0
    (run_dir,) = out.iterdir()
    return run_dir


def _metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))


def test_report_header_has_the_run_facts_and_notes(korean_run):
    metrics, page = _metrics(korean_run), (korean_run / "report.html").read_text(encoding="utf-8")
    run = metrics["run"]
    assert run["parameters"] > 0 and run["started"] <= run["finished"] and run["finished"][-6] in "+-"
    for fact in (
        "sequence_classification · " + korean_run.name,  # title
        str(Path(run["model"])), f"{run['parameters'] / 1e6:,.2f}M parameters",
        "ynat-v1.1_train.tsv: the first 120 rows", "ynat-v1.1_dev.tsv: the first 60 rows",
        "learning_rate=5e-05", "seed=42", "precision fp32", "torch threads",
        f"→ {run['finished']}", "python ", "torch ", "transformers ", "electralab 0.1.0",
    ):  # fmt: skip
        assert fact in page, fact
    assert "electralab commit " in page or "electralab not from a git checkout" in page
    assert metrics["notes"] and all(note.replace("&", "&amp;")[:40] in page for note in metrics["notes"][:3])
    assert f"Notes ({len(metrics['notes'])})" in page
    assert f"Warnings ({len(metrics['warnings'])})" in page or not metrics["warnings"]
    # The Korean on the page reads without a system CJK font: the bundled font's subset is embedded.
    assert "@font-face { font-family: 'Report Hangul'; src: url(data:font/ttf;base64," in page
    assert "macro avg" in page and "weighted avg" in page and "Confusion matrix (dev)" in page


def test_environment_model_card_and_pruned_checkpoints(korean_run):
    environment = json.loads((korean_run / "environment.json").read_text())
    assert environment["versions"]["torch"] and environment["hardware"]["torch_threads"] >= 1
    card = (korean_run / "model" / "README.md").read_text(encoding="utf-8")
    assert "ynat-v1.1_train.tsv" in card and "| test | accuracy |" in card
    checkpoints = sorted(p.name for p in (korean_run / "checkpoints").iterdir())
    metrics = _metrics(korean_run)
    best = Path(metrics["run"]["best_checkpoint"]).name
    assert checkpoints == sorted({best, checkpoints[-1]}) and len(checkpoints) <= 2
    assert any(note.startswith("checkpoints kept:") for note in metrics["notes"])
    last = korean_run / "checkpoints" / checkpoints[-1]
    assert (last / "optimizer.pt").is_file()  # a resume continues from here
    if best != last.name:
        assert not (korean_run / "checkpoints" / best / "optimizer.pt").exists()
    # A finished run still resumes (nothing left to train) and ends in the same place.
    previous = os.umask(UMASK)
    try:
        assert main(["train", "--resume", str(korean_run)]) == 0
    finally:
        os.umask(previous)
    assert _metrics(korean_run)["run"]["global_step"] == metrics["run"]["global_step"]


def test_predictions_file_agrees_with_metrics(korean_run):
    metrics = _metrics(korean_run)["test"]
    rows = [json.loads(line) for line in (korean_run / "predictions" / "test.jsonl").read_text().splitlines()]
    assert len(rows) == metrics["rows"] == 60
    names = metrics["label_names"]
    assert all(set(r["probabilities"]) == set(names) and r["predicted"] in names for r in rows)
    assert all(max(r["probabilities"], key=r["probabilities"].get) == r["predicted"] for r in rows)
    accuracy = np.mean([r["gold"] == r["predicted"] for r in rows])
    assert accuracy == pytest.approx(metrics["accuracy"])
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for r in rows:
        matrix[names.index(r["gold"]), names.index(r["predicted"])] += 1
    assert matrix.tolist() == metrics["confusion_matrix"]


def test_run_files_follow_the_umask(korean_run):
    wrong = []
    for path in [korean_run, *korean_run.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~UMASK
        if mode & ~expected:  # more permissive than the umask allows (e.g. a forced 0644)
            wrong.append(f"{path.relative_to(korean_run)}: {oct(mode)}")
    assert not wrong, wrong
    assert stat.S_IMODE((korean_run / "metrics.json").stat().st_mode) == 0o640


def test_korean_confusion_matrix_has_every_glyph(tmp_path):
    assert missing_glyphs("".join(YNAT_LABELS) + "긍정부정") == []
    assert missing_glyphs("\U00013000 정치") == ["\U00013000"]  # the check can fail (an Egyptian hieroglyph)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)": fail on it
        plot_confusion_matrix(np.eye(7, dtype=int).tolist(), YNAT_LABELS, tmp_path / "cm.png", "정치 vs 경제")
    with plt.rc_context({"font.family": register_font()}):
        fig, ax = plt.subplots()
        text = ax.text(0, 0, "생활문화")
        fig.canvas.draw()
        used = text.get_fontproperties()
        plt.close(fig)
    from matplotlib import font_manager

    assert font_manager.FontProperties(fname=font_manager.findfont(used)).get_name() in ("DejaVu Sans", FONT_FAMILY)
    assert font_face_css(["abc"]) == "" and "base64" in font_face_css(["정치"])


def test_pretraining_logs_its_final_step_and_reports_the_run(toy_encoder, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(f"w{(i * j) % 40}" for j in range(12)) for i in range(60)), encoding="utf-8")
    out = tmp_path / "runs"
    code = main(
        ["pretrain", "--discriminator", str(toy_encoder), "--corpus", str(corpus), "--output-dir", str(out),
         "train.max_steps=3", "train.logging_steps=100", "train.view_steps=2", "train.batch_size=8",
         "corpus.max_length=32", "train.report_to=[]", "train.progress_bar=false"]
    )  # fmt: skip
    assert code == 0
    (run_dir,) = out.iterdir()
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    final = [r for r in records if "loss" in r]
    assert [r["step"] for r in final] == [3], "max_steps < logging_steps: the final step is still logged"
    assert final[0]["disc_accuracy"] is not None and final[0]["replaced_fraction"] is not None
    page = (run_dir / "pretrain_report.html").read_text(encoding="utf-8")
    assert (run_dir / "pretrain_curves.png").is_file() and "1 − replaced fraction" in page
    assert "electra_pretraining · " + run_dir.name in page and "Data: corpus" in page and "torch threads" in page
    assert "img.plot { max-width: 100%" in page
    assert (run_dir / "discriminator" / "README.md").is_file() and (run_dir / "environment.json").is_file()
