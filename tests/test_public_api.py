"""The public API: its names and signatures are a contract, ``import electralab`` stays cheap, floors hold."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import electralab
import electralab.api as api

ROOT = Path(__file__).resolve().parents[1]

# A change here is a change of the public API: deliberate, with a note for users.
SIGNATURES = {
    "INFERENCE_PRECISIONS": "tuple",
    "ConfigError": "class",
    "DataError": "class",
    "ElectralabError": "class",
    "ModelLoadError": "class",
    "PretrainConfig": "class",
    "RunConfig": "class",
    "RunResult": "class",
    "CheckResult": "class",
    "ComparisonResult": "class",
    "SearchResult": "class",
    "answer": (
        "(model: 'str | Path | Predictor', questions: 'Sequence[str]', contexts: 'Sequence[str]', *, batch_size: "
        "'int' = 64, precision: 'str' = 'fp32', scoring: 'str | None' = None) -> 'list[dict[str, Any]]'"
    ),
    "build_vocab": (
        "(corpus: 'Sequence[str | Path]', output: 'str | Path', *, size: 'int' = 32000, min_frequency: 'int' "
        "= 2, limit_alphabet: 'int' = 10000, unused_slots: 'int' = 100, documents: 'str' = 'line', "
        "text_column: 'str' = 'text') -> 'VocabResult'"
    ),
    "check": "(config: 'RunConfig', *, tokenizer: 'bool' = True, run_name: 'str' = 'check') -> 'CheckResult'",
    "compare": (
        "(preset: 'str | None' = None, config_file: 'str | Path | None' = None, *, model: 'str | Path | None' = "
        "None, data_dir: 'str | Path | None' = None, heads: 'Sequence[str] | None' = None, seeds: 'int' = 3, "
        "epochs: 'float | None' = None, output_dir: 'str | Path | None' = None, name: 'str | None' = None, "
        "sweeps: 'Mapping[str, Sequence[Any]] | Iterable[str]' = (), overrides: 'Overrides' = (), "
        "test_per_epoch: 'bool' = False) -> 'ComparisonResult'"
    ),
    "config_keys": "(kind: 'str' = 'train') -> 'dict[str, str]'",
    "create_app": (
        "(model: 'str | Path | Predictor', *, precision: 'str' = 'fp32', max_batch: 'int' = 32, max_wait_ms: "
        "'float' = 5.0, max_texts: 'int' = 256, max_chars: 'int' = 20000, max_body_bytes: 'int' = 2000000) -> "
        "'FastAPI'"
    ),
    "evaluate": (
        "(model: 'str | Path | Predictor', data: 'str | Path | None' = None, *, texts: 'Sequence[str] | None'"
        " = None, labels: 'Sequence[Any] | None' = None, fmt: 'str | None' = None, text_column: 'str | None' "
        "= None, label_column: 'str | None' = None, batch_size: 'int' = 64, precision: 'str' = 'fp32', "
        "compile: 'bool' = False, output: 'str | Path | None' = None) -> 'dict[str, Any]'"
    ),
    "export_model": (
        "(model_dir: 'str | Path', *, fmt: 'str' = 'onnx', quantize: 'str | None' = None, output: 'str | Path | "
        "None' = None, check_texts: 'str | Path | Sequence[str] | None' = None) -> 'ExportResult'"
    ),
    "extend_vocab": (
        "(model: 'str | Path', words: 'Sequence[str] | str | Path', output: 'str | Path') -> 'list[WordExtension]'"
    ),
    "fit": "(config: 'RunConfig', *, run_name: 'str | None' = None, callbacks: 'Sequence[Any]' = ()) -> 'RunResult'",
    "load_config": (
        "(preset: 'str | None' = None, config_file: 'str | Path | None' = None, *, model: 'str | Path | None'"
        " = None, data_dir: 'str | Path | None' = None, head: 'str | None' = None, output_dir: 'str | Path | "
        "None' = None, overrides: 'Overrides' = ()) -> 'RunConfig'"
    ),
    "load_model": (
        "(model_dir: 'str | Path', *, precision: 'str' = 'fp32', compile: 'bool' = False, units: 'str | None' = "
        "None, force: 'bool' = False) -> 'Predictor'"
    ),
    "load_pretrain_config": (
        "(config_file: 'str | Path | None' = None, *, discriminator: 'str | Path | None' = None, generator: "
        "'str | Path | None' = None, from_scratch: 'str | None' = None, vocab: 'str | Path | None' = None, "
        "corpus: 'Sequence[str | Path]' = (), output_dir: 'str | Path | None' = None, overrides: 'Overrides' "
        "= ()) -> 'PretrainConfig'"
    ),
    "predict": (
        "(model: 'str | Path | Predictor', texts: 'Sequence[str]', *, batch_size: 'int' = 64, precision: "
        "'str' = 'fp32') -> 'list[dict[str, Any]]'"
    ),
    "predict_file": (
        "(model: 'str | Path | Predictor', input_path: 'str | Path | None', output_path: 'str | Path | None' "
        "= None, *, text_column: 'str' = 'text', batch_size: 'int' = 64, precision: 'str' = 'fp32', compile: "
        "'bool' = False, units: 'str | None' = None, force: 'bool' = False) -> 'int'"
    ),
    "pretrain": (
        "(config: 'PretrainConfig', *, run_name: 'str | None' = None, callbacks: 'Sequence[Any]' = ()) -> 'RunResult'"
    ),
    "preset_names": "() -> 'list[str]'",
    "resume": "(run_dir: 'str | Path', *, callbacks: 'Sequence[Any]' = ()) -> 'RunResult'",
    "search": (
        "(preset: 'str | None' = None, config_file: 'str | Path | None' = None, *, model: 'str | Path | None' = "
        "None, data_dir: 'str | Path | None' = None, trials: 'int' = 20, space: 'Mapping[str, Any] | "
        "Iterable[str]' = (), output_dir: 'str | Path | None' = None, name: 'str | None' = None, overrides: "
        "'Overrides' = ()) -> 'SearchResult'"
    ),
    "serve": (
        "(model: 'str | Path | Predictor', *, host: 'str' = '127.0.0.1', port: 'int' = 8000, precision: 'str' = "
        "'fp32', max_batch: 'int' = 32, max_wait_ms: 'float' = 5.0, max_texts: 'int' = 256, max_chars: 'int' = "
        "20000, max_body_bytes: 'int' = 2000000, log_level: 'str' = 'info', access_log: 'bool' = True) -> 'None'"
    ),
}


def _kind(obj: object) -> str:
    if inspect.isfunction(obj):
        return str(inspect.signature(obj))
    return "class" if isinstance(obj, type) else type(obj).__name__


def test_public_names_and_signatures_are_unchanged():
    assert sorted(api.__all__) == sorted(SIGNATURES)
    assert {name: _kind(getattr(api, name)) for name in api.__all__} == SIGNATURES
    for name in api.__all__:  # re-exported from the package, with a docstring
        assert getattr(electralab, name) is getattr(api, name)
        assert inspect.getdoc(getattr(api, name)), name
    assert set(electralab.__all__) == {*api.__all__, "__version__"}


def test_import_electralab_loads_no_heavy_library():
    code = "import sys, electralab; print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_contracts_catch_an_upward_import(tmp_path):
    lint = Path(sys.executable).with_name("lint-imports")
    source = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "electralab", source / "electralab")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(source)}
    kept = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stdout[-2000:]
    classifier = source / "electralab" / "models" / "classifier.py"
    classifier.write_text(classifier.read_text() + "\nfrom ..training import recipe  # noqa\n")
    broken = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert broken.returncode != 0
    assert "electralab.models.classifier -> electralab.training.recipe" in broken.stdout
