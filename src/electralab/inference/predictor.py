"""Batched prediction: length-sorted batches with dynamic padding, results in input order."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, PreTrainedModel, PreTrainedTokenizerBase

from ..config import INFERENCE_PRECISIONS
from ..data.windows import WindowSettings, aggregate_windows, tokenize_windows
from ..errors import ConfigError, ModelLoadError
from ..models.loading import load_tokenizer, prediction_attention, set_attention
from ..training.arguments import cpu_has_bf16


class Predictor:
    """Wraps a classifier and its tokenizer for fast batched inference.

    Args:
        model: A sequence-classification model.
        tokenizer: Its tokenizer.
        max_length: Truncation length in tokens.
        precision: ``fp32``; ``bf16`` (autocast, on CPUs with bf16 support or CUDA; on a CPU with sequences of
            at most 256 tokens this switches the model to eager attention); or ``int8`` (dynamic quantisation
            of the linear layers, CPU only, applied to a copy of the model).
        windows: Cut long texts into overlapping windows and aggregate their logits; default: what the model
            was trained with (``long_documents`` in its config), else truncation.
        compile: Run the model through ``torch.compile`` (dynamic shapes). The first batches pay for the
            compilation (seconds to tens of seconds); it pays off on many thousands of texts.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int = 128,
        precision: str = "fp32",
        windows: WindowSettings | None = None,
        compile: bool = False,
    ) -> None:
        if precision not in INFERENCE_PRECISIONS:
            raise ConfigError(f"precision={precision!r}: expected one of {', '.join(INFERENCE_PRECISIONS)}")
        model = model.eval()
        device = next(model.parameters()).device
        if precision == "int8":
            if device.type != "cpu":
                raise ConfigError("precision=int8 (dynamic quantisation) runs on the CPU only; use bf16 on a GPU")
            with warnings.catch_warnings():  # torch.ao's eager API is deprecated in favour of torchao, still shipped
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(
                    copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
                )
        if precision == "bf16" and device.type == "cpu" and not cpu_has_bf16():
            raise ConfigError("precision=bf16: this CPU has no bf16 support; use fp32 or int8")
        set_attention(model, prediction_attention(precision == "bf16" and device.type == "cpu", max_length))
        self.model = model
        self._forward = torch.compile(model, dynamic=True) if compile else model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.precision = precision
        self.windows = windows or WindowSettings.from_model_config(model.config)
        self.label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]

    @classmethod
    def from_folder(
        cls, folder: str | Path, max_length: int | None = None, precision: str = "fp32", compile: bool = False
    ) -> Predictor:
        """Load a saved electralab (or any sequence-classification) model folder."""
        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise ModelLoadError(
                f"{folder} is not a model folder (no config.json); pass the run's model/ folder, e.g. runs/x/model"
            )
        model = AutoModelForSequenceClassification.from_pretrained(folder)
        tokenizer = load_tokenizer(str(folder))
        if max_length is None:
            max_length = min(int(getattr(model.config, "max_seq_length", 512)), tokenizer.model_max_length)
        return cls(model, tokenizer, max_length, precision, compile=compile)

    def logits(self, texts: Sequence[str], text_pairs: Sequence[str] | None = None, batch_size: int = 64) -> np.ndarray:
        """Logits (N, num_labels) in the order of ``texts``; batches are formed by sorted length."""
        if self.windows is None:
            encoded = self.tokenizer(
                list(texts),
                list(text_pairs) if text_pairs is not None else None,
                truncation=True,
                max_length=self.max_length,
            )
            return self._batched_logits(encoded, batch_size)
        if text_pairs is not None:
            raise ConfigError("this model cuts long texts into windows, which works on single texts, not pairs")
        encoded, doc_ids = tokenize_windows(self.tokenizer, texts, self.max_length, self.windows)
        logits = self._batched_logits(encoded, batch_size)
        return aggregate_windows(logits, doc_ids, len(texts), self.windows.aggregation)

    @torch.inference_mode()
    def _batched_logits(self, encoded: Mapping[str, list], batch_size: int) -> np.ndarray:
        """Logits of every encoded row, run in batches of similar length, padded per batch."""
        order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
        device = next(self.model.parameters()).device
        out = np.zeros((len(order), self.model.config.num_labels), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            features = [{key: encoded[key][i] for key in encoded} for i in index]
            batch = self.tokenizer.pad(features, return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
                logits = self._forward(**batch).logits
            out[index] = logits.float().cpu().numpy()
        return out

    @property
    def multi_label(self) -> bool:
        """Whether the model gives each label its own sigmoid (multi-label) instead of a softmax."""
        return self.model.config.problem_type == "multi_label_classification"

    def thresholds(self) -> np.ndarray:
        """Per-label decision thresholds of a multi-label model (tuned on dev, else the global one)."""
        config = self.model.config
        return np.asarray(config.label_thresholds or [config.threshold] * config.num_labels, dtype=np.float64)

    def predict(
        self, texts: Sequence[str], text_pairs: Sequence[str] | None = None, batch_size: int = 64
    ) -> list[dict[str, Any]]:
        """Label each text, with all ``probabilities``.

        Single-label: the predicted ``label`` and its ``score``. Multi-label: the predicted ``labels``, by
        the per-label thresholds saved in the model (tuned on dev), else the global threshold.
        """
        logits = torch.from_numpy(self.logits(texts, text_pairs, batch_size))
        if self.multi_label:
            return self._predict_multi_label(texts, torch.sigmoid(logits.double()).numpy())
        probabilities = torch.softmax(logits, dim=-1)
        results = []
        for text, row in zip(texts, probabilities.numpy(), strict=True):
            best = int(row.argmax())
            results.append(
                {
                    "text": text,
                    "label": self.label_names[best],
                    "score": round(float(row[best]), 6),
                    "probabilities": {n: round(float(p), 6) for n, p in zip(self.label_names, row, strict=True)},
                }
            )
        return results

    def _predict_multi_label(self, texts: Sequence[str], probabilities: np.ndarray) -> list[dict[str, Any]]:
        chosen = probabilities >= self.thresholds()[None, :]
        return [
            {
                "text": text,
                "labels": [n for n, c in zip(self.label_names, flags, strict=True) if c],
                "probabilities": {n: round(float(p), 6) for n, p in zip(self.label_names, row, strict=True)},
            }
            for text, row, flags in zip(texts, probabilities, chosen, strict=True)
        ]
