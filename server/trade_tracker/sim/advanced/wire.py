"""Advanced Trade's answer shapes: compact JSON, ``{"error", "error_details", "message"}`` errors, and
the plain-text ``Unauthorized`` 401 that every authentication failure gets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import PlainTextResponse, Response

__all__ = ["ERROR_CODES", "error_response", "json_answer", "unauthorized"]

#: The ``error`` code of an error answer by HTTP status (as seen in client logs and fixtures).
ERROR_CODES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def json_answer(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``data`` as compact JSON."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, headers=dict(headers or {}), media_type="application/json")


def error_response(
    status: int, details: str, *, code: str | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """An error answer ``{"error": CODE, "error_details": details, "message": details}``."""
    payload = {"error": code or ERROR_CODES.get(status, "unknown"), "error_details": details, "message": details}
    return json_answer(payload, status, headers)


def unauthorized() -> Response:
    """The one answer to every authentication failure: 401, ``text/plain``, body ``Unauthorized``."""
    return PlainTextResponse("Unauthorized", status_code=401)
