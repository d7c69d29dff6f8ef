"""What every simulator's ``/_admin`` routes share: loopback clients only, a JSON-object body, and a
failure as an answer in the venue's own error shape.

A venue's ``admin`` module names its routes and how its state is found and its answers are shaped;
:func:`admin_endpoint` does the rest, so the two simulators' admin routes cannot drift apart.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .errors import SimError

__all__ = ["admin_endpoint"]


def _is_client_loopback(host: str | None) -> bool:
    """Whether ``host`` (a client's address, never a name) is a loopback address (``core.server.is_loopback_host``
    judges a host to bind, and loads uvicorn)."""
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def admin_endpoint(
    handle: Callable[[Request, dict[str, Any]], Any],
    *,
    error: Callable[[int, str], Response],
    answer: Callable[[Any], Response],
) -> Callable[[Request], Awaitable[Response]]:
    """A starlette endpoint that answers ``answer(handle(request, body))`` for a loopback client's JSON-object
    body (none is ``{}``); a ``SimError`` is ``error(its status, its message)``, bad input a 400."""

    async def endpoint(request: Request) -> Response:
        if not _is_client_loopback(request.client.host if request.client else None):
            return error(403, "admin routes answer loopback clients only")
        raw = await request.body()
        try:
            payload = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return error(400, "body must be JSON")
        if not isinstance(payload, dict):
            return error(400, "body must be a JSON object")
        try:
            return answer(handle(request, payload))
        except SimError as exc:
            return error(exc.status, exc.message)
        except (KeyError, TypeError, ValueError) as exc:
            return error(400, f"bad admin request: {exc!r}")

    return endpoint
