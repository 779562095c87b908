"""ONNX export: the graph computes the PyTorch model's logits, and predict runs the export through ONNX Runtime."""

from __future__ import annotations

import json
import random

import numpy as np
import onnx
import pytest
import torch
from conftest import FILLER, NEGATIVE, POSITIVE
from transformers import AutoTokenizer

import electralab as el
from electralab.cli import main
from electralab.config import RunConfig
from electralab.engine.rundir import save_run_config
from electralab.errors import ConfigError
from electralab.inference.predictor import Predictor
from electralab.models import ElectralabConfig, ElectralabForSequenceClassification
from electralab.models.loading import load_encoder
from electralab.models.tagger import ElectralabForTokenClassification

PEOPLE = ["kim", "lee", "park"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
LONG = " ".join(random.Random(3).choices(FILLER + POSITIVE + NEGATIVE + PEOPLE, k=90))  # > max_seq_length: windows
TEXTS = ["good w1 w2", "w3 bad w4 w5 w6 w7 kim", "superb", "lee park w9 awful w10", "", LONG, "w1 w2 w3 fine"]
TEXTS = [text for text in TEXTS if text]

KINDS = {
    "single_label": dict(task="sequence_classification", head="attention", id2label={0: "neg", 1: "pos"}),
    "multi_label": dict(
        task="multi_label_classification", problem_type="multi_label_classification", head="mean",
        id2label={0: "sports", 1: "politics", 2: "science"}, label_thresholds=[0.45, 0.5, 0.55],
    ),
    "ner_crf": dict(task="token_classification", head="linear", crf=True, id2label=dict(enumerate(TAGS))),
    "ner_cnn": dict(task="token_classification", head="cnn", cnn_filters=8, id2label=dict(enumerate(TAGS))),
}  # fmt: skip


def write_model(encoder_dir, folder, kind: str, run_config: bool = True):
    """A saved electralab model folder with a random (but non-trivial) head: what `train` writes."""
    torch.manual_seed(0)
    encoder = load_encoder(str(encoder_dir))
    settings = dict(KINDS[kind])
    token = settings["task"] == "token_classification"
    config = ElectralabConfig(  # pad_token_id: set by the Trainer from the tokenizer when a run trains
        encoder=encoder.config.to_dict(), max_seq_length=32, pad_token_id=0, **settings,
        **({} if token else {"long_documents": "windows", "window_stride": 16}),
    )  # fmt: skip
    model_class = ElectralabForTokenClassification if token else ElectralabForSequenceClassification
    model = model_class(config, encoder=encoder).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if not name.startswith("encoder."):
                param.add_(torch.randn_like(param) * (3.0 if "crf" in name else 1.0))
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(encoder_dir).save_pretrained(folder)
    if run_config:
        save_run_config(folder, RunConfig())
    return folder


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    from conftest import write_encoder

    return write_encoder(tmp_path_factory.mktemp("encoder"), POSITIVE + NEGATIVE + FILLER + PEOPLE)


def _predict_cli(folder, input_path, output_path, *extra) -> list[dict]:
    argv = ["predict", "--model", str(folder), "--input", str(input_path), "--output", str(output_path), *extra]
    assert main(argv) == 0
    return [json.loads(line) for line in output_path.read_text(encoding="utf-8").splitlines()]


def _assert_same_predictions(expected: list[dict], got: list[dict]) -> None:
    assert len(expected) == len(got) == len(TEXTS)
    for a, b in zip(expected, got, strict=True):
        if "entities" in a:
            assert [(e["label"], e["start"], e["end"]) for e in a["entities"]] == [
                (e["label"], e["start"], e["end"]) for e in b["entities"]
            ]
            assert [e["score"] for e in b["entities"]] == pytest.approx([e["score"] for e in a["entities"]], abs=1e-4)
            continue
        assert a.get("label") == b.get("label") and a.get("labels") == b.get("labels")
        assert b["probabilities"].keys() == a["probabilities"].keys()
        for name, probability in a["probabilities"].items():
            assert b["probabilities"][name] == pytest.approx(probability, abs=1e-4)


@pytest.mark.parametrize("kind", list(KINDS))
def test_onnx_export_matches_pytorch_and_predict_runs_it(encoder_dir, tmp_path, capsys, kind):
    source = write_model(encoder_dir, tmp_path / "model", kind)
    assert main(["export", "--model", str(source)]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    folder = tmp_path / "model-onnx"
    assert out["folder"] == str(folder)
    names = sorted(path.name for path in folder.iterdir())
    assert {"model.onnx", "config.json", "tokenizer.json", "run_config.yaml", "export.json"} <= set(names)
    assert not any(name.endswith(".safetensors") and name != "crf.safetensors" for name in names)
    assert ("crf.safetensors" in names) == (kind == "ner_crf")
    assert json.loads((folder / "config.json").read_text()) == json.loads((source / "config.json").read_text())

    record = json.loads((folder / "export.json").read_text())
    assert record["format"] == "onnx" and record["opset"] >= 17 and record["quantized"] is None
    assert record["parity"]["fp32"]["max_abs_logit_diff"] <= 1e-4
    assert record["parity"]["fp32"]["prediction_agreement"] == 100.0
    assert record["versions"]["onnxruntime"] and record["versions"]["torch"]

    graph = onnx.load(str(folder / "model.onnx")).graph  # dynamic batch and sequence axes, not traced sizes
    assert [[dim.dim_param for dim in node.type.tensor_type.shape.dim] for node in graph.input] == [
        ["batch", "sequence"]
    ] * len(graph.input)

    reference, exported = Predictor.from_folder(source), Predictor.from_folder(folder)
    assert type(exported.model).__name__ == "OnnxModel" and exported.precision == "fp32"
    expected, got = reference.logits(TEXTS, batch_size=2), exported.logits(TEXTS, batch_size=2)
    assert got.shape == expected.shape and np.abs(got - expected).max() <= 1e-4

    (tmp_path / "texts.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    torch_rows = _predict_cli(source, tmp_path / "texts.txt", tmp_path / "torch.jsonl")
    onnx_rows = _predict_cli(folder, tmp_path / "texts.txt", tmp_path / "onnx.jsonl")
    _assert_same_predictions(torch_rows, onnx_rows)
    if kind.startswith("ner"):
        assert any(row["entities"] for row in torch_rows)  # the comparison saw entities


def test_evaluate_scores_an_onnx_folder_like_its_source(encoder_dir, tmp_path):
    source = write_model(encoder_dir, tmp_path / "model", "single_label", run_config=False)
    result = el.export_model(source, output=tmp_path / "exported", check_texts=TEXTS)
    assert result.folder == tmp_path / "exported" and result.record["parity"]["fp32"]["texts"] == len(TEXTS)
    labels = ["pos", "neg", "pos", "neg", "neg", "pos"]
    expected = el.evaluate(source, texts=TEXTS, labels=labels)
    got = el.evaluate(result.folder, texts=TEXTS, labels=labels)
    assert got["accuracy"] == expected["accuracy"] and got["confusion_matrix"] == expected["confusion_matrix"]


def test_int8_export_reports_agreement_and_predicts(encoder_dir, tmp_path, capsys):
    source = write_model(encoder_dir, tmp_path / "model", "single_label")
    (tmp_path / "check.txt").write_text("\n".join(TEXTS) + "\n\n", encoding="utf-8")
    check = ["--check-texts", str(tmp_path / "check.txt")]
    assert main(["export", "--model", str(source), "--format", "onnx", "--quantize", "int8", *check]) == 0  # README
    captured = capsys.readouterr()
    assert "int8: max |logit diff|" in captured.err
    folder = tmp_path / "model-onnx-int8"
    record = json.loads((folder / "export.json").read_text())
    assert record["quantized"] == "int8"
    assert record["parity"]["fp32"]["max_abs_logit_diff"] <= 1e-4  # the fp32 graph was checked before quantising
    int8 = record["parity"]["int8"]
    assert int8["texts"] == len(TEXTS) and 0.0 <= int8["prediction_agreement"] <= 100.0
    assert int8["max_abs_logit_diff"] > 0.0  # the weights really are int8
    graph = onnx.load(str(folder / "model.onnx")).graph
    assert any(node.op_type in ("MatMulInteger", "DynamicQuantizeLinear") for node in graph.node)
    predictor = el.load_model(folder, precision="int8")
    assert predictor.precision == "int8"
    rows = _predict_cli(folder, tmp_path / "check.txt", tmp_path / "int8.jsonl")
    assert len(rows) == len(TEXTS) + 1 and rows[-1]["skipped"] == "blank line"  # one record per input line
    assert all(row["label"] in ("neg", "pos") for row in rows[:-1])


def test_failed_parity_writes_nothing(encoder_dir, tmp_path, monkeypatch, capsys):
    import electralab.export.onnx as export_module

    source = write_model(encoder_dir, tmp_path / "model", "single_label")
    monkeypatch.setattr(export_module, "FP32_TOLERANCE", -1.0)
    assert main(["export", "--model", str(source)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the loaders' progress bars
    assert err.startswith("electralab: error:") and "differ from PyTorch's" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the loaders' progress bars
    assert err.startswith("electralab: error:"), err
    return err


def test_bad_export_and_onnx_predict_requests_give_one_line_errors(encoder_dir, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "not a model folder" in _error(capsys, ["export", "--model", str(empty)])
    source = write_model(encoder_dir, tmp_path / "model", "single_label")
    export = ["export", "--model", str(source)]
    assert "--format tflite: expected one of onnx" in _error(capsys, [*export, "--format", "tflite"])
    assert "--quantize int4" in _error(capsys, [*export, "--quantize", "int4"])
    with pytest.raises(ConfigError, match="answer needs a question-answering model; this one is sequence_"):
        el.answer(source, ["who?"], ["good w1"])
    folder = el.export_model(source).folder
    assert "already exists" in _error(capsys, export)
    again = ["export", "--model", str(folder), "--output", str(tmp_path / "x")]
    assert "already an ONNX export" in _error(capsys, again)
    (tmp_path / "in.txt").write_text("good w1\n", encoding="utf-8")
    predict = ["predict", "--model", str(folder), "--input", str(tmp_path / "in.txt")]
    assert "precision=bf16" in _error(capsys, [*predict, "--precision", "bf16"])
    assert "precision=int8" in _error(capsys, [*predict, "--precision", "int8"])
    assert "--compile" in _error(capsys, [*predict, "--compile"])
    missing = tmp_path / "nothing.txt"
    assert "no such file" in _error(capsys, [*export, "--output", str(tmp_path / "y"), "--check-texts", str(missing)])


def test_recurrent_heads_are_refused_before_any_work(encoder_dir, tmp_path, capsys):
    source = write_model(encoder_dir, tmp_path / "model", "single_label")
    config = json.loads((source / "config.json").read_text())
    config["head"] = "lstm"
    (source / "config.json").write_text(json.dumps(config))
    assert "the lstm head" in _error(capsys, ["export", "--model", str(source)])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]
