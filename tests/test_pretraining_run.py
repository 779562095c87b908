"""Pretraining end to end on tiny models: run folder, per-step views, resume, and fine-tuning the result."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from conftest import FILLER, NEGATIVE, POSITIVE, nsmc_rows
from safetensors.torch import load_file
from transformers import (
    AutoModel,
    AutoTokenizer,
    BertConfig,
    BertModel,
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraForPreTraining,
    ElectraModel,
    TrainerCallback,
)

from electralab.cli import main
from electralab.config import build_config, build_pretrain_config
from electralab.training.recipe import run_pretraining, run_training

torch.set_num_threads(1)
FAST = ["train.report_to=[]", "train.progress_bar=false", "corpus.max_length=32", "train.batch_size=8"]


def _run_dir(out: Path) -> Path:
    (run_dir,) = list(out.iterdir())
    return run_dir


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    rng = random.Random(0)
    words = FILLER + POSITIVE + NEGATIVE
    path = tmp_path_factory.mktemp("pretrain-corpus") / "books.txt"
    path.write_text("\n".join(" ".join(rng.choices(words, k=rng.randint(4, 30))) for _ in range(300)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dapt_run(toy_encoder, corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dapt")
    code = main(
        ["pretrain", "--discriminator", str(toy_encoder), "--output-dir", str(out), "--corpus", str(corpus),
         *FAST, "train.max_steps=6", "train.logging_steps=2", "train.view_steps=3", "train.save_steps=3"]
    )  # fmt: skip
    assert code == 0
    return _run_dir(out)


def test_run_folder_views_and_metrics(dapt_run):
    assert dapt_run.name.startswith("pretrain-")
    names = {p.name for p in dapt_run.iterdir()}
    assert {"discriminator", "generator", "pretrain_report.html", "metrics.jsonl", "metrics.json",
            "pretrain_config.yaml", "checkpoints"} <= names  # fmt: skip
    logs = [json.loads(line) for line in (dapt_run / "metrics.jsonl").read_text().splitlines()]
    train_logs = [entry for entry in logs if "loss" in entry]
    assert [entry["step"] for entry in train_logs] == [2, 4, 6]
    for entry in train_logs:
        for key in ("mlm_accuracy", "sampled_accuracy", "disc_accuracy", "disc_precision", "disc_recall", "disc_auc"):
            assert key in entry
        assert 0.0 <= entry["disc_accuracy"] <= 1.0 and 0.05 < entry["replaced_fraction"] < 0.25
        assert entry["loss"] == pytest.approx(entry["mlm_loss"] + 50 * entry["rtd_loss"], rel=0.05)
    html = (dapt_run / "pretrain_report.html").read_text(encoding="utf-8")
    assert html.count("<section>") == 2 and "step 6" in html and "step 3" in html
    assert "misjudged" in html and 'class="replaced' in html
    assert "Diagnostics over steps" in html and "data:image/png;base64," in html
    from PIL import Image

    with Image.open(dapt_run / "pretrain_curves.png") as image:
        assert image.width > 600 and image.height > 300  # both panels: diagnostics and losses
    metrics = json.loads((dapt_run / "metrics.json").read_text())
    assert metrics["run"]["global_step"] == 6 and metrics["run"]["final_learning_rate"] == 0.0
    # A pretrained encoder: the adaptation default (1e-4), not the paper's from-scratch 5e-4, and a note why.
    assert metrics["run"]["learning_rate"] == 1e-4 and metrics["run"]["warmup_steps"] == 0  # 10% of 6 steps
    assert any("the default for adapting an already pretrained encoder" in note for note in metrics["notes"])


def test_saved_models_load_with_shared_embeddings(dapt_run):
    discriminator = ElectraForPreTraining.from_pretrained(dapt_run / "discriminator")
    generator = ElectraForMaskedLM.from_pretrained(dapt_run / "generator")
    # by default a pretrained discriminator's generator is its lower third: its width, 1 of its 2 layers
    assert generator.config.hidden_size == 32 and generator.config.num_hidden_layers == 1
    run = json.loads((dapt_run / "metrics.json").read_text())["run"]
    assert run["generator"] == "the discriminator's lower 1 of 2 layers"
    assert torch.equal(
        generator.electra.embeddings.word_embeddings.weight, discriminator.electra.embeddings.word_embeddings.weight
    )
    assert (
        generator.generator_lm_head.weight.data_ptr() == generator.electra.embeddings.word_embeddings.weight.data_ptr()
    )
    assert isinstance(AutoModel.from_pretrained(dapt_run / "discriminator"), ElectraModel)
    tokenizer = AutoTokenizer.from_pretrained(dapt_run / "discriminator")
    assert tokenizer.tokenize("good w1") == ["good", "w1"]


def test_the_cli_builds_a_random_quarter_width_generator_on_request(toy_encoder, corpus, tmp_path):
    code = main(
        ["pretrain", "--discriminator", str(toy_encoder), "--output-dir", str(tmp_path), "--corpus", str(corpus),
         *FAST, "train.max_steps=2", "model.generator_init=random"]
    )  # fmt: skip
    assert code == 0
    run_dir = _run_dir(tmp_path)
    generator = ElectraForMaskedLM.from_pretrained(run_dir / "generator")
    assert generator.config.hidden_size == 8 and generator.config.num_hidden_layers == 2  # quarter width, same depth
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["generator"] == "fresh (0.25 width)"
    assert metrics["run"]["global_step"] == 2


def test_saved_discriminator_fine_tunes_through_the_train_recipe(dapt_run, toy_data, tmp_path):
    config = build_config(
        overrides=[
            f"model.name_or_path={dapt_run / 'discriminator'}",
            f"data.data_dir={toy_data}",
            "data.train_file=train.csv",
            "data.max_train_rows=64",
            "data.max_length=32",
            "train.max_steps=2",
            "train.batch_size=16",
            "train.report_to=[]",
            "train.progress_bar=false",
            f"output_dir={tmp_path}",
        ]
    )
    result = run_training(config)
    assert result.metrics["run"]["global_step"] == 2 and (result.model_dir / "model.safetensors").is_file()


class _Kill(TrainerCallback):
    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.at_step:
            raise KeyboardInterrupt("simulated kill")


def test_interrupted_run_resumes_with_the_same_schedule(toy_encoder, corpus, tmp_path):
    def config(out):
        return build_pretrain_config(
            overrides=[f"model.discriminator={toy_encoder}", f"corpus.paths=[{corpus}]", f"output_dir={out}", *FAST,
                       "train.max_steps=10", "train.warmup_steps=3", "train.save_steps=4", "train.keep_checkpoints=5",
                       "train.logging_steps=1", "train.view_steps=2"]
        )  # fmt: skip

    full = run_pretraining(config(tmp_path / "full"))
    with pytest.raises(KeyboardInterrupt):
        run_pretraining(config(tmp_path / "cut"), extra_callbacks=[_Kill(at_step=7)])
    cut = _run_dir(tmp_path / "cut")
    assert not (cut / "discriminator").exists()
    assert main(["pretrain", "--resume", str(cut)]) == 0

    def lr_by_step(run_dir):
        logs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
        return [(e["step"], e["learning_rate"]) for e in logs if "learning_rate" in e]

    resumed = json.loads((cut / "metrics.json").read_text())
    assert resumed["run"]["global_step"] == full.metrics["run"]["global_step"] == 10
    assert resumed["run"]["final_learning_rate"] == full.metrics["run"]["final_learning_rate"]
    assert lr_by_step(cut) == lr_by_step(full.run_dir), (
        "every logged step once, same learning rate (warmup 3, linear decay)"
    )
    # The Trainer logs the rate each step used: 3 warmup steps from 0, the peak at step 4, then linear decay.
    assert lr_by_step(cut)[:4] == [(1, 0.0), (2, pytest.approx(1e-4 / 3)), (3, pytest.approx(2e-4 / 3)), (4, 1e-4)]
    assert lr_by_step(cut)[-1] == (10, pytest.approx(1e-4 / 7)) and resumed["run"]["final_learning_rate"] == 0.0
    views = [json.loads(line)["step"] for line in (cut / "pretrain_views.jsonl").read_text().splitlines()]
    assert views == [2, 4, 6, 8, 10]
    # After training only the last checkpoint is kept (no best without evaluation), with what a resume needs.
    assert sorted(p.name for p in (cut / "checkpoints").iterdir()) == ["checkpoint-10"]
    assert (cut / "checkpoints" / "checkpoint-10" / "optimizer.pt").is_file()
    assert any("deleted checkpoint-4, checkpoint-8" in note for note in resumed["notes"])
    # The shared tensors were checkpointed once and restored into both models.
    state = load_file(str(cut / "checkpoints" / "checkpoint-10" / "model.safetensors"))
    assert "discriminator.electra.embeddings.word_embeddings.weight" in state
    assert "generator.electra.embeddings.word_embeddings.weight" not in state


def test_wrapped_bert_discriminator_saves_an_automodel_folder(toy_encoder, corpus, tmp_path):
    bert_dir = tmp_path / "bert"
    vocab_size = len(AutoTokenizer.from_pretrained(toy_encoder))
    BertModel(BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64)).save_pretrained(bert_dir)  # fmt: skip
    run = run_pretraining(
        build_pretrain_config(
            overrides=[
                f"model.discriminator={bert_dir}",
                f"model.vocab={toy_encoder}",
                f"corpus.paths=[{corpus}]",
                f"output_dir={tmp_path / 'out'}",
                *FAST,
                "train.max_steps=2",
                "train.view_steps=1",
            ]
        )  # fmt: skip
    )
    encoder = AutoModel.from_pretrained(run.discriminator_dir)
    assert isinstance(encoder, BertModel)
    assert (run.discriminator_dir / "rtd_head.safetensors").is_file()
    generator = ElectraForMaskedLM.from_pretrained(run.generator_dir)
    assert torch.equal(generator.electra.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight)


def test_from_scratch_with_a_built_korean_vocab_and_streaming(tmp_path, capsys):
    corpus = tmp_path / "nsmc.txt"
    corpus.write_text("\n".join(nsmc_rows(300)), encoding="utf-8")
    assert main(["vocab", "build", "--corpus", str(corpus), "--size", "800", "--output", str(tmp_path / "vocab")]) == 0
    tiny = tmp_path / "tiny.json"
    tiny.write_text(json.dumps(ElectraConfig(embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                             num_attention_heads=2, intermediate_size=64).to_dict()))  # fmt: skip
    code = main(
        ["pretrain", "--from-scratch", str(tiny), "--vocab", str(tmp_path / "vocab"), "--corpus", str(corpus),
         "--output-dir", str(tmp_path / "runs"), *FAST, "corpus.streaming=true", "train.max_steps=3",
         "train.view_steps=3"]
    )  # fmt: skip
    assert code == 0
    run_dir = _run_dir(tmp_path / "runs")
    assert run_dir.name.startswith("pretrain-scratch-")
    discriminator = ElectraForPreTraining.from_pretrained(run_dir / "discriminator")
    vocab_lines = (tmp_path / "vocab" / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert discriminator.config.vocab_size == len(vocab_lines) and discriminator.config.embedding_size == 16
    html = (run_dir / "pretrain_report.html").read_text(encoding="utf-8")
    assert any(ch in html for ch in "영화재밌") and "[UNK]" not in html.split("<section>")[1].split("</p>")[0]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["learning_rate"] == 5e-4  # from scratch: the ELECTRA paper's rate for a small model
    assert not any("adapting an already pretrained" in m for m in metrics["notes"])


def _fails(capsys, *argv) -> str:
    code = main(["pretrain", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith("electralab: error: ")
    return err[-1]


def test_bad_pretraining_input_ends_in_one_line(capsys, toy_encoder, tmp_path):
    out = tmp_path / "runs"
    common = ["--discriminator", str(toy_encoder), "--output-dir", str(out), *FAST, "train.max_steps=1"]
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    assert "the corpus is empty" in _fails(capsys, "--corpus", str(tmp_path / "empty.txt"), *common)
    (tmp_path / "cp949.txt").write_bytes("좋은 영화\n".encode("cp949"))
    line = _fails(capsys, "--corpus", str(tmp_path / "cp949.txt"), *common)
    assert "cp949.txt" in line and "byte offset 0" in line
    assert "--corpus" in _fails(capsys, *common)
    line = _fails(capsys, "--corpus", str(tmp_path / "cp949.txt"), "--from-scratch", "small", *common)
    assert "exactly one of --discriminator" in line
    line = _fails(capsys, "--corpus", str(tmp_path / "x.txt"), *common[:4], "corpus.streaming=true")
    assert "corpus.streaming needs train.max_steps" in line
    assert "model.generator_fration" in _fails(capsys, *common, "model.generator_fration=0.5")
    assert "does not exist" in _fails(capsys, "--corpus", "x.txt", "--discriminator", str(tmp_path / "nope"))
    assert not out.exists(), "no run folder is left behind by bad input"


def test_gradient_checkpointing_changes_memory_not_the_run(toy_encoder, corpus, tmp_path):
    class Capture(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.flags = [
                model.generator.electra.encoder.layer[0].gradient_checkpointing,
                model.discriminator.electra.encoder.layer[0].gradient_checkpointing,
            ]

    losses = {}
    for checkpointing in (False, True):
        capture = Capture()
        config = build_pretrain_config(
            overrides=[f"model.discriminator={toy_encoder}", f"corpus.paths=[{corpus}]", f"output_dir={tmp_path}",
                       *FAST, "train.max_steps=4", "train.logging_steps=1", "train.view_steps=0",
                       f"train.gradient_checkpointing={str(checkpointing).lower()}"]
        )  # fmt: skip
        result = run_pretraining(config, run_name=f"checkpointing-{checkpointing}", extra_callbacks=[capture])
        assert capture.flags == [checkpointing, checkpointing]
        history = json.loads((result.run_dir / "log_history.json").read_text())
        losses[checkpointing] = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses[True]) == 4
    assert losses[True] == pytest.approx(losses[False], rel=1e-4)
