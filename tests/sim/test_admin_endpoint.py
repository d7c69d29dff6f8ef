"""``sim/core/admin.py``: the ``/_admin`` endpoint both simulators share, each answering in its own error shape."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from trade_tracker.sim.core.admin import admin_endpoint
from trade_tracker.sim.core.errors import SimError


def _handle(request: Request, body: dict[str, Any]) -> Any:
    if body.get("fail"):
        raise SimError(409, "no such thing")
    return {"count": int(body.get("count", 1)), "path": request.url.path}


def _client(host: str = "127.0.0.1") -> Any:
    endpoint = admin_endpoint(
        _handle,
        error=lambda status, message: JSONResponse({"venue_error": message}, status),
        answer=lambda data: JSONResponse({"ok": data}),
    )
    app = Starlette(routes=[Route("/_admin/x", endpoint, methods=["POST"])])
    return TestClient(app, client=(host, 5000))


def test_a_loopback_client_gets_the_handlers_answer() -> None:
    response = _client().post("/_admin/x", content=b'{"count": 3}')
    assert (response.status_code, response.json()) == (200, {"ok": {"count": 3, "path": "/_admin/x"}})
    assert _client().post("/_admin/x").json() == {"ok": {"count": 1, "path": "/_admin/x"}}  # no body is {}


@pytest.mark.parametrize(
    ("host", "body", "status", "said"),
    [
        ("192.0.2.7", b"{}", 403, "admin routes answer loopback clients only"),
        ("testclient", b"{}", 403, "admin routes answer loopback clients only"),
        ("::1", b"not json", 400, "body must be JSON"),
        ("127.0.0.1", b"[1]", 400, "body must be a JSON object"),
        ("127.0.0.1", b'{"fail": true}', 409, "no such thing"),
        ("127.0.0.1", b'{"count": "many"}', 400, "bad admin request: ValueError"),
    ],
)
def test_refusals_come_in_the_venues_error_shape(host: str, body: bytes, status: int, said: str) -> None:
    response = _client(host).post("/_admin/x", content=body)
    assert response.status_code == status
    assert response.json()["venue_error"].startswith(said)
