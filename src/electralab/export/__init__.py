"""Exports of trained model folders for other runtimes (ONNX), each checked against the PyTorch model."""

from .onnx import EXPORT_FORMATS, QUANTIZATIONS, ExportResult, export_onnx

__all__ = ["EXPORT_FORMATS", "QUANTIZATIONS", "ExportResult", "export_onnx"]
