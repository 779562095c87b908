"""Command line: ``electralab train | evaluate | predict``. Parsing only; the work is in the recipes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import config as config_module
from .errors import ElectralabError

_OVERRIDES_HELP = "dotted key=value overrides, applied last, e.g. train.epochs=2 model.dropout=0.2"


def _config_keys_help() -> str:
    lines = ["config keys (YAML sections, or dotted key=value overrides):"]
    for section, cls in (
        ("data", config_module.DataConfig),
        ("model", config_module.ModelConfig),
        ("train", config_module.TrainConfig),
    ):
        for key, doc in config_module.field_help(cls).items():
            lines.append(f"  {section}.{key}: {doc}")
    lines.append(f"presets: {', '.join(config_module.preset_names())}")
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
        epilog=_config_keys_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--preset", help="a shipped preset: " + ", ".join(config_module.preset_names()))
    train.add_argument("--config", help="a YAML config file (same keys as below); applied after --preset")
    train.add_argument("--data-dir", help="folder holding the preset's data files (data.data_dir)")
    train.add_argument("--model", help="hub id or local folder of the encoder (model.name_or_path)")
    train.add_argument("--head", help="head on the encoder: cls, mean, max, attention, lstm, gru, cnn")
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

    predict = commands.add_parser("predict", help="label texts with a saved model (JSON lines out)")
    predict.add_argument("--model", required=True, help="a model folder written by `electralab train`")
    predict.add_argument("--input", help="texts: .txt (one per line) or .csv/.tsv/.jsonl; default: stdin")
    predict.add_argument("--output", help="JSON lines file; default: stdout")
    predict.add_argument("--text-column", default="text", help="text column for .csv/.tsv/.jsonl input")
    predict.add_argument("--batch-size", type=int, default=64)
    return parser


def _train(args: argparse.Namespace) -> None:
    from .training.recipe import run_training

    if args.resume:
        run_training(None, resume_dir=Path(args.resume))  # type: ignore[arg-type]
        return
    sections = {
        "data": {"data_dir": args.data_dir} if args.data_dir else {},
        "model": {k: v for k, v in (("name_or_path", args.model), ("head", args.head)) if v},
    }
    if args.output_dir:
        sections["output_dir"] = args.output_dir
    config = config_module.build_config(args.preset, args.config, args.overrides, **sections)
    run_training(config, run_name=args.preset or Path(args.config or "run").stem)


def _evaluate(args: argparse.Namespace) -> None:
    from .inference.evaluate import evaluate_file

    evaluate_file(
        args.model,
        args.data,
        fmt=args.format,
        text_column=args.text_column,
        label_column=args.label_column,
        output=args.output,
        batch_size=args.batch_size,
    )


def _predict(args: argparse.Namespace) -> None:
    from .inference.evaluate import predict_file

    predict_file(args.model, args.input, args.output, text_column=args.text_column, batch_size=args.batch_size)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``electralab`` console script."""
    args = _build_parser().parse_args(argv)
    try:
        {"train": _train, "evaluate": _evaluate, "predict": _predict}[args.command](args)
    except ElectralabError as err:
        print(f"electralab: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
