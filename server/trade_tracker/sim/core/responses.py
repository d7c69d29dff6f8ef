"""JSON answers in the exchange's shape: compact JSON, ``{"message": ...}`` errors, and the
``Access-Control-Expose-Headers`` value the real API sends with every answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = ["EXPOSE_HEADERS", "error", "json_response"]

EXPOSE_HEADERS = "cb-before, cb-after, cb-gdpr"


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialize ``data`` compactly (as the API does) into a JSON response."""
    all_headers = {"Access-Control-Expose-Headers": EXPOSE_HEADERS, **(headers or {})}
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, headers=all_headers, media_type="application/json")


def error(status: int, message: str) -> Response:
    """An error answer: ``{"message": ...}``."""
    return json_response({"message": message}, status)
