"""``/_admin`` routes of the Advanced Trade simulator: drive it while it runs (tests, demos, benches).

No JWT, no rate limits, no injected faults, loopback clients only (403 otherwise), as the Exchange
simulator's. Each route calls the ``SimAdvanced`` method of the same job.

    POST /_admin/fills         {"count": int, "product_id"?: str}          add newer FILL entries
    POST /_admin/adjustments   {"kind": "REVERSAL"|"CORRECTION", "entry_ids"?: [..], "count"?: int}
                                                                           post adjustments, sequence time now
    POST /_admin/fail          {"status": int, "count"?: int, "path"?: str, "message"?: str}
    POST /_admin/reset-limits                                              refill every rate-limit bucket
    POST /_admin/config        {"rate_limits"?, "private_rate"?, "public_rate"?, "latency_ms"?, "clock_offset"?,
                                "page_cap"?, "page_default"?, "reversal_sign"?, "jwt_leeway"?, "issuers"?, ...}
    POST /_admin/permissions   {"key_name"?: str, "can_view"?, "can_trade"?, "can_transfer"?, "portfolio_type"?}
    GET  /_admin/history                                                   every entry, exact JSON, newest first
    GET  /_admin/keys                                                      key names, types, key files, permissions
    GET  /_admin/state                                                     counts and settings
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.admin import admin_endpoint
from .state import SimAdvanced
from .wire import error_response, json_answer

__all__ = ["admin_routes"]

AdminHandler = Callable[[SimAdvanced, dict[str, Any]], Any]


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    return admin_endpoint(
        lambda request, body: handler(request.app.state.advanced, body), error=error_response, answer=json_answer
    )


def _fills(state: SimAdvanced, body: dict[str, Any]) -> Any:
    added = state.add_fills(int(body.get("count", 1)), body.get("product_id"))
    return {"count": len(added), "fills": added}


def _adjustments(state: SimAdvanced, body: dict[str, Any]) -> Any:
    entry_ids = body.get("entry_ids") or []
    if not isinstance(entry_ids, list):
        raise ValueError("entry_ids must be a list")
    made = state.post_adjustments(
        str(body.get("kind", "REVERSAL")), [str(i) for i in entry_ids], int(body.get("count", 1))
    )
    return {"count": len(made), "fills": made}


def _fail(state: SimAdvanced, body: dict[str, Any]) -> Any:
    state.fail_next(int(body["status"]), int(body.get("count", 1)), path=body.get("path"), message=body.get("message"))
    return {"pending": state.faults.pending()}


def _reset_limits(state: SimAdvanced, body: dict[str, Any]) -> Any:
    state.reset_limits()
    return {"ok": True}


def _config(state: SimAdvanced, body: dict[str, Any]) -> Any:
    state.configure(**body)
    return state.summary()["settings"]


def _permissions(state: SimAdvanced, body: dict[str, Any]) -> Any:
    key_name = body.pop("key_name", None)
    return state.set_permissions(key_name, **body)


def admin_routes() -> list[Route]:
    """The ``/_admin`` routes, to mount beside the API routes."""
    posts: dict[str, AdminHandler] = {
        "fills": _fills,
        "adjustments": _adjustments,
        "fail": _fail,
        "reset-limits": _reset_limits,
        "config": _config,
        "permissions": _permissions,
    }
    gets: dict[str, AdminHandler] = {
        "history": lambda state, body: state.history(),
        "keys": lambda state, body: state.keys_info(),
        "state": lambda state, body: state.summary(),
    }
    return [Route(f"/_admin/{name}", _admin(h), methods=["POST"]) for name, h in posts.items()] + [
        Route(f"/_admin/{name}", _admin(h), methods=["GET"]) for name, h in gets.items()
    ]
