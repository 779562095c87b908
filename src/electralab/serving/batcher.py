"""Micro-batching: texts from concurrent requests wait a few milliseconds and are labelled in one call.

The model runs in one worker thread (PyTorch is not made for concurrent forwards, and a tokenizer is not
thread-safe), so the event loop stays free to accept requests while a batch runs. Each text carries a future;
a request awaits its texts' futures, so its answers come back in its order whatever batches they ran in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

Predict = Callable[[list[str]], Sequence[dict[str, Any]]]
"""Labels a list of texts: one JSON-ready dict per text, in order (``Predictor.predict``)."""


class ModelFailure(RuntimeError):
    """The model raised on a batch (a fault of the server or the model, not of the request)."""


class ShuttingDown(RuntimeError):
    """A text arrived while the batcher is not running (before the app's lifespan started it, or after it stopped)."""


@dataclass
class _Queued:
    text: str
    future: asyncio.Future
    since: float = field(default_factory=time.monotonic)


@dataclass
class BatchStats:
    """What the batcher has done: prediction calls, texts, and the largest batch."""

    requests: int = 0
    texts: int = 0
    batches: int = 0
    largest_batch: int = 0
    failed_batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts, with the mean batch size."""
        mean = round(self.texts / self.batches, 2) if self.batches else 0.0
        return {**self.__dict__, "mean_batch": mean}


class MicroBatcher:
    """Queues texts and runs them through ``predict`` in batches of at most ``max_batch``.

    A batch starts when ``max_batch`` texts are queued or when its oldest text has waited ``max_wait_s``.

    Args:
        predict: Labels a list of texts (called in one worker thread, one call at a time).
        max_batch: Most texts per call.
        max_wait_s: Longest a text waits for others to join it.
    """

    def __init__(self, predict: Predict, max_batch: int, max_wait_s: float) -> None:
        self._predict = predict
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Queued | None] | None = None
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._open = False
        self.stopped = False
        """True once :meth:`stop` has answered every queued text and ended the worker thread."""

    async def start(self) -> None:
        """Start the batching task on the running event loop, and the model's worker thread."""
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="electralab-model")
        self._task = asyncio.create_task(self._run(), name="electralab-batcher")
        self._open = True

    async def stop(self) -> None:
        """Take no new texts, answer every queued one, then stop the worker thread."""
        if not self._open:
            return
        self._open = False
        self._queue.put_nowait(None)  # after every text queued so far
        await self._task
        self._executor.shutdown(wait=True)
        self.stopped = True

    async def predict(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Queue ``texts`` and wait for their predictions, in order."""
        if not self._open:
            raise ShuttingDown("the model worker is not running (the server is starting or shutting down): retry")
        loop = asyncio.get_running_loop()
        queued = [_Queued(text, loop.create_future()) for text in texts]
        self.stats.requests += 1
        for item in queued:
            self._queue.put_nowait(item)
        outcomes = await asyncio.gather(*(item.future for item in queued), return_exceptions=True)
        for outcome in outcomes:  # every failure retrieved, the first raised
            if isinstance(outcome, BaseException):
                raise outcome
        return list(outcomes)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = await self._next_batch()
            if batch:
                await self._answer(batch)

    async def _next_batch(self) -> tuple[list[_Queued], bool]:
        """The next batch, and whether the stop mark was reached (everything before it is in the batch)."""
        first = await self._queue.get()
        if first is None:
            return [], True
        if self._queue.qsize() < self.max_batch - 1:  # not full yet: let others join until the first's wait is over
            await asyncio.sleep(max(0.0, first.since + self.max_wait_s - time.monotonic()))
        batch = [first]
        while len(batch) < self.max_batch and not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    async def _answer(self, batch: list[_Queued]) -> None:
        """Run the batch in the worker thread and settle each text's future (never raises).

        When the batch fails, each of its texts runs alone, so that a text the model cannot take fails its own
        request only, not the others' that shared its batch.
        """
        batch = [item for item in batch if not item.future.done()]  # a request whose client left is cancelled
        if not batch:
            return
        try:
            predictions = await self._run_model([item.text for item in batch])
        except ModelFailure as failure:
            self.stats.failed_batches += 1
            if len(batch) == 1:
                _settle(batch[0].future, failure=failure)
                return
            for item in batch:
                await self._answer([item])
            return
        self.stats.batches += 1
        self.stats.texts += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        for item, prediction in zip(batch, predictions, strict=True):
            _settle(item.future, prediction)

    async def _run_model(self, texts: list[str]) -> Sequence[dict[str, Any]]:
        """``predict(texts)`` in the worker thread; any failure, or a wrong number of answers, as a ModelFailure."""
        try:
            predictions = await asyncio.get_running_loop().run_in_executor(self._executor, self._predict, texts)
        except Exception as error:  # noqa: BLE001  (the requests get the failure; the batcher goes on)
            raise ModelFailure(f"{type(error).__name__}: {error}") from error
        if len(predictions) != len(texts):
            raise ModelFailure(f"the model returned {len(predictions)} predictions for {len(texts)} texts")
        return predictions


def _settle(future: asyncio.Future, result: Any = None, failure: Exception | None = None) -> None:
    """Give a waiting text its prediction or failure (unless its request was cancelled meanwhile)."""
    if future.done():
        return
    if failure is not None:
        future.set_exception(failure)
    else:
        future.set_result(result)
