"""The HTTP server, run for real on a loopback port and asked by a real HTTP client (httpx)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest
import torch
import uvicorn
from conftest import toy_rows
from transformers import AutoTokenizer

import electralab as el
from electralab.cli import main
from electralab.models import ElectralabConfig, ElectralabForSequenceClassification
from electralab.models.loading import load_encoder
from electralab.serving.app import create_app
from electralab.serving.settings import ServeSettings

SRC = Path(__file__).resolve().parents[1] / "src"
TEXTS = [text for text, _ in toy_rows(24, seed=7)]


def _save_classifier(toy_encoder: Path, folder: Path, **config: object) -> Path:
    """A random-init classifier with a non-trivial head, saved as a model folder."""
    torch.manual_seed(0)
    encoder = load_encoder(str(toy_encoder))
    labels = config.pop("labels")
    model_config = ElectralabConfig(
        encoder=encoder.config.to_dict(), head="mean", id2label=dict(enumerate(labels)), max_seq_length=64, **config
    )
    model = ElectralabForSequenceClassification(model_config, encoder=encoder).eval()
    with torch.no_grad():
        for param in model.head.parameters():
            param.add_(torch.randn_like(param))
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(toy_encoder).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def classifier(toy_encoder, tmp_path_factory) -> Path:
    return _save_classifier(toy_encoder, tmp_path_factory.mktemp("serve") / "model", labels=["neg", "pos"])


@pytest.fixture(scope="module")
def multilabel(toy_encoder, tmp_path_factory) -> Path:
    return _save_classifier(
        toy_encoder, tmp_path_factory.mktemp("serve-multi") / "model", labels=["a", "b", "c"],
        task="multi_label_classification", problem_type="multi_label_classification", label_thresholds=[0.2, 0.5, 0.8],
    )  # fmt: skip


@contextmanager
def running(app, **config: object) -> Iterator[tuple[str, uvicorn.Server]]:
    """Serve ``app`` with uvicorn on a free loopback port in a background thread; stop it on exit."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
    try:
        yield url, server
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _close(served: dict, expected: dict) -> None:
    """A served prediction is the direct one (batching may move the probabilities by float noise)."""
    expected = {k: v for k, v in expected.items() if k != "line"}  # predict numbers its input lines
    assert served.keys() == expected.keys()
    assert {k: v for k, v in served.items() if k != "probabilities" and k != "score"} == {
        k: v for k, v in expected.items() if k != "probabilities" and k != "score"
    }
    assert served["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-5)


def test_answers_equal_predict_and_the_model_is_described(classifier, tmp_path, capsys):
    (tmp_path / "texts.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    assert main(["predict", "--model", str(classifier), "--input", str(tmp_path / "texts.txt")]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(printed) == len(TEXTS)
    with running(el.create_app(classifier)) as (url, _):
        batch = httpx.post(f"{url}/v1/predict", json={"texts": TEXTS})
        one = httpx.post(f"{url}/v1/predict", json={"text": TEXTS[3]})
        with_blank = httpx.post(f"{url}/v1/predict", json={"texts": [TEXTS[0], " ", TEXTS[3]]})
        card = httpx.get(f"{url}/v1/model").json()
        docs, schema = httpx.get(f"{url}/docs"), httpx.get(f"{url}/openapi.json").json()
    assert batch.status_code == 200 and one.status_code == 200
    served = batch.json()["predictions"]
    assert len(served) == len(TEXTS)
    for got, expected in zip(served, printed, strict=True):
        _close(got, expected)
    assert one.json() == {"predictions": [served[3]]}
    first, blank, fourth = with_blank.json()["predictions"]
    assert blank == {"text": " ", "skipped": "empty text"}  # as `predict` gives a blank line, in its place
    _close(first, served[0]), _close(fourth, served[3])
    assert {p["label"] for p in served} == {"neg", "pos"}, "a constant model would prove little"
    assert card["task"] == "sequence_classification" and card["labels"] == ["neg", "pos"]
    assert (card["thresholds"], card["max_length"], card["precision"]) == (None, 64, "fp32")
    assert card["model"] == str(classifier) and card["electralab_version"] == el.__version__
    assert card["limits"] == {"max_texts": 256, "max_chars": 20000, "max_body_bytes": 2000000}
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert {"/v1/predict", "/v1/model", "/healthz"} <= set(schema["paths"])


def test_multilabel_answers_label_sets_by_the_saved_thresholds(multilabel):
    expected = el.predict(multilabel, TEXTS)
    with running(el.create_app(multilabel)) as (url, _):
        served = httpx.post(f"{url}/v1/predict", json={"texts": TEXTS}).json()["predictions"]
        card = httpx.get(f"{url}/v1/model").json()
    assert card["task"] == "multi_label_classification"
    assert card["labels"] == ["a", "b", "c"] and card["thresholds"] == [0.2, 0.5, 0.8]
    for got, want in zip(served, expected, strict=True):
        _close(got, want)
        assert got["labels"] == [n for n, t in zip("abc", [0.2, 0.5, 0.8], strict=True) if got["probabilities"][n] >= t]
    assert len({tuple(p["labels"]) for p in served}) > 1, "label sets differ between texts"


def test_bad_requests_are_refused_with_a_4xx_and_a_message(classifier):
    app = el.create_app(classifier, max_texts=4, max_chars=50, max_body_bytes=2000)
    post = {"headers": {"content-type": "application/json"}}
    cases = [  # (body, status, words the message must contain)
        (b'{"text": "good",', 400, ["not valid JSON"]),
        (b"", 422, ["body is empty"]),
        (b"[1, 2]", 422, ["not a JSON object"]),
        (b'{"texts": ["good", 3]}', 422, ["texts[1]", "valid string"]),
        (b'{"texts": "good"}', 422, ["texts", "valid list"]),
        (b'{"text": 5}', 422, ["text", "valid string"]),
        (b'{"texts": []}', 422, ["empty"]),
        (b'{"txt": "good"}', 422, ["txt", "unknown field"]),
        (b'{"text": "a", "texts": ["b"]}', 422, ["not both"]),
        (json.dumps({"texts": ["w1"] * 5}).encode(), 422, ["5 texts", "at most 4"]),
        (json.dumps({"texts": ["w1", "x" * 51]}).encode(), 422, ["texts[1]", "51 characters", "at most 50"]),
        (json.dumps({"text": "x" * 60}).encode(), 422, ["text: 60 characters", "at most 50"]),
        (b'{"texts": ["w1", "a\\ud800"]}', 422, ["texts[1]", "character 1", "unpaired surrogate"]),
        (json.dumps({"text": "x" * 1990}).encode(), 413, ["2,000 bytes", "max_body_bytes"]),
    ]
    with running(app) as (url, _):
        for body, status, words in cases:
            answer = httpx.post(f"{url}/v1/predict", content=body, **post)
            assert answer.status_code == status, (body[:40], answer.text)
            detail = answer.json()["detail"]
            assert "\n" not in detail and all(word in detail for word in words), (body[:40], detail)
        chunks = (b'{"text": "' + b"x" * 1000, b"x" * 1000, b'"}')  # no Content-Length: the bytes read count
        chunked = httpx.post(f"{url}/v1/predict", content=iter(chunks), **post)
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 413 and "max_body_bytes" in chunked.json()["detail"]
        assert httpx.post(f"{url}/v1/predict", json={"text": "good w1"}).status_code == 200, "still serving"
        stats = httpx.get(f"{url}/healthz").json()["batching"]
    assert stats["failed_batches"] == 0 and stats["texts"] == 1


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(classifier):
    texts = [text for text, _ in toy_rows(64, seed=11)]
    expected = el.predict(classifier, texts)
    with running(el.create_app(classifier, max_batch=32, max_wait_ms=40)) as (url, _):

        def client(start: int) -> list[tuple[int, dict]]:
            with httpx.Client(base_url=url) as http:
                return [
                    (i, http.post("/v1/predict", json={"text": texts[i]}).json()["predictions"][0])
                    for i in range(start, len(texts), 16)
                ]

        with ThreadPoolExecutor(16) as pool:
            answers = [pair for part in pool.map(client, range(16)) for pair in part]
        stats = httpx.get(f"{url}/healthz").json()["batching"]
    assert sorted(i for i, _ in answers) == list(range(64))
    for i, served in answers:
        assert served["text"] == texts[i]
        _close(served, expected[i])
    assert stats["requests"] == 64 and stats["texts"] == 64
    assert stats["batches"] < 64 and stats["largest_batch"] > 1, stats


class _SlowPredictor:
    """Answers after ``delay`` seconds, failing on the text "boom": a model whose forward is slow, or breaks."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay, self.calls = delay, []

    def predict(self, texts: list[str]) -> list[dict]:
        self.calls.append(list(texts))
        time.sleep(self.delay)
        if "boom" in texts:
            raise RuntimeError("out of memory")
        return [{"text": text, "label": "x", "score": 1.0} for text in texts]


def test_shutdown_finishes_the_request_in_flight():
    predictor = _SlowPredictor(delay=1.0)
    app = create_app(predictor, ServeSettings(), "test")
    with running(app) as (url, server):
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, f"{url}/v1/predict", json={"text": "late"}, timeout=10)
            while not predictor.calls:  # the request is in the model's hands
                time.sleep(0.01)
            server.should_exit = True  # what uvicorn's SIGTERM handler does
            answer = pending.result()
        assert answer.status_code == 200
        assert answer.json()["predictions"] == [{"text": "late", "label": "x", "score": 1.0}]
        deadline = time.monotonic() + 10
        while not app.state.batcher.stopped and time.monotonic() < deadline:
            time.sleep(0.01)
        assert app.state.batcher.stopped, "the lifespan's end stops the batcher"
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"{url}/v1/predict", json={"text": "after"})


def test_a_text_the_model_fails_on_fails_its_own_request_only():
    predictor = _SlowPredictor()
    with running(create_app(predictor, ServeSettings(max_wait_ms=400), "test")) as (url, _):
        with ThreadPoolExecutor(2) as pool:  # both requests arrive within the first one's wait: one batch
            fine = pool.submit(httpx.post, f"{url}/v1/predict", json={"text": "fine"})
            time.sleep(0.05)
            broken = pool.submit(httpx.post, f"{url}/v1/predict", json={"texts": ["boom", "x"]})
            fine, broken = fine.result(), broken.result()
        stats = httpx.get(f"{url}/healthz").json()["batching"]
    assert predictor.calls == [["fine", "boom", "x"], ["fine"], ["boom"], ["x"]], "the batch, then each text alone"
    assert fine.status_code == 200 and fine.json()["predictions"][0]["text"] == "fine"
    assert broken.status_code == 500
    assert "the model failed" in broken.json()["detail"] and "out of memory" in broken.json()["detail"]
    assert stats["failed_batches"] == 2 and stats["texts"] == 2


def test_bad_settings_are_refused_before_the_model_loads(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path / "nowhere"), "--max-batch", "0"]) == 2
    assert "max_batch=0" in capsys.readouterr().err
    with pytest.raises(el.ConfigError, match="max_wait_ms"):
        el.create_app(tmp_path / "nowhere", max_wait_ms=-1)
    without = "import sys; sys.modules['uvicorn'] = None; import electralab as el; el.create_app('nowhere')"
    out = subprocess.run(
        [sys.executable, "-c", without], env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True
    )
    assert "ConfigError: serving needs uvicorn" in out.stderr and "pip install 'electralab[serve]'" in out.stderr


def test_serve_command_answers_and_stops_on_sigterm(classifier, tmp_path):
    with running(create_app(_SlowPredictor(), ServeSettings(), "test")) as (url, _):  # a port that is taken
        taken = int(url.rsplit(":", 1)[1])
        with pytest.raises(el.ConfigError, match=f"could not start on 127.0.0.1:{taken}"):
            el.serve(classifier, port=taken, log_level="critical")
    command = [sys.executable, "-m", "electralab.cli", "serve", "--model", str(classifier), "--port", str(taken)]
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            try:
                httpx.get(f"http://127.0.0.1:{taken}/healthz")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        answer = httpx.post(f"http://127.0.0.1:{taken}/v1/predict", json={"text": TEXTS[0]})
        assert answer.status_code == 200
        _close(answer.json()["predictions"][0], el.predict(classifier, TEXTS[:1])[0])
        long_texts = [(TEXTS[i % len(TEXTS)] + " ") * 60 for i in range(256)]  # 4 x 256 texts: about a second
        with ThreadPoolExecutor(4) as pool:
            post = partial(httpx.post, f"http://127.0.0.1:{taken}/v1/predict", json={"texts": long_texts}, timeout=60)
            pending = [pool.submit(post) for _ in range(4)]
            while httpx.get(f"http://127.0.0.1:{taken}/healthz").json()["batching"]["requests"] < 5:
                time.sleep(0.01)
            assert not any(request.done() for request in pending), "the requests are in flight"
            process.send_signal(signal.SIGTERM)
            answers = [request.result() for request in pending]
        assert [len(answer.json()["predictions"]) for answer in answers] == [256] * 4
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        process.kill() if process.poll() is None else None
    printed = Path(log.name).read_text()
    assert "Shutting down" in printed and "Waiting for connections to close" in printed
    assert "Finished server process" in printed and "Traceback" not in printed
