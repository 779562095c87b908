"""electralab's public Python API: fit, compare, search, resume, evaluate, predict, export, serve, pretrain, vocab.

Everything the ``electralab`` command does is a call here, and these names are re-exported from
``electralab`` itself (their list is :data:`__all__`). Importing this module is cheap: PyTorch and
transformers are imported on first use. Example::

    import electralab as el

    config = el.load_config("nsmc", model="path/to/encoder", data_dir="data/nsmc",
                            overrides={"train.epochs": 1, "data.max_train_rows": 3000})
    result = el.fit(config)                       # RunResult: run_dir, model_dir, metrics
    print(result.metrics["test"]["accuracy"])
    el.predict(result.model_dir, ["정말 재밌어요", "시간 낭비"])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import (
    INFERENCE_PRECISIONS,
    CorpusConfig,
    DataConfig,
    ModelConfig,
    ObjectiveConfig,
    PretrainConfig,
    PretrainModelConfig,
    PretrainTrainConfig,
    RunConfig,
    TrainConfig,
    build_config,
    build_pretrain_config,
    field_help,
    preset_names,
)
from .errors import ConfigError, DataError, ElectralabError, ModelLoadError
from .results import CheckResult, ComparisonResult, RunResult, SearchResult

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .export import ExportResult
    from .inference.predictor import Predictor
    from .vocab.build import VocabResult
    from .vocab.extend import WordExtension

Overrides = Iterable[str] | Mapping[str, Any]
"""Dotted overrides: ``["train.epochs=2"]`` (values read as YAML) or ``{"train.epochs": 2}``."""


def load_config(
    preset: str | None = None,
    config_file: str | Path | None = None,
    *,
    model: str | Path | None = None,
    data_dir: str | Path | None = None,
    head: str | None = None,
    output_dir: str | Path | None = None,
    overrides: Overrides = (),
) -> RunConfig:
    """Build a validated fine-tuning config: defaults ← preset ← YAML file ← keyword arguments ← overrides.

    Args:
        preset: A shipped preset (:func:`preset_names`: nsmc, ynat, imdb, sst2, unsmile).
        config_file: A YAML file with the same sections (data, model, train).
        model: Hub id or local folder of the encoder (``model.name_or_path``).
        data_dir: Folder holding the preset's data files (``data.data_dir``).
        head: Head on the encoder (``model.head``): auto (the default), cls, mean, max, attention, lstm, gru, cnn.
        output_dir: Parent folder of the run folders (``output_dir``).
        overrides: Dotted overrides applied last, e.g. ``{"train.epochs": 1, "model.dropout": 0.2}``.

    Raises:
        ConfigError: On an unknown preset or key, a wrong type or contradictory settings (the key is named).
    """
    return build_config(preset, config_file, overrides, **_sections(model, data_dir, head, output_dir))


def _sections(model: Any, data_dir: Any, head: Any, output_dir: Any) -> dict[str, Any]:
    """The keyword arguments of :func:`load_config` as nested config sections."""
    sections: dict[str, Any] = {
        "data": {"data_dir": str(data_dir)} if data_dir is not None else {},
        "model": {key: str(value) for key, value in (("name_or_path", model), ("head", head)) if value is not None},
    }
    if output_dir is not None:
        sections["output_dir"] = str(output_dir)
    return sections


def load_pretrain_config(
    config_file: str | Path | None = None,
    *,
    discriminator: str | Path | None = None,
    generator: str | Path | None = None,
    from_scratch: str | None = None,
    vocab: str | Path | None = None,
    corpus: Sequence[str | Path] = (),
    output_dir: str | Path | None = None,
    overrides: Overrides = (),
) -> PretrainConfig:
    """Build a validated ELECTRA pretraining config (same order: defaults ← YAML ← arguments ← overrides).

    Args:
        config_file: A YAML file with the sections model, corpus, objective, train.
        discriminator: An ELECTRA discriminator or any encoder to further-train (hub id or folder).
        generator: An ELECTRA generator (default: a fresh one sized from the discriminator).
        from_scratch: Random init instead: ``small``, ``base`` or an ElectraConfig JSON (needs ``vocab``).
        vocab: Tokenizer folder (e.g. from :func:`build_vocab`).
        corpus: Text/CSV/JSONL files, folders or glob patterns.
        output_dir: Parent folder of the run folders.
        overrides: Dotted overrides applied last, e.g. ``{"train.max_steps": 1000}``.
    """
    flags = (
        ("discriminator", discriminator),
        ("generator", generator),
        ("from_scratch", from_scratch),
        ("vocab", vocab),
    )
    sections: dict[str, Any] = {"model": {key: str(value) for key, value in flags if value is not None}}
    if corpus:
        sections["corpus"] = {"paths": [str(path) for path in corpus]}
    if output_dir is not None:
        sections["output_dir"] = str(output_dir)
    return build_pretrain_config(config_file, overrides, **sections)


def fit(config: RunConfig, *, run_name: str | None = None, callbacks: Sequence[Any] = ()) -> RunResult:
    """Fine-tune: train, keep the best checkpoint by dev, score dev and test, write the run folder.

    Args:
        config: From :func:`load_config`.
        run_name: Prefix of the new timestamped run folder under ``config.output_dir`` (default ``run``).
        callbacks: Extra ``transformers.TrainerCallback`` objects.

    Returns:
        The run folder, the model folder (``result.model_dir``) and the metrics (as in ``metrics.json``).
    """
    from .training.recipe import run

    return run(config, run_name=run_name or "run", extra_callbacks=callbacks)


def compare(
    preset: str | None = None,
    config_file: str | Path | None = None,
    *,
    model: str | Path | None = None,
    data_dir: str | Path | None = None,
    heads: Sequence[str] | None = None,
    seeds: int = 3,
    epochs: float | None = None,
    output_dir: str | Path | None = None,
    name: str | None = None,
    sweeps: Mapping[str, Sequence[Any]] | Iterable[str] = (),
    overrides: Overrides = (),
    test_per_epoch: bool = False,
) -> ComparisonResult:
    """Fine-tune a grid of heads × swept settings × seeds through :func:`fit`'s path, and compare them honestly.

    Every run's config is built and checked before the first run trains (an unknown head, key or value fails
    at once, naming it). Each run has a fixed folder, ``<output_dir>/<name>/runs/<configuration>/seed-<seed>``:
    calling again with the same grid trains only the runs not finished (a killed grid continues; an unfinished
    run starts again); a run that fails is recorded with its error and the others go on. The runs score dev
    after every epoch; the best configuration is chosen by the mean dev ``train.metric_for_best`` over seeds
    (ties: the first in grid order), never on test. Writes ``comparison.json``, ``comparison.md`` and
    ``comparison.html`` (plots embedded) into the comparison folder.

    Args:
        preset: A shipped preset (:func:`preset_names`).
        config_file: A YAML config file (applied after the preset).
        model: Hub id or local folder of the encoder (``model.name_or_path``).
        data_dir: Folder holding the preset's data files (``data.data_dir``).
        heads: Heads to compare (``model.head``), e.g. ``["cls", "mean", "lstm"]`` or ``"cls,mean"``; None: the
            config's head.
        seeds: Runs per configuration, with seeds ``train.seed``, ``train.seed + 1``, ... (default 42, 43, 44).
        epochs: ``train.epochs`` of every run (default: the config's).
        output_dir: Parent of the comparison folder (``output_dir``, default ``runs``).
        name: The comparison folder's name (default ``compare-<preset or config file>``).
        sweeps: Settings to compare, ``{"train.learning_rate": [5e-5, 1e-4]}`` or ``["train.learning_rate=5e-5,1e-4"]``
            (a key with one value applies to every run; commas inside ``[...]`` or quotes do not split).
        overrides: Dotted overrides applied to every run (before ``sweeps``), as in :func:`load_config`.
        test_per_epoch: Also score test after every epoch; reported as not used for any choice.

    Returns:
        The folder, the summary (``comparison.json``) and the report paths; ``result.best`` is the chosen label.

    Raises:
        ConfigError: Before any run trains, on a bad grid (the key and value are named).
    """
    from .comparison import dotted_overrides, plan_grid, read_sweeps, run_comparison

    swept = read_sweeps([sweeps] if isinstance(sweeps, str) else sweeps)
    if isinstance(heads, str):
        heads = [head.strip() for head in heads.split(",")]
    if heads is not None:
        if "model.head" in swept:
            raise ConfigError("heads are given twice, as heads (--heads) and as model.head=...: keep one")
        swept = {"model.head": list(heads), **swept}
    base = dotted_overrides(overrides)
    if epochs is not None:
        base = {"train.epochs": epochs, **base}
    grid = plan_grid(preset, config_file, _sections(model, data_dir, None, output_dir), base, swept, seeds, name)
    return run_comparison(grid, test_per_epoch=test_per_epoch)


def search(
    preset: str | None = None,
    config_file: str | Path | None = None,
    *,
    model: str | Path | None = None,
    data_dir: str | Path | None = None,
    trials: int = 20,
    space: Mapping[str, Any] | Iterable[str] = (),
    output_dir: str | Path | None = None,
    name: str | None = None,
    overrides: Overrides = (),
) -> SearchResult:
    """Hyperparameter search with ``transformers.Trainer.hyperparameter_search`` and Optuna, on dev only.

    Every key and value of the space is checked against the config and the task before anything trains (and the
    Optuna extra is asked for: ``pip install 'electralab[search]'``). The data is read once; each trial trains a
    fresh model with one configuration and ``train.seed``, scoring dev after every epoch. The objective is the
    trial's best dev ``train.metric_for_best`` (maximised; ``loss`` minimised). Optuna's TPE sampler is seeded with
    ``train.seed``, so the same call proposes the same trials. The test split is never scored. Writes
    ``comparison.json``, ``comparison.md`` and ``comparison.html`` (as :func:`compare`, one trial per configuration)
    with the study (every trial's number, parameters, objective and state) and the best parameters into
    ``<output_dir>/<name>``, which must be new or empty.

    Args:
        preset: A shipped preset (:func:`preset_names`).
        config_file: A YAML config file (applied after the preset).
        model: Hub id or local folder of the encoder (``model.name_or_path``).
        data_dir: Folder holding the preset's data files (``data.data_dir``).
        trials: How many trials Optuna proposes.
        space: ``["train.learning_rate=1e-5:1e-4:log", "train.epochs=2:4", "model.head=cls,mean"]`` (integer bounds:
            integers; ``:log``: log-uniform; commas: choices) or ``{"train.learning_rate": (1e-5, 1e-4, "log"),
            "model.head": ["cls", "mean"]}``; empty: learning rate (log), epochs, warmup, layer_lr_decay and head.
        output_dir: Parent of the search folder (``output_dir``, default ``runs``).
        name: The search folder's name (default ``search-<preset or config file>``).
        overrides: Dotted overrides applied to every trial, as in :func:`load_config`.

    Returns:
        The folder, the summary (``comparison.json``) and the report paths; ``result.best_params`` the best trial's.

    Raises:
        ConfigError: Before anything trains: Optuna missing, an unknown or unsearchable key, a bad range or value.
    """
    from .hpsearch import plan_search, run_search

    sections = _sections(model, data_dir, None, output_dir)
    return run_search(plan_search(preset, config_file, sections, overrides, space, trials, name))


def resume(run_dir: str | Path, *, callbacks: Sequence[Any] = ()) -> RunResult:
    """Continue an interrupted fine-tuning or pretraining run from its last complete checkpoint."""
    from .training.recipe import run

    return run(resume_dir=Path(run_dir), extra_callbacks=callbacks)


def pretrain(config: PretrainConfig, *, run_name: str | None = None, callbacks: Sequence[Any] = ()) -> RunResult:
    """ELECTRA replaced-token-detection pretraining; fine-tune ``result.discriminator_dir`` like any encoder."""
    from .training.recipe import run_pretraining

    name = run_name or ("pretrain-scratch" if config.model.from_scratch else "pretrain")
    return run_pretraining(config, run_name=name, extra_callbacks=callbacks)


def load_model(
    model_dir: str | Path,
    *,
    precision: str = "fp32",
    compile: bool = False,
    units: str | None = None,
    force: bool = False,
) -> Predictor:
    """Load a trained model folder for prediction: ``.predict(texts)``, ``.logits(texts)``, ``.score(dataset)``.

    Args:
        model_dir: A ``model/`` folder written by :func:`fit`, or its ONNX export (:func:`export_model`; run
            through ONNX Runtime at the precision it was exported in).
        precision: fp32; bf16 (autocast; CPUs with bf16 support, CUDA); int8 (dynamic quantisation, CPU).
        compile: Run the model through ``torch.compile`` (pays off on many thousands of texts).
        units: Token classification: read tags per ``word``, ``char`` or sub-word ``token`` (entities may then
            start inside a word, as in the Hugging Face pipeline's ``simple`` aggregation); default: as trained.
        force: Load a folder without a trained head (a bare encoder: its labels would be random) anyway.

    Raises:
        ModelLoadError: If the folder is not a model folder, or has no trained head (unless ``force``).
    """
    from .inference.predictor import Predictor

    return Predictor.from_folder(model_dir, precision=precision, compile=compile, units=units, force=force)


def predict(
    model: str | Path | Predictor, texts: Sequence[str], *, batch_size: int = 64, precision: str = "fp32"
) -> list[dict[str, Any]]:
    """Label texts: per text a dict with ``label``, ``score`` and ``probabilities`` (multi-label: ``labels``)."""
    from .inference.evaluate import as_predictor

    if isinstance(texts, str):
        raise DataError("predict takes a list of texts, not one string: pass [text]")
    return as_predictor(model, precision).predict(list(texts), batch_size=batch_size)


def answer(
    model: str | Path | Predictor,
    questions: Sequence[str],
    contexts: Sequence[str],
    *,
    batch_size: int = 64,
    precision: str = "fp32",
    scoring: str | None = None,
) -> list[dict[str, Any]]:
    """Extractive question answering: per question its ``answer`` in its context, ``start``/``end``, ``score``.

    ``answer`` is ``context[start:end]`` exactly (character offsets); contexts of any length are read in
    overlapping windows. ``model`` is a question-answering model folder (``task: question_answering``).
    ``scoring`` compares the spans of a question's windows (default: the model's ``answer_scoring``):
    ``logit_sum`` (start + end logits, as Hugging Face's question-answering example) or ``window_probability``
    (start x end probabilities, each a softmax within its window, as the question-answering pipeline).
    """
    from .inference.evaluate import as_predictor
    from .tasks.qa_features import ANSWER_SCORINGS

    if isinstance(questions, str) or isinstance(contexts, str):
        raise DataError("answer takes lists of questions and contexts, not single strings: pass [question], [context]")
    if scoring is not None and scoring not in ANSWER_SCORINGS:
        raise ConfigError(f"scoring={scoring!r}: expected one of {', '.join(ANSWER_SCORINGS)}")
    predictor = as_predictor(model, precision)
    if predictor.task.name != "question_answering":
        raise ConfigError(
            f"answer needs a question-answering model; this one is {predictor.task.name}: use predict for it"
        )
    return predictor.task.predict_texts(predictor, list(questions), list(contexts), batch_size, scoring=scoring)


def evaluate(
    model: str | Path | Predictor,
    data: str | Path | None = None,
    *,
    texts: Sequence[str] | None = None,
    labels: Sequence[Any] | None = None,
    fmt: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 64,
    precision: str = "fp32",
    compile: bool = False,
    output: str | Path | None = None,
) -> dict[str, Any]:
    """Score a trained model on a labelled file, or on ``texts`` with their ``labels``.

    Args:
        model: A model folder or a loaded model (:func:`load_model`).
        data: A labelled file, read with the run's reader and columns unless ``fmt`` / columns are given.
        texts: Instead of ``data``: the texts ...
        labels: ... and their labels (a name each; multi-label: a list of names each).
        fmt: Reader of ``data``: nsmc, ynat, klue_json, imdb, sst2, table.
        text_column: Text column for the table reader.
        label_column: Label column for the table reader.
        batch_size: Texts per forward pass.
        precision: fp32, bf16 or int8.
        compile: Run the model through ``torch.compile``.
        output: Also write the metrics as JSON here.

    Returns:
        The metrics: accuracy and F1s (or the multi-label scores), per-class scores, confusion matrix, ``rows``.
    """
    from .inference.evaluate import evaluate_file, evaluate_texts

    if (data is None) == (texts is None):
        raise ConfigError("evaluate: pass either a labelled file (data) or texts with labels, not both or neither")
    if texts is not None:
        metrics = evaluate_texts(model, texts, labels if labels is not None else [], batch_size, precision)
    else:
        metrics = evaluate_file(model, str(data), fmt, text_column, label_column, batch_size, precision, compile)
    if output is not None:
        from .files import write_json

        write_json(Path(output), metrics)
    return metrics


def predict_file(
    model: str | Path | Predictor,
    input_path: str | Path | None,
    output_path: str | Path | None = None,
    *,
    text_column: str = "text",
    batch_size: int = 64,
    precision: str = "fp32",
    compile: bool = False,
    units: str | None = None,
    force: bool = False,
) -> int:
    """Label each text of a file (``.txt`` one per line, or a table's column; None: stdin) as JSON lines.

    One record per input line (``"line": n``) or table row (``"row": n``), in input order; a blank one is
    ``{"line": n, "text": "", "skipped": "blank line"}``. ``units`` and ``force``: as in :func:`load_model`.

    Returns:
        The number of records written to ``output_path`` (None: stdout).
    """
    from .inference.evaluate import predict_file as _predict_file

    source = str(input_path) if input_path is not None else None
    target = str(output_path) if output_path is not None else None
    return _predict_file(model, source, target, text_column, batch_size, precision, compile, units, force)


def export_model(
    model_dir: str | Path,
    *,
    fmt: str = "onnx",
    quantize: str | None = None,
    output: str | Path | None = None,
    check_texts: str | Path | Sequence[str] | None = None,
) -> ExportResult:
    """Export a trained model folder to ONNX; :func:`load_model`, ``predict`` and ``serve`` run the result.

    The new folder holds ``model.onnx`` (dynamic batch and sequence axes), the tokenizer, the model's config
    (task, labels, thresholds, max length) and run config, and ``export.json`` (format, opset, quantisation,
    parity, versions). Parity is checked on ``check_texts`` against the PyTorch model in fp32: an fp32 graph
    whose logits differ by more than 1e-4 is refused; for int8 the agreement is reported.

    Args:
        model_dir: A ``model/`` folder written by :func:`fit`.
        fmt: ``onnx``.
        quantize: ``int8`` for a dynamically quantised graph; None for fp32.
        output: The new folder (default: ``<model_dir>-onnx``, ``-onnx-int8``, beside it); must not exist.
        check_texts: The parity texts: a file with one per line, a list, or None for built-in Korean and English.

    Returns:
        The folder and the export record (``result.record["parity"]``).
    """
    from .export import export_onnx

    return export_onnx(model_dir, output, fmt, quantize, check_texts)


def create_app(
    model: str | Path | Predictor,
    *,
    precision: str = "fp32",
    max_batch: int = 32,
    max_wait_ms: float = 5.0,
    max_texts: int = 256,
    max_chars: int = 20000,
    max_body_bytes: int = 2000000,
) -> FastAPI:
    """The HTTP app of :func:`serve` (FastAPI), to run under any ASGI server or mount in another app.

    ``POST /v1/predict`` takes ``{"text": ...}`` or ``{"texts": [...]}`` and answers ``{"predictions": [...]}``,
    one per text, as :func:`predict` returns them; ``GET /healthz``; ``GET /v1/model``; OpenAPI at ``/docs``.
    Texts from concurrent requests are labelled together, in one worker thread started by the app's lifespan.

    Args:
        model: A model folder or a loaded model (:func:`load_model`).
        precision: fp32, bf16 or int8, as in :func:`load_model`.
        max_batch: Most texts per prediction call, gathered from any number of requests.
        max_wait_ms: Longest a text waits for others to join its batch.
        max_texts: Most texts in one request (more: 422).
        max_chars: Most characters in one text (more: 422).
        max_body_bytes: Largest request body (more: 413).

    Raises:
        ConfigError: On a limit that is not a positive number (checked before the model is loaded).
    """
    from .serving.settings import ServeSettings

    settings = ServeSettings(
        max_batch=max_batch, max_wait_ms=max_wait_ms, max_texts=max_texts, max_chars=max_chars,
        max_body_bytes=max_body_bytes,
    )  # fmt: skip
    return _serving_app(model, precision, settings)


def serve(
    model: str | Path | Predictor,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    precision: str = "fp32",
    max_batch: int = 32,
    max_wait_ms: float = 5.0,
    max_texts: int = 256,
    max_chars: int = 20000,
    max_body_bytes: int = 2000000,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve a model over HTTP (uvicorn) until SIGTERM or Ctrl+C, which let in-flight requests finish.

    The endpoints and limits are those of :func:`create_app`; ``host`` ``127.0.0.1`` answers this machine only.
    ``log_level`` is uvicorn's (critical, error, warning, info, debug, trace); ``access_log`` logs each request.

    Raises:
        ConfigError: On a bad setting (before the model is loaded), or when the port cannot be opened.
    """
    from .serving.settings import ServeSettings

    settings = ServeSettings(
        host=host, port=port, max_batch=max_batch, max_wait_ms=max_wait_ms, max_texts=max_texts,
        max_chars=max_chars, max_body_bytes=max_body_bytes, log_level=log_level, access_log=access_log,
    )  # fmt: skip
    app = _serving_app(model, precision, settings)
    from .serving.server import run_server

    run_server(app, settings)


def _serving_app(model: str | Path | Predictor, precision: str, settings: Any) -> FastAPI:
    """The app of ``model``; first a clear error when the ``serve`` extra (FastAPI, uvicorn) is not installed."""
    from . import __version__

    try:
        import uvicorn  # noqa: F401  (checked here, before the model loads; serve runs it)

        from .serving.app import create_app as _create_app
    except ModuleNotFoundError as missing:
        if missing.name not in ("fastapi", "starlette", "pydantic", "uvicorn"):
            raise
        raise ConfigError(
            f"serving needs {missing.name}, which is not installed: pip install 'electralab[serve]'"
        ) from None
    from .inference.evaluate import as_predictor

    return _create_app(as_predictor(model, precision), settings, __version__)


def check(config: RunConfig, *, tokenizer: bool = True, run_name: str = "check") -> CheckResult:
    """Check the data a config names before training: duplicates, leakage, conflicting labels, lengths, coverage.

    Writes ``check.json`` and ``check.html`` into a new folder under ``config.output_dir`` and prints the findings.

    Args:
        config: From :func:`load_config` (a model is optional: with one, token lengths and tokenizer coverage too).
        tokenizer: Set False to skip the token checks even when the config names a model.
        run_name: Prefix of the report folder.
    """
    from .checks.run import check_data

    return check_data(config, run_name=run_name, with_tokenizer=tokenizer)


def build_vocab(
    corpus: Sequence[str | Path],
    output: str | Path,
    *,
    size: int = 32000,
    min_frequency: int = 2,
    limit_alphabet: int = 10000,
    unused_slots: int = 100,
    documents: str = "line",
    text_column: str = "text",
) -> VocabResult:
    """Train a cased, Hangul-safe WordPiece vocabulary on a corpus; writes a tokenizer folder to ``output``."""
    from .vocab.build import build_vocab as _build_vocab

    return _build_vocab(
        [str(path) for path in corpus],
        output,
        size=size,
        min_frequency=min_frequency,
        limit_alphabet=limit_alphabet,
        unused_slots=unused_slots,
        documents=documents,
        text_column=text_column,
    )


def extend_vocab(model: str | Path, words: Sequence[str] | str | Path, output: str | Path) -> list[WordExtension]:
    """Write domain words (a list, or a file with one per line) into the ``[unused]`` slots of a vocabulary."""
    from .vocab.extend import extend_vocab as _extend_vocab
    from .vocab.extend import read_words

    word_list = read_words(words) if isinstance(words, (str, Path)) else list(words)
    return _extend_vocab(str(model), word_list, output)


def config_keys(kind: str = "train") -> dict[str, str]:
    """Every config key with its meaning: ``train`` (fine-tuning) or ``pretrain``, as ``{"train.epochs": "..."}``."""
    sections = {
        "train": (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig)),
        "pretrain": (
            ("model", PretrainModelConfig),
            ("corpus", CorpusConfig),
            ("objective", ObjectiveConfig),
            ("train", PretrainTrainConfig),
        ),
    }
    if kind not in sections:
        raise ConfigError(f"config_keys({kind!r}): expected 'train' or 'pretrain'")
    return {f"{name}.{key}": doc for name, cls in sections[kind] for key, doc in field_help(cls).items()}


__all__ = [
    "INFERENCE_PRECISIONS",
    "ConfigError",
    "DataError",
    "ElectralabError",
    "ModelLoadError",
    "PretrainConfig",
    "RunConfig",
    "RunResult",
    "CheckResult",
    "ComparisonResult",
    "SearchResult",
    "answer",
    "build_vocab",
    "check",
    "compare",
    "config_keys",
    "create_app",
    "evaluate",
    "export_model",
    "extend_vocab",
    "fit",
    "load_config",
    "load_model",
    "load_pretrain_config",
    "predict",
    "predict_file",
    "pretrain",
    "preset_names",
    "resume",
    "search",
    "serve",
]
