"""ONNX export of a trained classifier: parity with PyTorch and prediction speed, side by side in one process.

Exports the model folder twice (fp32 and int8) with ``electralab export``'s built-in parity check run on the
benchmark texts (the first ``--texts`` documents of NSMC test by default): max |logit difference| of the fp32
graph vs PyTorch fp32 (must be <= 1e-4) and the int8 graph's agreement with PyTorch's predictions. Then times
``Predictor.predict`` on the same texts for ONNX Runtime fp32, ONNX Runtime int8, our PyTorch fp32 and our
PyTorch bf16 path (autocast; skipped on a CPU without bf16), in interleaved rounds so that a busy machine slows
every method alike. PyTorch and ONNX Runtime get the same number of threads.

Usage: python benchmarks/onnx_parity.py runs/x/model [--texts 1000] [--rounds 4] [--threads 2]
Writes benchmarks/results/onnx_parity.json (or --result NAME).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import SHARED, cpu_description, save_result

from electralab.data.readers import read_split
from electralab.engine.device import cpu_has_bf16
from electralab.export import export_onnx
from electralab.inference.predictor import Predictor


def decision(row: dict):
    return row.get("labels", row.get("label"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a trained classifier folder (runs/x/model)")
    parser.add_argument("--data", default=str(SHARED / "data" / "nsmc" / "ratings_test.txt"), help="NSMC-format file")
    parser.add_argument("--texts", type=int, default=1000, help="the first N texts of --data")
    parser.add_argument("--rounds", type=int, default=4, help="speed: the texts in this many interleaved chunks")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch and ONNX Runtime threads")
    parser.add_argument("--result", default="onnx_parity", help="name of the result file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts = list(read_split("nsmc", args.data)["text"][: args.texts])

    with tempfile.TemporaryDirectory(prefix="onnx-parity-") as scratch:
        exports = {}
        for name, quantize in (("onnx_fp32", None), ("onnx_int8", "int8")):
            started = time.perf_counter()
            result = export_onnx(args.model, Path(scratch) / name, quantize=quantize, check_texts=texts)
            exports[name] = {"seconds": round(time.perf_counter() - started, 1), "parity": result.record["parity"]}
            print(result.describe())
        predictors = {
            "onnx_fp32": Predictor.from_folder(Path(scratch) / "onnx_fp32"),
            "onnx_int8": Predictor.from_folder(Path(scratch) / "onnx_int8"),
            "torch_fp32": Predictor.from_folder(args.model),
        }
        if cpu_has_bf16():
            predictors["torch_bf16"] = Predictor.from_folder(args.model, precision="bf16")
        for predictor in predictors.values():  # warm-up
            predictor.predict(texts[:64], batch_size=args.batch_size)
        seconds = dict.fromkeys(predictors, 0.0)
        found: dict[str, list] = {name: [] for name in predictors}
        chunk = -(-len(texts) // args.rounds)
        for start in range(0, len(texts), chunk):  # interleaved, so that a busy machine slows every method alike
            for name, predictor in predictors.items():
                began = time.perf_counter()
                found[name] += predictor.predict(texts[start : start + chunk], batch_size=args.batch_size)
                seconds[name] += time.perf_counter() - began
        reference = [decision(row) for row in found["torch_fp32"]]
        agreement = {
            name: round(100.0 * float(np.mean([decision(r) == ref for r, ref in zip(rows, reference, strict=True)])), 2)
            for name, rows in found.items()
        }

    rate = {name: round(len(texts) / s, 1) for name, s in seconds.items()}
    result = {
        "cpu": cpu_description(),
        "threads": args.threads,
        "model": args.model,
        "data": args.data,
        "texts": len(texts),
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "fp32_max_abs_logit_diff": exports["onnx_fp32"]["parity"]["fp32"]["max_abs_logit_diff"],
        "int8_agreement_with_torch_fp32": exports["onnx_int8"]["parity"]["int8"]["prediction_agreement"],
        "texts_per_second": rate,
        "agreement_with_torch_fp32_percent": agreement,
        "exports": exports,
        "bf16": "measured" if "torch_bf16" in predictors else "skipped: this CPU has no bf16 support",
    }
    for name in predictors:
        print(f"{name:>11}: {rate[name]:8.1f} texts/s, same label as PyTorch fp32 on {agreement[name]:.2f}%")
    print(f"wrote {save_result(args.result, result)}")


if __name__ == "__main__":
    main()
