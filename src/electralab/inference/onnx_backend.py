"""An exported model folder (``model.onnx``) run by ONNX Runtime behind the same calls as a PyTorch model.

:class:`OnnxModel` is what the predictor's shared code needs of a model: ``config`` (the task, labels,
thresholds, windows), a device (through ``parameters()``) and a call on the batch tensors that returns
``.logits`` (and, for a CRF tagger, ``.decoded``). So labels, multi-label thresholds, windows for long texts
and NER entity decoding are the same code for both kinds of folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError, ModelLoadError
from ..models.crf import CRF, gather_left, scatter_back

ONNX_FILE = "model.onnx"
"""The graph of an exported model folder."""
RECORD_FILE = "export.json"
"""How the folder was exported: format, opset, quantisation, parity, versions."""
CRF_FILE = "crf.safetensors"
"""A CRF tagger's transition scores: Viterbi decoding runs in PyTorch on the graph's emissions."""


def is_onnx_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds an exported ONNX model."""
    return (Path(folder) / ONNX_FILE).is_file()


def read_record(folder: str | Path) -> dict[str, Any]:
    """The export record of an ONNX folder (empty if it has none)."""
    path = Path(folder) / RECORD_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@dataclass
class OnnxOutput:
    """Logits (B, num_labels) or (B, T, num_labels) and, for a CRF tagger, the Viterbi tags (B, T; -100 elsewhere)."""

    logits: torch.Tensor
    decoded: torch.Tensor | None = None


class OnnxModel:
    """An ONNX Runtime session called like the PyTorch model it was exported from (CPU, no gradients).

    Args:
        folder: An exported folder (``model.onnx``, ``config.json``, the tokenizer files).
        config: The model's Hugging Face config (from the folder's ``config.json``).
        precision: The predictor's precision: ``fp32`` runs the graph as exported (fp32 or int8); ``int8``
            needs a graph exported with ``--quantize int8``; ``bf16`` is refused.
        compile: Refused: ``torch.compile`` applies to PyTorch folders only.
        threads: ONNX Runtime's intra-op threads (default: PyTorch's thread count).

    Raises:
        ConfigError: On ``bf16``, ``compile`` or ``int8`` on an fp32 export.
        ModelLoadError: If ONNX Runtime is missing or cannot load the graph.
    """

    def __init__(
        self, folder: Path, config: Any, precision: str = "fp32", compile: bool = False, threads: int | None = None
    ) -> None:
        record = read_record(folder)
        quantized = record.get("quantized")
        if compile:
            raise ConfigError(
                f"--compile: {folder} is an ONNX export run by ONNX Runtime; torch.compile applies to PyTorch model "
                "folders only (drop --compile)"
            )
        if precision == "bf16":
            raise ConfigError(
                f"precision=bf16: {folder} is an ONNX export ({quantized or 'fp32'}); run it with fp32, or use the "
                "PyTorch model folder for bf16"
            )
        if precision == "int8" and quantized != "int8":
            raise ConfigError(
                f"precision=int8: {folder} holds an fp32 ONNX graph; export with --quantize int8 for an int8 graph"
            )
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelLoadError(
                f"{folder} is an ONNX export and needs ONNX Runtime: pip install 'electralab[onnx]'"
            ) from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types for unreadable graphs
            raise ModelLoadError(
                f"{folder / ONNX_FILE} could not be loaded by ONNX Runtime ({str(err).splitlines()[0][:160]}); "
                "export the model again with `electralab export`"
            ) from None
        self.config = config
        self.folder = folder
        self.precision = "int8" if quantized == "int8" else "fp32"
        self.input_names = [node.name for node in self.session.get_inputs()]
        self.crf = self._load_crf(folder) if getattr(config, "crf", False) else None
        self._device = torch.empty(0)

    def _load_crf(self, folder: Path) -> CRF:
        from safetensors.torch import load_file

        if not (folder / CRF_FILE).is_file():
            raise ModelLoadError(f"{folder} is a CRF tagger's ONNX export without {CRF_FILE}; export it again")
        crf = CRF([self.config.id2label[i] for i in range(self.config.num_labels)])
        crf.load_state_dict(load_file(str(folder / CRF_FILE)))
        return crf.eval()

    def eval(self) -> OnnxModel:
        """Nothing to switch: a graph always runs in inference mode."""
        return self

    def parameters(self) -> Iterator[torch.Tensor]:
        """One empty CPU tensor: where the shared batching code puts the batches."""
        yield self._device

    def __call__(self, **batch: torch.Tensor) -> OnnxOutput:
        """Run the graph on the batch tensors it takes (extra keys such as ``first_token_mask`` feed the CRF)."""
        reference = batch["input_ids"]
        feed = {}
        for name in self.input_names:
            value = batch.get(name)
            feed[name] = (value if value is not None else torch.zeros_like(reference)).cpu().numpy().astype(np.int64)
        logits = torch.from_numpy(self.session.run(None, feed)[0])
        decoded = None
        if self.crf is not None:
            attention = batch["attention_mask"].bool()
            mask = batch.get("first_token_mask")
            mask = (mask.bool() if mask is not None else attention) & attention
            emissions, lengths = gather_left(logits.float(), mask)
            decoded = scatter_back(self.crf.decode(emissions, lengths), mask)
        return OnnxOutput(logits=logits, decoded=decoded)
