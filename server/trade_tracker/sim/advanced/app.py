"""The Advanced Trade simulator's ASGI app: ``/api/v3/brokerage`` routes on top of ``SimAdvanced``.

Every API request passes, in order: injected faults and latency (``FaultLayer``); for the public
``/market/...`` routes the per-IP bucket (10/s; ``/time`` is never limited, so a client can always
correct its clock); for private routes the JWT check (``auth.py``:
any failure is 401 with the plain-text body ``Unauthorized``), the per-user bucket (30/s) and the
key's ``can_view`` scope (403 ``PERMISSION_DENIED`` "Missing required scopes"). Rate-limited answers
carry ``x-ratelimit-limit`` / ``-remaining`` / ``-reset`` (seconds until the bucket is full again; the
header's exact meaning is UNVERIFIED); an empty bucket answers 429 with an empty body (the real body is
UNVERIFIED). Errors are ``{"error", "error_details", "message"}``. ``/_admin`` (``admin.py``) bypasses
all of it and answers loopback clients only.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.candles import advanced_candles_json, candles_of, parse_advanced_query
from ..core.errors import SimError
from .admin import admin_routes
from .auth import AuthFailure, verify_jwt
from .keys import SimKey
from .params import fill_query, int_param, many
from .state import SimAdvanced
from .times import iso_ns
from .wire import error_response, json_answer, unauthorized

__all__ = ["PREFIX", "FaultLayer", "build_app"]

PREFIX = "/api/v3/brokerage"

Handler = Callable[[Request, SimAdvanced], Response]
PrivateHandler = Callable[[Request, SimAdvanced, SimKey], Response]


def _state(request: Request) -> SimAdvanced:
    state: SimAdvanced = request.app.state.advanced
    return state


def _limit_headers(state: SimAdvanced, kind: str, who: str) -> tuple[bool, dict[str, str]]:
    allowed, tokens, full_in = state.limiter.take(kind, who)
    rate = state.limiter.limits[kind][0]
    return allowed, {
        "x-ratelimit-limit": str(int(rate)),
        "x-ratelimit-remaining": str(max(0, math.floor(tokens))),
        "x-ratelimit-reset": str(math.ceil(full_in)),
    }


def _run(handler: Callable[[], Response], headers: dict[str, str]) -> Response:
    try:
        response = handler()
    except SimError as exc:
        response = error_response(exc.status, exc.message)
    response.headers.update(headers)
    return response


def public(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A public route: per-IP bucket, then the handler."""

    async def endpoint(request: Request) -> Response:
        state = _state(request)
        allowed, headers = _limit_headers(state, "public", request.client.host if request.client else "unknown")
        if not allowed:
            return Response(b"", status_code=429, headers=headers)
        return _run(lambda: handler(request, state), headers)

    return endpoint


def private(handler: PrivateHandler) -> Callable[[Request], Awaitable[Response]]:
    """A private route: JWT, per-user bucket, ``can_view``, then the handler."""

    async def endpoint(request: Request) -> Response:
        state = _state(request)
        config = state.config
        try:
            key = verify_jwt(
                request.headers,
                request.method,
                request.headers.get("host", ""),
                request.url.path,
                state.keys,
                state.nonces,
                now=state.now(),
                leeway=config.jwt_leeway,
                issuers=config.issuers,
            )
        except AuthFailure:
            return unauthorized()
        allowed, headers = _limit_headers(state, "private", state.user_id)
        if not allowed:
            return Response(b"", status_code=429, headers=headers)
        if not state.permissions[key.name].can_view and request.url.path != f"{PREFIX}/key_permissions":
            return error_response(403, "Missing required scopes", code="PERMISSION_DENIED", headers=headers)
        return _run(lambda: handler(request, state, key), headers)

    return endpoint


# ---- routes ---------------------------------------------------------------------------------


async def get_time(request: Request) -> Response:
    """``GET /time``: the server clock (with its offset); the numbers are strings, as the API sends them."""
    now = _state(request).now()
    return json_answer(
        {"iso": iso_ns(int(now) * 10**9, 0), "epochSeconds": str(int(now)), "epochMillis": str(int(now * 1000))}
    )


def _products(request: Request, state: SimAdvanced) -> Response:
    return json_answer(state.products())


def _product(request: Request, state: SimAdvanced) -> Response:
    return json_answer(state.product(request.path_params["product_id"]))


def _candles(request: Request, state: SimAdvanced) -> Response:
    history = state.history_of(request.path_params["product_id"])
    return json_answer(advanced_candles_json(history, candles_of(history, *parse_advanced_query(request.query_params))))


def _ticker(request: Request, state: SimAdvanced) -> Response:
    limit = int_param(request, "limit")
    return json_answer(state.ticker(request.path_params["product_id"], min(max(limit or 10, 1), 1000)))


def _accounts(request: Request, state: SimAdvanced, key: SimKey) -> Response:
    return json_answer(state.accounts_page(int_param(request, "limit"), request.query_params.get("cursor") or None))


def _orders(request: Request, state: SimAdvanced, key: SimKey) -> Response:
    page = state.orders_page(
        statuses=many(request, "order_status"),
        product_ids=many(request, "product_ids"),
        order_ids=many(request, "order_ids"),
        limit=int_param(request, "limit"),
        cursor=request.query_params.get("cursor") or None,
    )
    return json_answer(page)


def _fills(request: Request, state: SimAdvanced, key: SimKey) -> Response:
    page = state.fills_page(
        fill_query(request), int_param(request, "limit"), request.query_params.get("cursor") or None
    )
    return json_answer(page)


def _key_permissions(request: Request, state: SimAdvanced, key: SimKey) -> Response:
    return json_answer(state.key_permissions(key.name))


def _portfolios(request: Request, state: SimAdvanced, key: SimKey) -> Response:
    return json_answer(state.portfolios(key.name, request.query_params.get("portfolio_type") or None))


def _as_private(handler: Handler) -> PrivateHandler:
    return lambda request, state, key: handler(request, state)


# ---- errors and fault layer -------------------------------------------------------------------


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return error_response(404, "Not Found", code="NOT_FOUND")
    return error_response(exc.status_code, str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "Internal server error")


class FaultLayer:
    """Outermost ASGI layer: forced / random failures and latency for API (non-admin) paths."""

    def __init__(self, app: ASGIApp, state: SimAdvanced) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        latency = self.state.config.latency_ms
        if latency > 0:
            await asyncio.sleep(latency / 1000)
        path = scope["path"]
        failure = self.state.faults.next_failure(path, public=path.startswith((f"{PREFIX}/market", f"{PREFIX}/time")))
        if failure is None:
            await self.app(scope, receive, send)
            return
        if failure.status == 401:
            response = unauthorized()
        elif failure.status == 429:
            response = Response(b"", status_code=429, headers={"x-ratelimit-reset": "1"})
        elif failure.media_type != "application/json":  # the front proxy's 502 page
            response = Response(failure.body, status_code=failure.status, media_type=failure.media_type)
        else:
            response = error_response(failure.status, str(json.loads(failure.body)["message"]))
        await response(scope, receive, send)


def build_app(state: SimAdvanced) -> ASGIApp:
    """The simulator's ASGI app serving ``state``."""
    p = PREFIX
    routes = [
        Route(f"{p}/time", get_time, methods=["GET"]),
        Route(f"{p}/market/products", public(_products), methods=["GET"]),
        Route(f"{p}/market/products/{{product_id}}", public(_product), methods=["GET"]),
        Route(f"{p}/market/products/{{product_id}}/ticker", public(_ticker), methods=["GET"]),
        Route(f"{p}/market/products/{{product_id}}/candles", public(_candles), methods=["GET"]),
        Route(f"{p}/products/{{product_id}}/candles", private(_as_private(_candles)), methods=["GET"]),
        Route(f"{p}/products", private(_as_private(_products)), methods=["GET"]),
        Route(f"{p}/products/{{product_id}}", private(_as_private(_product)), methods=["GET"]),
        Route(f"{p}/products/{{product_id}}/ticker", private(_as_private(_ticker)), methods=["GET"]),
        Route(f"{p}/accounts", private(_accounts), methods=["GET"]),
        Route(f"{p}/orders/historical/batch", private(_orders), methods=["GET"]),
        Route(f"{p}/orders/historical/fills", private(_fills), methods=["GET"]),
        Route(f"{p}/key_permissions", private(_key_permissions), methods=["GET"]),
        Route(f"{p}/portfolios", private(_portfolios), methods=["GET"]),
        *admin_routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.advanced = state
    return FaultLayer(app, state)
