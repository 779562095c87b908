"""Command line: `electralab` train | compare | search | check | evaluate | predict | export | serve | pretrain | vocab.

Parsing and printing only: every command is one call of the public API (:mod:`electralab.api`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import api
from .errors import ElectralabError

_OVERRIDE = re.compile(r"^[A-Za-z_]+(\.[A-Za-z_]+)+=")
_PRECISION_HELP = "fp32; bf16 (autocast; CPUs with bf16 support, CUDA); int8 (dynamic quantisation, CPU)"
_COMPILE_HELP = "run the model through torch.compile: faster on many texts, after seconds of compiling"
_OVERRIDES_HELP = "dotted key=value overrides, applied last, e.g. train.epochs=2 model.dropout=0.2"
_HEADLINE = (
    "accuracy", "f1_micro", "f1_macro", "f1_weighted", "f1_samples", "exact_match", "hamming_loss",
    "f1", "precision", "recall", "token_accuracy", "char_f1", "loss",
)  # fmt: skip
_console = Console(stderr=True)


def _keys_help(kind: str) -> str:
    lines = ["config keys (YAML sections, or dotted key=value overrides):"]
    lines += [f"  {key}: {doc}" for key, doc in api.config_keys(kind).items()]
    if kind == "train":
        lines.append(f"presets: {', '.join(api.preset_names())}")
    return "\n".join(lines)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="electralab",
        description="Fine-tune ELECTRA, BERT, RoBERTa or any Hugging Face encoder on Korean and English text.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="fine-tune a model",
        description="Fine-tune an encoder with a head; writes model/, metrics.json and report.html "
        "into a new timestamped folder under --output-dir.",
        epilog=_keys_help("train"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(train)
    train.add_argument("--model", help="hub id or local folder of the encoder (model.name_or_path)")
    train.add_argument("--head", help="head on the encoder: auto (default), cls, mean, max, attention, lstm, gru, cnn")
    train.add_argument("--output-dir", help="parent folder of the run folder (default: runs)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint")
    train.add_argument("overrides", nargs="*", help=_OVERRIDES_HELP)

    evaluate = commands.add_parser("evaluate", help="score a saved model on a labelled file")
    evaluate.add_argument("--model", required=True, help="a model folder written by `electralab train`")
    evaluate.add_argument("--data", required=True, help="a labelled file in the model's data format")
    evaluate.add_argument("--format", help="reader: nsmc, ynat, klue_json, imdb, sst2, table (default: the run's)")
    evaluate.add_argument("--text-column", help="text column for the table reader")
    evaluate.add_argument("--label-column", help="label column for the table reader")
    evaluate.add_argument("--output", help="write the metrics as JSON here too")
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.add_argument("--precision", default="fp32", choices=api.INFERENCE_PRECISIONS, help=_PRECISION_HELP)
    evaluate.add_argument("--compile", action="store_true", help=_COMPILE_HELP)

    predict = commands.add_parser("predict", help="label texts with a saved model (JSON lines out)")
    predict.add_argument("--model", required=True, help="a model folder written by `electralab train`")
    predict.add_argument("--input", help="texts: .txt (one per line) or .csv/.tsv/.jsonl; default: stdin")
    predict.add_argument("--output", help="JSON lines file; default: stdout")
    predict.add_argument("--text-column", default="text", help="text column for .csv/.tsv/.jsonl input")
    predict.add_argument("--batch-size", type=int, default=64)
    predict.add_argument("--precision", default="fp32", choices=api.INFERENCE_PRECISIONS, help=_PRECISION_HELP)
    predict.add_argument("--compile", action="store_true", help=_COMPILE_HELP)
    predict.add_argument(
        "--units", choices=("word", "char", "token"),
        help="token classification: read tags per word, character or sub-word token (default: as trained)",
    )  # fmt: skip
    predict.add_argument(
        "--force", action="store_true", help="use a model folder without a trained head (its labels are random)"
    )
    _add_compare_parser(commands)
    _add_search_parser(commands)
    _add_check_parser(commands)
    _add_export_parser(commands)
    _add_serve_parser(commands)
    _add_pretrain_parser(commands)
    _add_vocab_parser(commands)
    return parser


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """--preset, --config and --data-dir: where the data is, the same for train and check."""
    parser.add_argument("--preset", help="a shipped preset: " + ", ".join(api.preset_names()))
    parser.add_argument("--config", help="a YAML config file (same keys as below); applied after --preset")
    parser.add_argument("--data-dir", help="folder holding the preset's data files (data.data_dir)")


def _add_compare_parser(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare",
        help="compare heads and settings over seeds: a grid of runs, mean ± std, the best chosen on dev",
        description="Fine-tune every configuration (heads × key=v1,v2 sweeps) once per seed, in fixed folders under "
        "--output-dir/--name: running the same command again trains only the runs not finished. Writes "
        "comparison.json, comparison.md and comparison.html (dev per epoch with seed bands, training loss).",
        epilog=_keys_help("train"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(compare)
    compare.add_argument("--model", help="hub id or local folder of the encoder (model.name_or_path)")
    compare.add_argument("--heads", help="heads to compare, comma-separated, e.g. cls,mean,attention,lstm,cnn")
    compare.add_argument("--seeds", type=int, default=3, help="runs per configuration: train.seed, +1, ... (default 3)")
    compare.add_argument("--epochs", type=float, help="train.epochs of every run (default: the config's)")
    compare.add_argument("--output-dir", help="parent of the comparison folder (default: runs)")
    compare.add_argument("--name", help="comparison folder name (default: compare-<preset or config>)")
    compare.add_argument(
        "--test-per-epoch", action="store_true", help="also score test after each epoch (reported, never chosen on)"
    )
    compare.add_argument(
        "sweeps", nargs="*", help="key=v1,v2 compares values (train.learning_rate=5e-5,1e-4); key=v sets every run"
    )


def _add_search_parser(commands: argparse._SubParsersAction) -> None:
    search = commands.add_parser(
        "search",
        help="hyperparameter search with Optuna (Trainer.hyperparameter_search) on dev; reported like compare",
        description="Let Optuna (TPE, seeded with train.seed) propose --trials configurations from the --space; each "
        "trial trains once with train.seed and is scored on dev after every epoch, never on test. Writes "
        "comparison.json, comparison.md and comparison.html with the study and the best parameters into "
        "--output-dir/--name. Needs the search extra: pip install 'electralab[search]'.",
        epilog=_keys_help("train"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(search)
    search.add_argument("--model", help="hub id or local folder of the encoder (model.name_or_path)")
    search.add_argument("--trials", type=int, default=20, help="trials Optuna proposes (default 20)")
    search.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH[:log] | KEY=A,B",
        help="a searched key, repeatable: train.learning_rate=1e-5:1e-4:log, train.epochs=2:4 (integer bounds: "
        "integers), model.head=cls,mean (choices); none: learning rate, epochs, warmup, layer_lr_decay, head",
    )
    search.add_argument("--output-dir", "--out", dest="output_dir", help="parent of the search folder (default: runs)")
    search.add_argument("--name", help="search folder name (default: search-<preset or config>); must be new or empty")
    search.add_argument("overrides", nargs="*", help="key=value settings of every trial: train.batch_size=16")


def _add_check_parser(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check",
        help="validate a dataset before training: duplicates, leakage, conflicting labels, lengths, coverage",
        description="Check the files a preset or config names; writes check.json and check.html into a new folder "
        "under --output-dir. With --model, also token lengths against data.max_length and tokenizer coverage.",
        epilog=_keys_help("train"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(check)
    check.add_argument("--model", help="hub id or folder whose tokenizer the token checks use (optional)")
    check.add_argument("--output-dir", help="parent folder of the report folder (default: runs)")
    check.add_argument("overrides", nargs="*", help=_OVERRIDES_HELP)


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export",
        help="export a model folder to ONNX (predict and serve run the export through ONNX Runtime)",
        description="Writes model.onnx, the tokenizer, config and export.json into a new folder (default: "
        "<model>-onnx beside the model) after checking it against the PyTorch model: fp32 logits within 1e-4; "
        "for int8 the share of identical predictions is reported.",
    )
    export.add_argument("--model", required=True, help="a model folder written by `electralab train`")
    export.add_argument("--format", default="onnx", help="export format: onnx (default)")
    export.add_argument("--quantize", help="int8: dynamic int8 quantisation of the graph (default: fp32)")
    export.add_argument("--output", help="the new folder (default: <model>-onnx or <model>-onnx-int8)")
    export.add_argument("--check-texts", help="parity texts, one per line (default: built-in Korean and English)")


def _add_serve_parser(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve a saved model over HTTP (micro-batched; OpenAPI at /docs)",
        description='POST /v1/predict {"text": ...} or {"texts": [...]} answers {"predictions": [...]}, one per '
        "text as `electralab predict` prints them; GET /healthz; GET /v1/model. Texts from concurrent requests are "
        "labelled together. SIGTERM or Ctrl+C lets in-flight requests finish.",
    )
    serve.add_argument("--model", required=True, help="a model folder written by `electralab train`")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1; 0.0.0.0: all)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    serve.add_argument("--precision", default="fp32", choices=api.INFERENCE_PRECISIONS, help=_PRECISION_HELP)
    serve.add_argument("--max-batch", type=int, default=32, help="most texts per prediction call (default 32)")
    serve.add_argument(
        "--max-wait-ms", type=float, default=5.0, help="longest a text waits for others to join its batch (default 5)"
    )
    serve.add_argument("--max-texts", type=int, default=256, help="most texts per request (default 256)")
    serve.add_argument("--max-chars", type=int, default=20000, help="most characters per text (default 20000)")
    serve.add_argument("--max-body-bytes", type=int, default=2000000, help="largest request body (default 2000000)")
    serve.add_argument("--log-level", default="info", help="uvicorn log level: critical, error, warning, info, debug")
    serve.add_argument("--no-access-log", action="store_true", help="do not log a line per request")


def _add_pretrain_parser(commands: argparse._SubParsersAction) -> None:
    pretrain = commands.add_parser(
        "pretrain",
        help="further-train an ELECTRA generator + discriminator on a corpus (or from scratch)",
        description="Replaced-token-detection pretraining; writes discriminator/, generator/, pretrain_report.html "
        "and metrics.jsonl into a new timestamped folder under --output-dir.",
        epilog=_keys_help("pretrain"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pretrain.add_argument("--discriminator", help="hub id or folder: an ELECTRA discriminator or any encoder")
    pretrain.add_argument("--generator", help="hub id or folder of an ELECTRA generator (default: a fresh one)")
    pretrain.add_argument("--from-scratch", metavar="SIZE", help="random init: small, base or an ElectraConfig JSON")
    pretrain.add_argument("--vocab", help="tokenizer folder (default: the discriminator's; needed with --from-scratch)")
    pretrain.add_argument("--corpus", nargs="+", help="text/CSV/JSONL files, folders or glob patterns")
    pretrain.add_argument("--config", help="a YAML config file (same keys as below)")
    pretrain.add_argument("--output-dir", help="parent folder of the run folder (default: runs)")
    pretrain.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint")
    pretrain.add_argument("overrides", nargs="*", help="dotted key=value overrides, e.g. train.max_steps=10000")


def _add_vocab_parser(commands: argparse._SubParsersAction) -> None:
    vocab = commands.add_parser("vocab", help="build a WordPiece vocabulary or extend one with domain words")
    actions = vocab.add_subparsers(dest="vocab_command", required=True)
    build = actions.add_parser("build", help="train a cased, Hangul-safe WordPiece vocabulary on a corpus")
    build.add_argument("--corpus", nargs="+", required=True, help="text/CSV/JSONL files, folders or glob patterns")
    build.add_argument("--size", type=int, default=32000, help="vocabulary size (default 32000)")
    build.add_argument("--output", required=True, help="folder for vocab.txt and the tokenizer files")
    build.add_argument("--unused", type=int, default=100, help="[unusedN] slots kept for domain words (default 100)")
    build.add_argument("--min-frequency", type=int, default=2, help="least count of a word piece (default 2)")
    build.add_argument("--limit-alphabet", type=int, default=10000, help="most distinct characters (default 10000)")
    build.add_argument("--documents", choices=["line", "blank_line"], default="line", help="plain-text documents")
    build.add_argument("--text-column", default="text", help="text column of CSV/JSONL files")
    extend = actions.add_parser("extend", help="write domain words into the [unused] slots of a vocabulary")
    extend.add_argument("--model", required=True, help="hub id or folder whose WordPiece vocabulary is extended")
    extend.add_argument("--words", required=True, help="text file, one domain word per line")
    extend.add_argument("--output", required=True, help="folder for the extended tokenizer")


def _train(args: argparse.Namespace) -> None:
    if args.resume:
        api.resume(args.resume)
        return
    config = api.load_config(
        args.preset,
        args.config,
        model=args.model,
        data_dir=args.data_dir,
        head=args.head,
        output_dir=args.output_dir,
        overrides=args.overrides,
    )
    api.fit(config, run_name=args.preset or Path(args.config or "run").stem)


def _compare(args: argparse.Namespace) -> None:
    result = api.compare(
        args.preset,
        args.config,
        model=args.model,
        data_dir=args.data_dir,
        heads=[head.strip() for head in args.heads.split(",")] if args.heads else None,
        seeds=args.seeds,
        epochs=args.epochs,
        output_dir=args.output_dir,
        name=args.name,
        sweeps=args.sweeps,
        test_per_epoch=args.test_per_epoch,
    )
    summary, metric = result.summary, result.summary["metric"]
    table = Table(title=f"{result.folder}: mean ± std over seeds {summary['seeds']}")
    for column in ("configuration", "runs", f"dev {metric}", f"test {metric} (not used to choose)"):
        table.add_column(column)
    for row in summary["configurations"]:
        cells = [_mean_std(row[split].get(metric)) for split in ("dev", "test")]
        best = " (best)" if row["label"] == result.best else ""
        table.add_row(row["label"] + best, f"{row['finished']}/{row['finished'] + len(row['failed'])}", *cells)
    _console.print(table)
    out = {"folder": str(result.folder), "best": result.best, "report": str(result.html_path)}
    print(json.dumps(out, ensure_ascii=False))


def _search(args: argparse.Namespace) -> None:
    result = api.search(
        args.preset, args.config, model=args.model, data_dir=args.data_dir, trials=args.trials, space=args.space,
        output_dir=args.output_dir, name=args.name, overrides=args.overrides,
    )  # fmt: skip
    study, metric = result.summary["search"], result.summary["metric"]
    table = Table(title=f"{result.folder}: {study['sampler']}, {study['direction']} dev {metric}")
    for column in ("trial", "state", f"dev {metric} (best epoch)", "parameters"):
        table.add_column(column)
    for trial in study["trials"]:
        objective = "-" if trial["objective"] is None else f"{trial['objective']:.4f}"
        best = " (best)" if trial["number"] == study["best_trial"] else ""
        params = " ".join(f"{key}={value}" for key, value in trial["params"].items())
        table.add_row(f"{trial['number']}{best}", trial["state"], objective, params)
    _console.print(table)
    out = {"folder": str(result.folder), "best_params": result.best_params, "report": str(result.html_path)}
    print(json.dumps(out, ensure_ascii=False))


def _mean_std(stats: dict | None) -> str:
    if not stats:
        return "-"
    return f"{stats['mean']:.4f}" + (f" ± {stats['std']:.4f}" if stats["std"] is not None else "")


def _check(args: argparse.Namespace) -> None:
    config = api.load_config(
        args.preset, args.config, model=args.model, data_dir=args.data_dir, output_dir=args.output_dir,
        overrides=args.overrides,
    )  # fmt: skip
    name = args.preset or Path(args.config or "data").stem
    api.check(config, tokenizer=args.model is not None, run_name=f"check-{name}")


def _evaluate(args: argparse.Namespace) -> None:
    metrics = api.evaluate(
        args.model,
        args.data,
        fmt=args.format,
        text_column=args.text_column,
        label_column=args.label_column,
        batch_size=args.batch_size,
        precision=args.precision,
        compile=args.compile,
        output=args.output,
    )
    keys = [key for key in _HEADLINE if key in metrics]
    table = Table(title=f"{args.data} ({metrics['rows']} rows)")
    for key in keys:
        table.add_column(key, justify="right")
    table.add_row(*(f"{metrics[key]:.4f}" for key in keys))
    _console.print(table)
    if metrics.get("collapsed"):
        _console.print(f"[bold red]{Path(args.data).name}: the model's predictions collapsed[/bold red]")
    print(json.dumps({key: metrics[key] for key in [*keys, "rows"]}, ensure_ascii=False))


def _predict(args: argparse.Namespace) -> None:
    api.predict_file(
        args.model,
        args.input,
        args.output,
        text_column=args.text_column,
        batch_size=args.batch_size,
        precision=args.precision,
        compile=args.compile,
        units=args.units,
        force=args.force,
    )


def _export(args: argparse.Namespace) -> None:
    result = api.export_model(
        args.model, fmt=args.format, quantize=args.quantize, output=args.output, check_texts=args.check_texts
    )
    _console.print(result.describe())
    print(json.dumps({"folder": str(result.folder), "parity": result.record["parity"]}, ensure_ascii=False))


def _serve(args: argparse.Namespace) -> None:
    api.serve(
        args.model,
        host=args.host,
        port=args.port,
        precision=args.precision,
        max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms,
        max_texts=args.max_texts,
        max_chars=args.max_chars,
        max_body_bytes=args.max_body_bytes,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )


def _pretrain(args: argparse.Namespace) -> None:
    if args.resume:
        api.resume(args.resume)
        return
    # `--corpus a.txt train.max_steps=10`: nargs="+" also swallows the overrides that follow it.
    corpus = [path for path in args.corpus or [] if not _OVERRIDE.match(path)]
    overrides = [path for path in args.corpus or [] if _OVERRIDE.match(path)] + list(args.overrides)
    config = api.load_pretrain_config(
        args.config,
        discriminator=args.discriminator,
        generator=args.generator,
        from_scratch=args.from_scratch,
        vocab=args.vocab,
        corpus=corpus,
        output_dir=args.output_dir,
        overrides=overrides,
    )
    api.pretrain(config)


def _vocab(args: argparse.Namespace) -> None:
    if args.vocab_command == "build":
        result = api.build_vocab(
            args.corpus,
            args.output,
            size=args.size,
            min_frequency=args.min_frequency,
            limit_alphabet=args.limit_alphabet,
            unused_slots=args.unused,
            documents=args.documents,
            text_column=args.text_column,
        )
        print(result.describe())
        return
    extensions = api.extend_vocab(args.model, Path(args.words), args.output)
    table = Table(title=f"{len(extensions)} domain words written into [unused] slots")
    for name in ("word", "slot", "id", "before", "after"):
        table.add_column(name)
    for ext in extensions:
        table.add_row(ext.word, ext.slot, str(ext.token_id), " ".join(ext.before), " ".join(ext.after))
    _console.print(table)
    print(f"extended tokenizer: {args.output}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``electralab`` console script."""
    args = _build_parser().parse_args(argv)
    try:
        commands = {
            "train": _train,
            "compare": _compare,
            "search": _search,
            "check": _check,
            "evaluate": _evaluate,
            "predict": _predict,
            "export": _export,
            "serve": _serve,
            "pretrain": _pretrain,
            "vocab": _vocab,
        }
        commands[args.command](args)
    except ElectralabError as err:
        print(f"electralab: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
