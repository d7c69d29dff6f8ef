"""``/_admin`` routes: drive the simulated exchange while it runs (tests, demos, benches).

Kept apart from the API: no authentication, no rate limits, no injected faults, and
loopback clients only (403 otherwise, even when the server listens on other interfaces).
Each route calls the ``SimExchange`` method of the same name.

    POST /_admin/fills         {"product_id"?: str, "count": int}   add newer, unsettled fills
    POST /_admin/settle        {"product_id"?: str}                  settle all unsettled; lists changes
    POST /_admin/unsettle      {"product_id": str, "trade_id": int}  mark one fill unsettled again
    POST /_admin/fee           {"product_id", "trade_id", "fee"}     change one fill's fee
    POST /_admin/fail          {"status": int, "count"?: int, "path"?: str, "message"?: str}
    POST /_admin/reset-limits                                        refill every rate-limit bucket
    POST /_admin/config        {"rate_limits"?, "fail_rate"?, "latency_ms"?, "auth_failure_status"?,
                                "clock_offset"?, "timestamp_window"?}
    POST /_admin/keys          {"permissions"?: [..], "key"?, "secret"?, "passphrase"?}
    GET  /_admin/history?product_id=&order_id=                       every fill, newest first
    GET  /_admin/state                                               counts and settings
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.admin import admin_endpoint
from ..core.responses import error, json_response
from .state import SimExchange

__all__ = ["admin_routes"]

AdminHandler = Callable[[SimExchange, dict[str, Any], Request], Any]


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    return admin_endpoint(
        lambda request, body: handler(request.app.state.exchange, body, request), error=error, answer=json_response
    )


def _pairs(changes: list[tuple[str, int]]) -> dict[str, Any]:
    return {"count": len(changes), "fills": [{"product_id": p, "trade_id": t} for p, t in changes]}


def _fills(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    return _pairs(ex.add_fills(int(body.get("count", 1)), body.get("product_id")))


def _settle(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    return _pairs(ex.settle(body.get("product_id")))


def _unsettle(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    ex.unsettle(body["product_id"], int(body["trade_id"]))
    return {"ok": True}


def _fee(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    return {"fill": ex.set_fee(body["product_id"], int(body["trade_id"]), str(body["fee"]))}


def _fail(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    ex.fail_next(int(body["status"]), int(body.get("count", 1)), path=body.get("path"), message=body.get("message"))
    return {"pending": ex.faults.pending()}


def _reset_limits(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    ex.reset_limits()
    return {"ok": True}


def _config(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    ex.configure(**body)
    return ex.summary()["settings"]


def _keys(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    permissions = body.get("permissions", ["view"])
    credential = ex.add_key(
        permissions, key=body.get("key"), secret=body.get("secret"), passphrase=body.get("passphrase")
    )
    return {**credential.as_dict(), "permissions": sorted(permissions)}


def _history(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    params = request.query_params
    return ex.history(params.get("product_id") or None, params.get("order_id") or None)


def _state(ex: SimExchange, body: dict[str, Any], request: Request) -> Any:
    return ex.summary()


def admin_routes() -> list[Route]:
    """The ``/_admin`` routes, to mount beside the API routes."""
    posts: dict[str, AdminHandler] = {
        "fills": _fills,
        "settle": _settle,
        "unsettle": _unsettle,
        "fee": _fee,
        "fail": _fail,
        "reset-limits": _reset_limits,
        "config": _config,
        "keys": _keys,
    }
    gets: dict[str, AdminHandler] = {"history": _history, "state": _state}
    return [Route(f"/_admin/{name}", _admin(h), methods=["POST"]) for name, h in posts.items()] + [
        Route(f"/_admin/{name}", _admin(h), methods=["GET"]) for name, h in gets.items()
    ]
