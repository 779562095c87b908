"""Load test of `electralab serve`: micro-batched server vs a naive one-request-one-forward FastAPI endpoint.

Each server runs alone in its own process on a loopback port, with the same model, the same Predictor and the
same uvicorn settings (electralab's run_server: log level warning, no access log); they differ only in how
requests reach the model:
  batched  electralab's app (el.create_app): texts of concurrent requests queue and run together
           (--max-batch, --max-wait-ms) in one model thread
  naive    a plain FastAPI endpoint: each request calls predictor.predict([text]) itself, one at a time
           (a lock: PyTorch and the tokenizer are not made for concurrent calls), same JSON response
The load: --requests requests (one NSMC test text each, in file order) from --clients concurrent clients
(asyncio + httpx.AsyncClient, each sending its next request when the last is answered), after a warm-up of
--warmup requests. An error is a failed request, a non-200 answer, or an answer for another text.
Reported per server: errors, latency p50/p90/p99 (ms), requests/s; the batched/naive ratios; how many texts
the batched server ran per prediction call; the share of texts both servers labelled alike; the machine.

Usage: python benchmarks/serve_load.py --model runs/x/model [--requests 2000] [--clients 16] [--threads N]
Tiny check: python benchmarks/serve_load.py --model <toy model> --requests 100 --name serve_load_tiny
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
from common import ROOT, SHARED, cpu_description, save_result
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from electralab.serving.schema import PredictRequest

NSMC_TEST = SHARED / "data" / "nsmc" / "ratings_test.txt"
KINDS = ("batched", "naive")


def nsmc_texts(limit: int) -> list[str]:
    """The first ``limit`` non-empty documents of NSMC test, in file order."""
    texts = []
    with NSMC_TEST.open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            document = line.rstrip("\n").split("\t")[1]
            if document.strip():
                texts.append(document)
            if len(texts) == limit:
                break
    return texts


def naive_app(predictor) -> FastAPI:
    """One request, one ``predictor.predict`` call: the endpoint people write first."""
    app = FastAPI(title="naive")
    lock = threading.Lock()

    @app.post("/v1/predict")
    def predict(request: PredictRequest) -> JSONResponse:  # a plain def: FastAPI runs it in its thread pool
        with lock:
            return JSONResponse({"predictions": predictor.predict(request.all_texts())})

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


def run_one_server(args: argparse.Namespace) -> None:
    """The --serve mode: run one server (this script started in a subprocess) until SIGTERM."""
    import torch

    import electralab as el
    from electralab.serving.server import run_server
    from electralab.serving.settings import ServeSettings

    if args.threads:
        torch.set_num_threads(args.threads)
    settings = ServeSettings(
        port=args.port, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, log_level="warning", access_log=False
    )
    predictor = el.load_model(args.model, precision=args.precision)
    if args.serve == "batched":
        app = el.create_app(predictor, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms)
    else:
        app = naive_app(predictor)
    run_server(app, settings)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(kind: str, args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    """Start a server process and wait until it answers /healthz."""
    port = _free_port()
    command = [
        sys.executable, __file__, "--serve", kind, "--port", str(port), "--model", args.model,
        "--precision", args.precision, "--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms),
        "--threads", str(args.threads),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the {kind} server did not start (exit code {process.poll()})")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)


async def fire(url: str, texts: list[str], clients: int) -> dict:
    """Send one request per text from ``clients`` concurrent clients; latencies, errors, labels and wall time."""
    latencies: list[float] = []
    labels: list[object] = [None] * len(texts)
    errors: list[str] = []
    next_index = iter(range(len(texts)))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        for index in next_index:  # one shared iterator: each index is taken once
            started = time.perf_counter()
            try:
                answer = await http.post("/v1/predict", json={"text": texts[index]})
                prediction = answer.json()["predictions"][0] if answer.status_code == 200 else None
            except (httpx.HTTPError, ValueError, KeyError, IndexError) as error:
                errors.append(f"{index}: {type(error).__name__}: {error}")
                continue
            latencies.append(time.perf_counter() - started)
            if prediction is None:
                errors.append(f"{index}: HTTP {answer.status_code}: {answer.text[:200]}")
            elif prediction.get("text") != texts[index]:
                errors.append(f"{index}: the answer is for another text")
            else:
                labels[index] = prediction.get("label", prediction.get("labels"))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        seconds = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "labels": labels, "seconds": seconds}


def measure(kind: str, texts: list[str], args: argparse.Namespace) -> dict:
    """Start a server, warm it up, fire the load, stop it (SIGTERM): its numbers."""
    process, url = start_server(kind, args)
    try:
        asyncio.run(fire(url, texts[: args.warmup], args.clients))
        before = httpx.get(f"{url}/healthz").json().get("batching")
        run = asyncio.run(fire(url, texts, args.clients))
        after = httpx.get(f"{url}/healthz").json().get("batching")
        model = httpx.get(f"{url}/v1/model").json() if kind == "batched" else None
    finally:
        process.terminate()
        process.wait(timeout=60)
    latencies = np.array(run["latencies"]) * 1000
    result = {
        "requests": len(texts),
        "errors": len(run["errors"]),
        "error_examples": run["errors"][:5],
        "seconds": round(run["seconds"], 2),
        "requests_per_second": round(len(texts) / run["seconds"], 1),
        "latency_ms": {f"p{q}": round(float(np.percentile(latencies, q)), 1) for q in (50, 90, 99)}
        if len(latencies)
        else None,
        "labels": run["labels"],
    }
    if before and after:  # the batched server counts its prediction calls
        calls, done = after["batches"] - before["batches"], after["texts"] - before["texts"]
        result["batching"] = {"prediction_calls": calls, "mean_batch": round(done / max(calls, 1), 2),
                              "largest_batch": after["largest_batch"]}  # fmt: skip
    if model:
        result["model"] = {key: model[key] for key in ("model", "task", "labels", "max_length", "precision")}
    return result


def machine(threads: int) -> dict:
    """The CPU (model and flags), its threads, and the software versions."""
    import fastapi
    import torch
    import uvicorn

    return {
        "cpu": cpu_description(),
        "cpu_threads": os.cpu_count(),
        "torch_threads": threads or torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "httpx": httpx.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a model folder written by `electralab train`")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=64)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--threads", type=int, default=0, help="torch threads in each server (0: torch's default)")
    parser.add_argument("--name", default="serve_load", help="result file: benchmarks/results/<name>.json")
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)  # internal: run one server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_one_server(args)
        return
    texts = nsmc_texts(args.requests)
    results = {kind: measure(kind, texts, args) for kind in KINDS}
    batched, naive = results["batched"], results["naive"]
    same = [a == b for a, b in zip(batched.pop("labels"), naive.pop("labels"), strict=True) if None not in (a, b)]
    result = {
        "machine": machine(args.threads),
        "settings": {
            **{key: getattr(args, key) for key in ("requests", "clients", "warmup", "max_batch", "max_wait_ms")},
            "precision": args.precision,
            "texts": f"NSMC test, first {len(texts)} non-empty documents",
        },
        "batched": batched,
        "naive": naive,
        "throughput_ratio": round(batched["requests_per_second"] / naive["requests_per_second"], 2),
        "p50_latency_ratio": round(naive["latency_ms"]["p50"] / batched["latency_ms"]["p50"], 2)
        if batched["latency_ms"] and naive["latency_ms"]
        else None,
        "same_labels": round(sum(same) / max(len(same), 1), 4),
    }
    path = save_result(args.name, result)
    print(f"batched {batched['requests_per_second']} req/s, naive {naive['requests_per_second']} req/s "
          f"(x{result['throughput_ratio']}); errors {batched['errors']} / {naive['errors']}; wrote {path}")  # fmt: skip


if __name__ == "__main__":
    main()
