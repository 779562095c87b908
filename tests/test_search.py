"""``electralab search``: Optuna through ``Trainer.hyperparameter_search``, dev only, reported like a comparison."""

from __future__ import annotations

import json
import sys

import pytest
import yaml

import electralab as el
from electralab.cli import main
from electralab.engine.trainer import ElectralabTrainer
from electralab.tasks.classification import SequenceClassification

TOY = [
    "data.train_file=train.csv",
    "data.test_file=test.csv",
    "data.max_train_rows=160",
    "data.max_length=32",
    "train.batch_size=16",
    "train.scheduler=constant",  # the logged learning rate is the trial's, at every step
    "train.report_to=[]",
    "train.progress_bar=false",
]
SPACE = ["train.learning_rate=1e-4:3e-3:log", "model.head=cls,mean"]
DEV_ROWS = 16  # 10% of the 160 training rows, carved as dev; the test file has 160 rows


def _search(toy_encoder, toy_data, out, epochs=2, **kwargs):
    options = {"trials": 3, "space": SPACE, "name": "search", "overrides": [*TOY, f"train.epochs={epochs}"], **kwargs}
    return el.search(model=toy_encoder, data_dir=toy_data, output_dir=out, **options)


class _Spy:
    """Records every model a trial builds and every dataset the trainer evaluates, then passes the call on."""

    def __init__(self, monkeypatch):
        self.models, self.evaluated, self.final = [], [], []
        fresh, loop = SequenceClassification.fresh_model, ElectralabTrainer.evaluation_loop

        def fresh_model(task, config, data):
            model = fresh(task, config, data)
            self.models.append((config.model.head, config.train.learning_rate, type(model.head).__name__))
            return model

        def evaluation_loop(trainer, dataloader, *args, **kwargs):
            self.evaluated.append(len(dataloader.dataset))
            return loop(trainer, dataloader, *args, **kwargs)

        monkeypatch.setattr(SequenceClassification, "fresh_model", fresh_model)
        monkeypatch.setattr(ElectralabTrainer, "evaluation_loop", evaluation_loop)
        monkeypatch.setattr(SequenceClassification, "evaluate", lambda *a, **k: self.final.append(a))
        monkeypatch.setattr(SequenceClassification, "score", lambda *a, **k: self.final.append(a))


def _study(folder):
    return json.loads((folder / "comparison.json").read_text())["search"]


def test_a_search_writes_the_three_reports_from_its_trials_logs(toy_encoder, toy_data, tmp_path, monkeypatch):
    spy = _Spy(monkeypatch)
    result = _search(toy_encoder, toy_data, tmp_path)
    folder = tmp_path / "search"
    assert result.folder == folder
    assert el.search is el.api.search  # the search package (electralab.hpsearch) does not shadow the function
    for name in ("comparison.json", "comparison.md", "comparison.html"):
        assert (folder / name).is_file()
    assert (folder / "comparison.html").read_text().count("data:image/png;base64,") == 2  # dev per epoch, loss
    summary = json.loads((folder / "comparison.json").read_text())
    assert summary == json.loads(json.dumps(result.summary))
    study = summary["search"]
    assert (summary["runs_planned"], summary["runs_finished"], summary["seeds"]) == (3, 3, [42])
    assert [t["state"] for t in study["trials"]] == ["COMPLETE"] * 3 and study["direction"] == "maximize"
    assert summary["swept"] == ["train.learning_rate", "model.head"]

    # Each trial built its own model with its own head, and trained with its own learning rate.
    assert [(head, lr) for head, lr, _ in spy.models] == [
        (t["params"]["model.head"], t["params"]["train.learning_rate"]) for t in study["trials"]
    ]
    assert all(cls == {"cls": "FirstTokenHead", "mean": "MeanHead"}[head] for head, _, cls in spy.models)
    assert len({lr for _, lr, _ in spy.models}) == 3
    for trial, row in zip(study["trials"], summary["configurations"], strict=True):
        trial_dir = folder / "trials" / f"trial-{trial['number']:03d}"
        history = json.loads((trial_dir / "log_history.json").read_text())
        logged = [e["learning_rate"] for e in history if "learning_rate" in e]
        assert logged and logged == pytest.approx([trial["params"]["train.learning_rate"]] * len(logged), rel=1e-6)
        saved = yaml.safe_load((trial_dir / "trial_config.yaml").read_text())
        assert (saved["model"]["head"], saved["train"]["seed"]) == (trial["params"]["model.head"], 42)

        # The table's dev statistics are those of the trial's log: per epoch, and the best epoch's.
        evaluations = [e for e in history if "eval_loss" in e]
        assert [e["epoch"] for e in row["dev_per_epoch"]] == [1.0, 2.0] == [e["epoch"] for e in evaluations]
        for entry, logged_eval in zip(row["dev_per_epoch"], evaluations, strict=True):
            assert entry["accuracy"]["mean"] == logged_eval["eval_accuracy"] and entry["loss"]["n"] == 1
        best = max(evaluations, key=lambda e: (e["eval_accuracy"], -e["epoch"]))
        for key in ("accuracy", "f1_macro", "loss"):
            assert row["dev"][key] == {"mean": best[f"eval_{key}"], "std": None, "n": 1}
        assert trial["objective"] == best["eval_accuracy"] == max(e["eval_accuracy"] for e in evaluations)
        assert row["label"] == trial["label"] and row["test"] == {} and row["train_loss"]
    objectives = [t["objective"] for t in study["trials"]]
    best_trial = study["trials"][objectives.index(max(objectives))]
    assert study["best_trial"] == best_trial["number"] and result.best_params == best_trial["params"]
    assert result.best == best_trial["label"]
    markdown = (folder / "comparison.md").read_text()
    assert "# Search: search" in markdown and "Optuna study: TPESampler(seed=42), maximize, 3 trials" in markdown
    assert f"| {best_trial['number']} (best) | COMPLETE | {best_trial['objective']:.4f} |" in markdown
    assert "the test split is not evaluated in a search" in markdown and "## Dev (each trial's best epoch)" in markdown
    assert "Paired bootstrap" not in markdown and "Paired bootstrap" not in (folder / "comparison.html").read_text()

    # Only dev was scored: 3 trials × 2 epochs, each time the 16 dev rows; no final evaluation, no test scoring.
    assert spy.evaluated == [DEV_ROWS] * 6 and spy.final == []

    with pytest.raises(el.ConfigError, match="is not empty"):  # a finished search is not overwritten
        _search(toy_encoder, toy_data, tmp_path)


def test_a_rerun_with_the_same_seed_proposes_the_same_trials(toy_encoder, toy_data, tmp_path, capsys):
    first = _search(toy_encoder, toy_data, tmp_path, epochs=1, name="first", trials=2)
    args = ["search", "--model", str(toy_encoder), "--data-dir", str(toy_data), "--trials", "2", "--out", str(tmp_path),
            "--name", "again", *(f"--space={spec}" for spec in SPACE), *TOY, "train.epochs=1"]  # fmt: skip
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    again = _study(tmp_path / "again")
    assert [t["params"] for t in again["trials"]] == [t["params"] for t in first.trials]
    assert printed == {
        "folder": str(tmp_path / "again"), "best_params": first.best_params,
        "report": str(tmp_path / "again" / "comparison.html"),
    }  # fmt: skip
    other = _search(toy_encoder, toy_data, tmp_path, epochs=1, name="other", trials=2, overrides=[*TOY, "train.seed=7"])
    assert [t["params"] for t in other.trials] != [t["params"] for t in first.trials]


def test_the_test_split_is_never_evaluated(toy_encoder, toy_data, tmp_path, monkeypatch):
    spy = _Spy(monkeypatch)
    result = _search(toy_encoder, toy_data, tmp_path, epochs=1, trials=2, space=["train.learning_rate=1e-4:1e-3"])
    assert spy.evaluated == [DEV_ROWS, DEV_ROWS] and spy.final == []
    assert all(row["test"] == {} and row["test_per_epoch"] == [] for row in result.summary["configurations"])
    assert not list(result.folder.rglob("predictions"))


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (["train.bogus=1:2"], "unknown config key train.bogus"),
        (["train.learning_rate=1e-3:1e-4"], r"train.learning_rate=1e-3:1e-4: expected low < high"),
        (["train.learning_rate=0:1e-3:log"], "a log range needs low > 0"),
        (["train.learning_rate=abc:1e-3"], "'abc' is not a number"),
        (["model.head=cls,bogus"], "unknown head 'bogus'"),
        (["model.head=cls"], r"one value is not a search.*pass it as model.head=value"),
        (["data.max_length=16:64"], "data.max_length: not searchable"),
        (["train.seed=1:5"], "train.seed: not searchable"),
        (["train.layer_lr_decay=0.5:1.5"], r"train.layer_lr_decay=1.5: expected a number in \(0, 1\]"),
        (["train.epochs=1:2", "train.epochs=2:3"], "train.epochs is given twice"),
        (["train.learning_rate"], "expected key=low:high"),
    ],
)
def test_a_bad_space_is_refused_before_anything_trains(toy_encoder, toy_data, tmp_path, monkeypatch, space, message):
    built = []
    monkeypatch.setattr(SequenceClassification, "build", lambda *a, **k: built.append(a))
    with pytest.raises(el.ConfigError, match=message) as refused:
        _search(toy_encoder, toy_data, tmp_path / "out", space=space)
    assert "\n" not in str(refused.value)
    assert built == [] and not (tmp_path / "out").exists()


def test_the_cli_refuses_a_bad_space_and_a_missing_optuna_in_one_line(toy_encoder, toy_data, tmp_path, capsys):
    args = ["search", "--model", str(toy_encoder), "--data-dir", str(toy_data), "--output-dir", str(tmp_path), *TOY]
    assert main([*args, "--space", "train.warmup=0.1:0.05"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.warmup=0.1:0.05: expected low < high" in err[0]
    assert main([*args, "--trials", "0"]) == 2
    assert "--trials 0: expected at least 1 trial" in capsys.readouterr().err


def test_without_optuna_the_error_says_what_to_install(toy_encoder, toy_data, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna now fails as if it were not installed
    with pytest.raises(el.ConfigError, match=r"pip install 'electralab\[search\]'"):
        _search(toy_encoder, toy_data, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_default_space_searches_the_recipe_and_the_head():
    config = el.load_config(model="m", overrides={"train.epochs": 3})
    from electralab.hpsearch import default_space

    assert [p.describe() for p in default_space(config)] == [
        "train.learning_rate=1e-05:0.0001:log", "train.epochs=2:4", "train.warmup=0.0:0.2",
        "train.layer_lr_decay=0.7:1.0", "model.head=cls,mean,attention",
    ]  # fmt: skip


def test_a_failed_trial_is_recorded_and_the_others_go_on(toy_encoder, toy_data, tmp_path, monkeypatch):
    fresh, calls = SequenceClassification.fresh_model, []

    def failing_first(task, config, data):
        calls.append(config.train.learning_rate)
        if len(calls) == 1 or fail_all:
            raise RuntimeError(f"boom at learning rate {config.train.learning_rate}")
        return fresh(task, config, data)

    monkeypatch.setattr(SequenceClassification, "fresh_model", failing_first)
    fail_all = False
    result = _search(toy_encoder, toy_data, tmp_path, epochs=1, trials=2, name="one-fails")
    first, second = result.trials
    assert (first["state"], first["objective"]) == ("FAIL", None)
    assert first["error"] == f"RuntimeError: boom at learning rate {calls[0]}"
    assert second["state"] == "COMPLETE" and result.summary["search"]["best_trial"] == 1
    assert (result.summary["runs_finished"], result.summary["runs_failed"]) == (1, 1)
    assert result.failed == [{"configuration": first["label"], "seed": 42, "status": "failed", "error": first["error"]}]
    for path in (result.json_path, result.markdown_path, result.html_path):
        assert first["error"] in path.read_text(encoding="utf-8")

    fail_all = True  # no trial finishes: the reports still say so
    nothing = _search(toy_encoder, toy_data, tmp_path, epochs=1, trials=2, name="all-fail")
    assert [t["state"] for t in nothing.trials] == ["FAIL", "FAIL"]
    assert nothing.best is None and nothing.best_params == {} and nothing.summary["search"]["best_trial"] is None
    assert "none finished" in nothing.markdown_path.read_text(encoding="utf-8")


def test_a_trial_value_the_trainer_would_cast_away_reaches_the_arguments(tmp_path):
    optuna = pytest.importorskip("optuna")
    from rich.console import Console

    from electralab.engine.arguments import build_training_arguments
    from electralab.hpsearch.space import Parameter
    from electralab.hpsearch.trials import SEARCH_ARGUMENTS, Trials
    from electralab.tasks import TrainingParts, get_task
    from electralab.tasks.sequence import recipe_arguments

    base = el.load_config(model="m", overrides={"train.warmup": 10, "train.report_to": []})  # 10 warmup steps (int)
    parts = TrainingParts(model=None, train=None, dev=None, collator=None, trainer_class=object)
    parts.arguments = recipe_arguments(base)
    space = [Parameter("train.warmup", 0.05, 0.2), Parameter("train.learning_rate", 1e-5, 1e-4, log=True)]
    trials = Trials(base, get_task(base.task), parts, space, tmp_path, Console(quiet=True))
    args = build_training_arguments(base.train, tmp_path, **{**parts.arguments, **SEARCH_ARGUMENTS})
    trials.trainer = type("FakeTrainer", (), {"args": args})()
    ratio = optuna.trial.FixedTrial({"train.warmup": 0.1, "train.learning_rate": 3e-5}, number=0)
    assert trials.hp_space(ratio) == {"learning_rate": 3e-5, "warmup_steps": 0.1}
    trials._preset_arguments(ratio)  # int(0.1) would be 0 warmup steps
    assert args.warmup_steps == 0.1 and type(args.warmup_steps)(0.1) == 0.1  # the Trainer's cast is now a no-op
    assert args.learning_rate == 5e-5  # a value the cast keeps is left for the Trainer to set
