"""The FastAPI app: ``POST /v1/predict``, ``GET /healthz``, ``GET /v1/model``, OpenAPI at ``/docs``.

Every refused request is a 4xx with a JSON ``detail`` line; a 500 means the model itself failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .batcher import MicroBatcher, ModelFailure, ShuttingDown
from .body_limit import BodyLimit
from .describe import describe_model
from .schema import ErrorResponse, PredictRequest, PredictResponse, plain_errors, validation_message
from .settings import ServeSettings

_ERRORS = {status: {"model": ErrorResponse} for status in (400, 413, 422, 500, 503)}


def create_app(predictor: Any, settings: ServeSettings, version: str) -> FastAPI:
    """The HTTP app serving ``predictor`` (anything with ``predict(texts) -> list[dict]``), micro-batched.

    The batcher starts with the app's lifespan and, at shutdown, answers every queued text before it stops.
    """
    batcher = MicroBatcher(predictor.predict, settings.max_batch, settings.max_wait_ms / 1000)
    model_card = describe_model(predictor, settings, version)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(
        title="electralab",
        summary=f"Predictions of {model_card['model'] or 'a model'} ({model_card['task'] or 'unknown task'})",
        version=version,
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.batcher = batcher

    @app.post("/v1/predict", response_model=PredictResponse, responses=_ERRORS)
    async def predict(request: PredictRequest) -> JSONResponse:
        """Label one text (``text``) or several (``texts``); one prediction per text, in order (blank: skipped)."""
        texts = request.all_texts()
        refused = _refusal(texts, settings, "texts" if request.texts is not None else "text")
        if refused:
            return _error(422, refused)
        try:
            answers = iter(await batcher.predict([text for text in texts if text.strip()]))
        except ShuttingDown as error:
            return _error(503, str(error))
        except ModelFailure as error:
            return _error(500, f"the model failed on a batch of texts: {error}")
        # a blank text gets a record without a prediction, as `electralab predict` gives a blank line
        predictions = [next(answers) if text.strip() else {"text": text, "skipped": "empty text"} for text in texts]
        return JSONResponse({"predictions": predictions})

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """Liveness, and what the batcher has done: requests, texts, prediction calls, batch sizes."""
        return {"status": "ok", "batching": batcher.stats.as_dict()}

    @app.get("/v1/model")
    async def model() -> dict[str, Any]:
        """The model being served: task, labels, thresholds, max length, precision, versions and limits."""
        return {**model_card, "stats": batcher.stats.as_dict()}

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        status, message = validation_message(list(error.errors()))
        return _error(status, message, plain_errors(list(error.errors())))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 413:  # raised by BodyLimit, by Content-Length or by the bytes read
            return _error(
                413,
                f"the request body is over {settings.max_body_bytes:,} bytes (max_body_bytes): "
                "send fewer or shorter texts per request",
            )
        return await http_exception_handler(request, error)

    return app


def _refusal(texts: list[str], settings: ServeSettings, field: str) -> str | None:
    """Why a well-formed request is still refused (no texts, too many, one too long or not text), or None.

    ``field`` names the texts in the message: ``text`` (one) or ``texts`` (each as ``texts[i]``).
    """
    if not texts:
        return "texts: the list is empty; pass at least one text"
    if len(texts) > settings.max_texts:
        return f"texts: {len(texts)} texts; at most {settings.max_texts} per request (max_texts): split the request"
    for index, text in enumerate(texts):
        where = field if field == "text" else f"texts[{index}]"
        if len(text) > settings.max_chars:
            return (
                f"{where}: {len(text):,} characters; at most {settings.max_chars:,} per text (max_chars): "
                "shorten or split it"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:  # JSON may escape a lone surrogate (\ud800), which is no text
            surrogate = ascii(error.object[error.start])
            return f"{where}: character {error.start} is an unpaired surrogate ({surrogate}): send valid text"
    return None


def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)
