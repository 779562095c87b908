"""``electralab compare``: a grid of heads × settings × seeds, resumable, failures recorded, honest statistics."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

import electralab as el
import electralab.comparison.runner as runner
from electralab.cli import main
from electralab.comparison.bootstrap import paired_bootstrap
from electralab.comparison.grid import split_values
from electralab.comparison.tables import best_verdict

TOY = [
    "data.train_file=train.csv",
    "data.test_file=test.csv",
    "data.max_train_rows=160",
    "data.max_length=32",
    "train.batch_size=16",
    "train.learning_rate=1e-3",
    "train.report_to=[]",
    "train.progress_bar=false",
]


def _compare(toy_encoder, toy_data, out, **kwargs):
    options = {"heads": ["cls", "mean"], "seeds": 2, "epochs": 2, "name": "grid", "overrides": TOY, **kwargs}
    return el.compare(model=toy_encoder, data_dir=toy_data, output_dir=out, **options)


class _Counting:
    """Stands in for the training path: counts the runs and passes them on (or fails the chosen ones)."""

    def __init__(self, fail=lambda config: False):
        self.configs, self.fail = [], fail

    real = staticmethod(runner.run_training)

    def __call__(self, config, **kwargs):
        self.configs.append(config)
        if self.fail(config):
            raise RuntimeError(f"boom in head {config.model.head}, seed {config.train.seed}")
        return self.real(config, **kwargs)


def _metrics_files(folder: Path) -> dict[Path, float]:
    return {path: path.stat().st_mtime_ns for path in sorted(folder.glob("runs/*/seed-*/run-*/metrics.json"))}


def test_grid_reports_match_the_runs_and_a_rerun_trains_nothing(toy_encoder, toy_data, tmp_path, monkeypatch):
    result = _compare(toy_encoder, toy_data, tmp_path)
    folder = tmp_path / "grid"
    assert result.folder == folder
    assert el.compare is el.api.compare  # importing the comparison package did not shadow the function
    for name in ("comparison.json", "comparison.md", "comparison.html"):
        assert (folder / name).is_file()
    html = (folder / "comparison.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2  # dev per epoch with seed bands, training loss
    runs = _metrics_files(folder)
    assert sorted(p.parent.parent.relative_to(folder).as_posix() for p in runs) == [
        "runs/head-cls/seed-42", "runs/head-cls/seed-43", "runs/head-mean/seed-42", "runs/head-mean/seed-43",
    ]  # fmt: skip
    summary = json.loads((folder / "comparison.json").read_text())
    assert summary == json.loads(json.dumps(result.summary))
    assert (summary["runs_finished"], summary["runs_failed"], summary["seeds"]) == (4, 0, [42, 43])

    # The table's statistics are those of each run's metrics.json (sample std over the seeds).
    for row in summary["configurations"]:
        files = sorted(folder.glob(f"runs/{row['slug']}/seed-*/run-*/metrics.json"))
        metrics = [json.loads(path.read_text()) for path in files]
        for split in ("dev", "test"):
            for key in ("accuracy", "f1_macro", "loss"):
                values = [m[split][key] for m in metrics]
                assert row[split][key]["mean"] == pytest.approx(statistics.fmean(values), abs=1e-12)
                assert row[split][key]["std"] == pytest.approx(statistics.stdev(values), abs=1e-12)
        histories = [json.loads((p.parent / "log_history.json").read_text()) for p in files]
        last_dev = [[e["eval_loss"] for e in h if "eval_loss" in e][-1] for h in histories]
        assert [e["epoch"] for e in row["dev_per_epoch"]] == [1.0, 2.0]
        assert row["dev_per_epoch"][-1]["loss"]["mean"] == pytest.approx(statistics.fmean(last_dev), abs=1e-12)
    assert any(row["dev"]["loss"]["std"] > 0 for row in summary["configurations"])  # else std could not be tested
    by_dev = max(summary["configurations"], key=lambda row: row["dev"]["accuracy"]["mean"])
    assert result.best == by_dev["label"]
    markdown = (folder / "comparison.md").read_text(encoding="utf-8")
    cls = next(row for row in summary["configurations"] if row["label"] == "head=cls")
    accuracy = cls["test"]["accuracy"]
    assert f"{accuracy['mean']:.4f} ± {accuracy['std']:.4f}" in markdown
    assert "not used for any choice" in markdown and "## Paired bootstrap on test predictions" in markdown
    assert best_verdict(summary).startswith(result.best) and best_verdict(summary) in markdown
    assert best_verdict(summary) in html

    # Again: nothing is trained, no run folder is touched.
    counting = _Counting()
    monkeypatch.setattr(runner, "run_training", counting)
    again = _compare(toy_encoder, toy_data, tmp_path)
    assert counting.configs == [] and _metrics_files(folder) == runs
    assert again.summary["configurations"] == json.loads(json.dumps(summary["configurations"]))

    # A killed grid: one run left unfinished (no metrics.json) is trained again, and only that one.
    unfinished = next(iter(runs))
    unfinished.unlink()
    _compare(toy_encoder, toy_data, tmp_path)
    assert [(c.model.head, c.train.seed) for c in counting.configs] == [("cls", 42)]
    assert len(_metrics_files(folder)) == 4
    assert len(list(folder.glob("runs/head-cls/seed-42/run-*"))) == 1  # the unfinished folder was cleared

    # The same folder with another recipe is refused before anything trains.
    with pytest.raises(el.ConfigError, match=r"train\.epochs: 2\.0 there, 1\.0 now"):
        _compare(toy_encoder, toy_data, tmp_path, epochs=1)
    assert len(counting.configs) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"heads": ["cls", "bogus"]}, "unknown head 'bogus'"),
        ({"sweeps": ["train.bogus=1,2"]}, "unknown config key train.bogus"),
        ({"sweeps": ["train.learning_rate=1e-4,abc"]}, "train.learning_rate='abc': expected a number"),
        ({"sweeps": {"train.seed": [1, 2]}}, "train.seed cannot be swept"),
        ({"heads": []}, "model.head: no values to compare"),
        ({"sweeps": ["train.eval_strategy=epoch,steps"]}, "train.eval_strategy=steps: a comparison scores dev"),
        ({"heads": ["cls", "cls"]}, "two configurations share a folder name"),
        ({"overrides": [*TOY, "train.eval_strategy=steps"]}, "train.eval_strategy=steps: a comparison scores dev"),
    ],
)
def test_a_bad_grid_is_refused_before_anything_runs(toy_encoder, toy_data, tmp_path, monkeypatch, options, message):
    counting = _Counting()
    monkeypatch.setattr(runner, "run_training", counting)
    with pytest.raises(el.ConfigError, match=message) as refused:
        _compare(toy_encoder, toy_data, tmp_path / "out", **options)
    assert "\n" not in str(refused.value)
    assert counting.configs == [] and not (tmp_path / "out").exists()


def test_a_failed_run_is_recorded_and_the_others_finish(toy_encoder, toy_data, tmp_path, monkeypatch):
    counting = _Counting(fail=lambda config: config.model.head == "mean" and config.train.seed == 43)
    monkeypatch.setattr(runner, "run_training", counting)
    result = _compare(toy_encoder, toy_data, tmp_path, epochs=1)
    assert len(counting.configs) == 4
    assert (result.summary["runs_finished"], result.summary["runs_failed"]) == (3, 1)
    error = "RuntimeError: boom in head mean, seed 43"
    assert result.failed == [{"configuration": "head=mean", "seed": 43, "status": "failed", "error": error}]
    mean = next(row for row in result.summary["configurations"] if row["label"] == "head=mean")
    assert mean["finished"] == 1 and mean["failed"] == [{"seed": 43, "error": error}]
    assert mean["dev"]["accuracy"]["std"] is None and mean["dev"]["accuracy"]["n"] == 1
    for path in (result.json_path, result.markdown_path, result.html_path):
        assert error in path.read_text(encoding="utf-8")
    # The failed run is tried again by the next call, the finished ones are not.
    monkeypatch.setattr(runner, "run_training", again := _Counting())
    assert _compare(toy_encoder, toy_data, tmp_path, epochs=1).summary["runs_finished"] == 4
    assert [(c.model.head, c.train.seed) for c in again.configs] == [("mean", 43)]


def test_the_cli_sweeps_a_setting_and_scores_test_per_epoch(toy_encoder, toy_data, tmp_path, capsys):
    args = ["compare", "--model", str(toy_encoder), "--data-dir", str(toy_data), "--heads", "cls,mean", "--seeds", "1",
            "--epochs", "1", "--output-dir", str(tmp_path), "--name", "cli", "--test-per-epoch", *TOY,
            "train.learning_rate=1e-3,3e-3"]  # fmt: skip
    assert main(args) == 0
    folder = tmp_path / "cli"
    assert sorted(p.name for p in (folder / "runs").iterdir()) == [
        "head-cls__learning_rate-1e-3", "head-cls__learning_rate-3e-3",
        "head-mean__learning_rate-1e-3", "head-mean__learning_rate-3e-3",
    ]  # fmt: skip
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    summary = json.loads((folder / "comparison.json").read_text())
    assert printed == {"folder": str(folder), "best": summary["best"], "report": str(folder / "comparison.html")}
    assert summary["swept"] == ["model.head", "train.learning_rate"]
    for run in summary["runs"]:  # one epoch: the test score after it is the final (best checkpoint's) test score
        (epoch,) = run["test_per_epoch"]
        assert epoch["epoch"] == 1.0 and epoch["accuracy"] == run["test"]["accuracy"]
    assert "Test accuracy per epoch — not used for any choice" in (folder / "comparison.md").read_text()

    assert main([*args[:6], "cls,nope", *args[7:]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown head 'nope'" in err[0]


def test_sweep_values_split_on_top_level_commas_only():
    assert split_values("train.epochs=1,2.5") == [1, 2.5]
    assert split_values("model.cnn_kernels=[2,3],[4]") == [[2, 3], [4]]
    assert split_values("model.head='a,b',cls") == ["a,b", "cls"]
    with pytest.raises(el.ConfigError, match="a value is empty"):
        split_values("train.epochs=1,")


def test_paired_bootstrap_separates_a_real_difference_from_none(tmp_path):
    def run(label: str, seed: int, right: int) -> dict:
        folder = tmp_path / f"{label}-{seed}" / "predictions"
        folder.mkdir(parents=True)
        rows = [{"text": f"t{i}", "gold": "a", "predicted": "a" if i < right else "b"} for i in range(50)]
        (folder / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
        return {"configuration": label, "seed": seed, "status": "finished", "run_dir": str(folder.parent)}

    records = [run("best", 1, 45), run("best", 2, 45), run("worse", 1, 20), run("worse", 2, 30), run("same", 1, 45)]
    pairs = {p["configuration"]: p for p in paired_bootstrap(records, "best", ["worse", "same"])["pairs"]}
    assert pairs["worse"]["best_minus_this"] == pytest.approx(0.9 - 0.5)
    assert pairs["worse"]["significant"] and pairs["worse"]["ci95"][0] > 0.2
    assert pairs["same"]["best_minus_this"] == 0 and not pairs["same"]["significant"]


def _verdict_summary(*exceeds):
    diffs = [
        {"configuration": f"head={name}", "split": split, "best_minus_this": 0.01, "seed_spread": None,
         "exceeds_spread": verdict}
        for name, verdict in zip(("mean", "lstm"), exceeds, strict=True)
        for split in ("dev", "test")
    ]  # fmt: skip
    return {"best": "head=cls", "differences": diffs}


def test_the_best_line_says_whether_dev_separates_the_best_from_the_rest():
    assert best_verdict(_verdict_summary(False, True)) == (
        "head=cls, within the seed spread of head=mean on dev: these are not told apart"
    )
    assert best_verdict(_verdict_summary(True, True)).endswith("ahead of every other configuration by more than the "
                                                               "seed spread on dev")  # fmt: skip
    assert "one seed" in best_verdict(_verdict_summary(None, None))
    assert best_verdict({"best": None, "differences": []}) == "none finished"
