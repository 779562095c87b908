"""Export a trained model folder to ONNX (fp32 or int8) and prove the export computes what the model computes.

The graph comes from ``torch.onnx.export(dynamo=True)`` (``torch.export`` + onnxscript) with dynamic batch and
sequence axes: the TorchScript exporter traces these encoders' padding masks as constants (logit differences
of 0.005-0.07 on a tiny ELECTRA), the dynamo exporter matches PyTorch to about 1e-7. The folder keeps the
source's config (task, labels, thresholds, max length, windows), tokenizer and run config, so ``predict``,
``evaluate`` and ``serve`` load it like the PyTorch folder and run it through ONNX Runtime.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig

from ..errors import ConfigError, ExportError, ModelLoadError
from ..files import write_json
from ..inference.onnx_backend import CRF_FILE, ONNX_FILE, RECORD_FILE, is_onnx_folder
from ..inference.predictor import Predictor
from .parity import FP32_TOLERANCE, compare, read_check_texts

EXPORT_FORMATS = ("onnx",)
"""Formats ``electralab export`` writes."""
QUANTIZATIONS = ("int8",)
"""Quantisations of an ONNX export (dynamic int8: ``onnxruntime.quantization.quantize_dynamic``)."""
OPSET = 18
"""The ONNX opset of exported graphs."""
UNEXPORTABLE_HEADS = ("lstm", "gru")
"""Heads whose packed recurrent layers ``torch.export`` cannot trace."""
_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class ExportResult:
    """Where an export was written and what its parity check measured (the content of ``export.json``)."""

    folder: Path
    record: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """A few lines for the console: folder, format, and the parity of each precision."""
        lines = [f"exported {self.record['source']} -> {self.folder} (onnx, opset {self.record['opset']})"]
        for name, parity in self.record["parity"].items():
            lines.append(
                f"  {name}: max |logit diff| vs PyTorch fp32 {parity['max_abs_logit_diff']:.2e}, "
                f"same prediction on {parity['prediction_agreement']:.1f}% of {parity['texts']} texts"
            )
        return "\n".join(lines)


class _Logits(torch.nn.Module):
    """The model's forward on token tensors, returning the logits only (what the graph computes)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).logits


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence the exporter's and quantiser's progress prints, warnings and log lines (torchvision, pre-processing)."""
    loggers = [logging.getLogger(), logging.getLogger("torch.onnx")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def output_folder(model_dir: Path, output: str | Path | None, quantize: str | None) -> Path:
    """The export's folder: ``output``, else ``<model_dir>-onnx`` (``-onnx-int8``) beside the model folder."""
    if output is not None:
        return Path(output)
    return model_dir.parent / f"{model_dir.name}-onnx{'-' + quantize if quantize else ''}"


def _check_request(model_dir: Path, fmt: str, quantize: str | None, target: Path) -> None:
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format {fmt}: expected one of {', '.join(EXPORT_FORMATS)}")
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ConfigError(f"--quantize {quantize}: expected one of {', '.join(QUANTIZATIONS)} (or leave it out)")
    if not (model_dir / "config.json").is_file():
        raise ModelLoadError(
            f"{model_dir} is not a model folder (no config.json); pass the run's model/ folder, e.g. runs/x/model"
        )
    if is_onnx_folder(model_dir):
        raise ModelLoadError(f"{model_dir} is already an ONNX export; export the PyTorch model folder it came from")
    if target.exists():
        raise ConfigError(f"{target} already exists; remove it or pass another --output folder")


def _copy_folder_files(source: Path, target: Path) -> None:
    """Config, tokenizer and run config: every file of the model folder except its PyTorch weights."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and not path.name.endswith(_WEIGHTS):
            shutil.copy2(path, target / path.name)


def _export_graph(model: torch.nn.Module, tokenizer: Any, path: Path) -> list[str]:
    """Write the logits graph with dynamic batch and sequence axes; returns its input names."""
    names = [name for name in _INPUTS if name in tokenizer.model_input_names]
    sample = tokenizer(
        ["a sample text for tracing the graph with a few words", "짧은 문장"], padding=True, return_tensors="pt"
    )
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    crf, model.crf = getattr(model, "crf", None), None  # a CRF's Viterbi loop runs in PyTorch on the emissions
    try:
        with _quiet():
            torch.onnx.export(
                _Logits(model).eval(),
                tuple(sample[name] for name in names),
                str(path),
                input_names=names,
                output_names=["logits"],
                opset_version=OPSET,
                dynamo=True,
                external_data=False,
                dynamic_shapes={name: {0: batch, 1: sequence} for name in names},
            )
    except Exception as err:  # torch.export raises many types; the user needs the first line and the model
        raise ExportError(
            f"ONNX export failed ({type(err).__name__}: {str(err).strip().splitlines()[0][:200]}); "
            "the model's layers could not be traced with dynamic batch and sequence axes"
        ) from None
    finally:
        if crf is not None:
            model.crf = crf
    if crf is not None:
        from safetensors.torch import save_file

        save_file({key: value.contiguous() for key, value in crf.state_dict().items()}, str(path.parent / CRF_FILE))
    return names


def _quantize(folder: Path) -> None:
    """Replace the folder's graph by its dynamic int8 quantisation (weights int8, activations quantised per batch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantized = folder / "model.int8.onnx"
    with _quiet():
        quantize_dynamic(folder / ONNX_FILE, quantized, weight_type=QuantType.QInt8)
    quantized.replace(folder / ONNX_FILE)


def _versions() -> dict[str, str | None]:
    found = {}
    for package in ("electralab", "torch", "transformers", "onnx", "onnxruntime", "onnxscript"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def export_onnx(
    model_dir: str | Path,
    output: str | Path | None = None,
    fmt: str = "onnx",
    quantize: str | None = None,
    check_texts: str | Path | Sequence[str] | None = None,
) -> ExportResult:
    """Export a model folder to ONNX and check it against the PyTorch model on ``check_texts``.

    The fp32 graph must match the PyTorch fp32 logits within :data:`FP32_TOLERANCE`, or nothing is written.
    With ``quantize="int8"`` the int8 graph's logit difference and prediction agreement are reported.

    Raises:
        ConfigError: On an unknown format or quantisation, or an output folder that already exists.
        ModelLoadError: If ``model_dir`` is not a (PyTorch) model folder.
        ExportError: If the model cannot be traced, or the fp32 graph does not match it.
    """
    model_dir = Path(model_dir)
    target = output_folder(model_dir, output, quantize)
    _check_request(model_dir, fmt, quantize, target)
    texts = read_check_texts(check_texts)
    head = getattr(AutoConfig.from_pretrained(model_dir), "head", None)
    if head in UNEXPORTABLE_HEADS:
        raise ExportError(
            f"{model_dir}: the {head} head (packed recurrent layers) does not export to ONNX; "
            f"train with another head (cls, mean, max, attention, cnn) to export"
        )
    reference = Predictor.from_folder(model_dir)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    _copy_folder_files(model_dir, partial)
    record: dict[str, Any] = {
        "format": fmt,
        "opset": OPSET,
        "exporter": "torch.onnx.export(dynamo=True)",
        "quantized": None,
        "source": str(model_dir),
        "inputs": _export_graph(reference.model, reference.tokenizer, partial / ONNX_FILE),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "parity": {},
    }
    try:
        write_json(partial / RECORD_FILE, record)
        fp32 = compare(reference, Predictor.from_folder(partial), texts)
        record["parity"]["fp32"] = fp32
        if fp32["max_abs_logit_diff"] > FP32_TOLERANCE:
            raise ExportError(
                f"{model_dir}: the ONNX graph's logits differ from PyTorch's by up to {fp32['max_abs_logit_diff']:.2e} "
                f"(> {FP32_TOLERANCE:g}) on {fp32['texts']} texts; nothing was written. Report this with the model's "
                "config.json"
            )
        if quantize == "int8":
            _quantize(partial)
            record["quantized"] = "int8"
            write_json(partial / RECORD_FILE, record)
            record["parity"]["int8"] = compare(reference, Predictor.from_folder(partial), texts)
        write_json(partial / RECORD_FILE, record)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(target)
    return ExportResult(folder=target, record=record)
