"""Request and response bodies of the HTTP API, and one-line messages for the requests it refuses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

EXPECTED_BODY = 'expected a JSON object {"text": "..."} or {"texts": ["...", ...]}'


class PredictRequest(BaseModel):
    """One text, or a list of texts answered in their order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "정말 재밌어요"}, {"texts": ["정말 재밌어요", "시간 낭비"]}]},
    )

    text: str | None = Field(None, description="One text.")
    texts: list[str] | None = Field(None, description="Several texts; the predictions come back in this order.")

    @model_validator(mode="after")
    def _one_of_text_or_texts(self) -> PredictRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError(f'pass "text" or "texts", not both or neither: {EXPECTED_BODY}')
        return self

    def all_texts(self) -> list[str]:
        """The texts to label, in order."""
        return [self.text] if self.texts is None else self.texts


class PredictResponse(BaseModel):
    """One prediction per text, in order: what ``electralab predict`` prints for it.

    Single-label: ``text``, ``label``, ``score``, ``probabilities``. Multi-label: ``text``, ``labels``,
    ``probabilities``. Token classification: ``text``, ``entities`` (``text``, ``label``, ``start``, ``end``,
    ``score``).
    """

    predictions: list[dict[str, Any]]


class ErrorResponse(BaseModel):
    """A refused request: one line saying what was wrong and what to send instead."""

    detail: str
    errors: list[dict[str, Any]] | None = Field(None, description="Each validation error (where, type, message).")


def validation_message(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """The status and one-line message for pydantic's validation errors of a request body.

    Malformed JSON is a 400; a body of the wrong shape or types a 422 naming the field (``texts[2]``).
    """
    first = errors[0]
    if first["type"] == "json_invalid":
        reason = first.get("ctx", {}).get("error", "malformed")
        return 400, f"the body is not valid JSON ({reason} at character {first['loc'][-1]}): {EXPECTED_BODY}"
    messages = []
    for error in errors:
        where = _where(error["loc"])
        if error["type"] == "missing" and where == "body":
            messages.append(f"the body is empty: {EXPECTED_BODY}")
        elif where == "body" and error["type"] in ("model_attributes_type", "dict_type"):
            messages.append(f"the body is not a JSON object: {EXPECTED_BODY} with Content-Type: application/json")
        elif error["type"] == "extra_forbidden":
            messages.append(f"{where}: unknown field; {EXPECTED_BODY}")
        else:
            messages.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    return 422, "; ".join(messages[:5]) + (f" (and {len(messages) - 5} more)" if len(messages) > 5 else "")


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "texts", 2)`` as ``texts[2]``; the body itself as ``body``."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    if not parts:
        return "body"
    path = str(parts[0])
    for part in parts[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def plain_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors without the offending input (which may be megabytes) or documentation links."""
    return [{"loc": list(error["loc"]), "type": error["type"], "msg": error["msg"]} for error in errors]
