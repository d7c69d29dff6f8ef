"""The simulator's ASGI app: Coinbase Exchange REST routes on top of ``SimExchange``.

Every API request passes, in order: injected faults and latency (``FaultLayer``), then
for public routes the per-IP bucket, for private routes authentication (``auth.py``),
the key's permission and the per-profile bucket. Handlers only parse parameters and
render; the state and its rules live in ``exchange.py``. ``/_admin`` routes (``admin.py``)
bypass all of that but answer loopback clients only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.candles import candles_of, exchange_candles_body, parse_exchange_query
from ..core.errors import SimError
from ..core.formats import iso_us, parse_date_us
from ..core.query import parsed_param
from ..core.ratelimit import BucketKind
from ..core.responses import error, json_response
from .admin import admin_routes
from .auth import AuthFailure, KeyRecord, authenticate
from .state import SimExchange

__all__ = ["FaultLayer", "build_app"]

READ = frozenset({"view", "trade"})
TRADE = frozenset({"trade"})
FILLS_MAX_LIMIT = 100
ORDERS_MAX_LIMIT = 1000
LEDGER_MAX_LIMIT = 1000

PublicHandler = Callable[[Request, SimExchange], Response]
PrivateHandler = Callable[[Request, SimExchange, KeyRecord, bytes], Response]


def _exchange(request: Request) -> SimExchange:
    exchange: SimExchange = request.app.state.exchange
    return exchange


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def public(handler: PublicHandler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a public handler: per-IP rate limit, then ``SimError`` → JSON error."""

    async def endpoint(request: Request) -> Response:
        exchange = _exchange(request)
        if not exchange.limiter.allow("public", _client_ip(request)):
            return error(429, "Public rate limit exceeded")
        try:
            return handler(request, exchange)
        except SimError as exc:
            return error(exc.status, exc.message)

    return endpoint


def private(
    permissions: frozenset[str], bucket: BucketKind = "private"
) -> Callable[[PrivateHandler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a private handler: authenticate, check permission, rate limit per profile."""

    def wrap(handler: PrivateHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            exchange = _exchange(request)
            body = await request.body()
            config = exchange.config
            try:
                record = authenticate(
                    request.headers,
                    request.method,
                    request.scope.get("raw_path") or request.url.path.encode(),
                    request.scope.get("query_string", b""),
                    body,
                    exchange.keys,
                    now=exchange.now(),
                    failure_status=config.auth_failure_status,
                    window=config.timestamp_window,
                )
            except AuthFailure as exc:
                return error(exc.status, exc.message)
            if not record.permissions & permissions:
                return error(403, "Forbidden")
            if not exchange.limiter.allow(bucket, record.profile_id):
                return error(429, "Private rate limit exceeded")
            try:
                return handler(request, exchange, record, body)
            except SimError as exc:
                return error(exc.status, exc.message)

        return endpoint

    return wrap


# ---- parameter parsing ------------------------------------------------------------------------


def _int_param(request: Request, name: str, message: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise SimError(400, message) from None


def _limit(request: Request, cap: int, default: int = 100) -> int:
    limit = _int_param(request, "limit", "Invalid limit")
    if limit is None:
        return default
    if limit < 1:
        raise SimError(400, "Invalid limit")
    return min(limit, cap)


def _date_param(request: Request, name: str, *, end_of_day: bool = False) -> int | None:
    return parsed_param(request, name, lambda raw: parse_date_us(raw, end_of_day=end_of_day), f"Invalid {name}")


def _cursor_date(request: Request, name: str) -> int | None:
    return parsed_param(request, name, parse_date_us, f"{name} cursor value is not valid")


def _optional(request: Request, name: str) -> str | None:
    return request.query_params.get(name) or None


def _page_headers(first: str | int | None, last: str | int | None) -> dict[str, str]:
    return {} if first is None or last is None else {"CB-BEFORE": str(first), "CB-AFTER": str(last)}


# ---- public routes ----------------------------------------------------------------------------


async def get_time(request: Request) -> Response:
    """``GET /time``: the server clock (including any configured offset); never rate limited."""
    now = _exchange(request).now()
    return json_response({"iso": iso_us(int(now * 1_000_000)), "epoch": round(now, 6)})


@public
def get_products(request: Request, exchange: SimExchange) -> Response:
    return json_response(exchange.products())


@public
def get_product(request: Request, exchange: SimExchange) -> Response:
    return json_response(exchange.product(request.path_params["product_id"]))


@public
def get_ticker(request: Request, exchange: SimExchange) -> Response:
    return json_response(exchange.ticker(request.path_params["product_id"]))


@public
def get_stats(request: Request, exchange: SimExchange) -> Response:
    return json_response(exchange.stats(request.path_params["product_id"]))


@public
def get_candles(request: Request, exchange: SimExchange) -> Response:
    """``GET /products/{id}/candles`` (``core.candles``: from the product's own fills)."""
    history = exchange.history_of(request.path_params["product_id"])
    found = candles_of(history, *parse_exchange_query(request.query_params))
    return Response(exchange_candles_body(history, found), media_type="application/json")


# ---- private routes ---------------------------------------------------------------------------


@private(READ, bucket="accounts")
def get_accounts(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    return json_response(exchange.accounts())


@private(READ, bucket="accounts")
def get_account(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    return json_response(exchange.account(request.path_params["account_id"]))


@private(READ)
def get_ledger(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    """``GET /accounts/{id}/ledger``: entry-id cursors; without start_date/end_date, the past day only."""
    entries = exchange.ledger(
        request.path_params["account_id"],
        limit=_limit(request, LEDGER_MAX_LIMIT, default=LEDGER_MAX_LIMIT),
        before=_int_param(request, "before", "before cursor value is not valid"),
        after=_int_param(request, "after", "after cursor value is not valid"),
        start_us=_date_param(request, "start_date"),
        end_us=_date_param(request, "end_date", end_of_day=True),
    )
    first = entries[0]["id"] if entries else None
    last = entries[-1]["id"] if entries else None
    return json_response(entries, headers=_page_headers(first, last))


@private(READ)
def get_profiles(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    raw = request.query_params.get("active")
    active: bool | None = None
    if raw:
        if raw.lower() not in ("true", "false"):
            raise SimError(400, "active must be true or false")
        active = raw.lower() == "true"
    return json_response(exchange.profiles(active))


@private(READ, bucket="fills")
def get_fills(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    product_id, order_id = _optional(request, "product_id"), _optional(request, "order_id")
    if product_id is None and order_id is None:
        raise SimError(400, "product_id or order_id is required")
    limit = _limit(request, FILLS_MAX_LIMIT)
    before = _int_param(request, "before", "before cursor value is not valid")
    after = _int_param(request, "after", "after cursor value is not valid")
    market_type = request.query_params.get("market_type", "spot")
    if market_type not in ("spot", "rfq"):
        raise SimError(400, "Invalid market_type")
    page = exchange.fills_page(
        product_id=product_id,
        order_id=order_id,
        limit=limit,
        before=before,
        after=after,
        start_us=_date_param(request, "start_date"),
        end_us=_date_param(request, "end_date", end_of_day=True),
    )
    if market_type == "rfq":  # the simulated account only trades spot
        return json_response([])
    return json_response(page.fills, headers=_page_headers(page.before, page.after))


@private(READ)
def get_orders(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    rows = exchange.orders(
        statuses=request.query_params.getlist("status"),
        product_id=_optional(request, "product_id"),
        limit=_limit(request, ORDERS_MAX_LIMIT),
        before_us=_cursor_date(request, "before"),
        after_us=_cursor_date(request, "after"),
        start_us=_date_param(request, "start_date"),
        end_us=_date_param(request, "end_date", end_of_day=True),
    )
    orders = [order for _, order in rows]
    first = orders[0]["created_at"] if orders else None
    last = orders[-1]["created_at"] if orders else None
    return json_response(orders, headers=_page_headers(first, last))


@private(READ)
def get_order(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    return json_response(exchange.order(request.path_params["order_id"]))


@private(TRADE)
def post_order(request: Request, exchange: SimExchange, key: KeyRecord, body: bytes) -> Response:
    try:
        payload: Any = json.loads(body or b"null")
    except ValueError:
        raise SimError(400, "Invalid JSON body") from None
    if not isinstance(payload, dict):
        raise SimError(400, "Invalid JSON body")
    if payload.get("type", "limit") != "limit":
        raise SimError(400, "Only limit orders are simulated")
    return json_response(
        exchange.place_order(payload.get("product_id"), payload.get("side"), payload.get("size"), payload.get("price"))
    )


# ---- errors and fault layer -------------------------------------------------------------------


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes (and wrong methods) answer like the API: 404 ``NotFound``."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return error(404, "NotFound")
    return error(exc.status_code, str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error(500, "Internal server error")


def _is_public(path: str) -> bool:
    return path == "/time" or path.startswith("/products")


class FaultLayer:
    """Outermost ASGI layer: forced / random failures and latency for API (non-admin) paths."""

    def __init__(self, app: ASGIApp, exchange: SimExchange) -> None:
        self.app = app
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        latency = self.exchange.config.latency_ms
        if latency > 0:
            await asyncio.sleep(latency / 1000)
        failure = self.exchange.faults.next_failure(scope["path"], public=_is_public(scope["path"]))
        if failure is None:
            await self.app(scope, receive, send)
            return
        response = Response(failure.body, status_code=failure.status, media_type=failure.media_type)
        await response(scope, receive, send)


def build_app(exchange: SimExchange) -> ASGIApp:
    """The simulator's ASGI app serving ``exchange``."""
    routes = [
        Route("/time", get_time, methods=["GET"]),
        Route("/products", get_products, methods=["GET"]),
        Route("/products/{product_id}", get_product, methods=["GET"]),
        Route("/products/{product_id}/ticker", get_ticker, methods=["GET"]),
        Route("/products/{product_id}/stats", get_stats, methods=["GET"]),
        Route("/products/{product_id}/candles", get_candles, methods=["GET"]),
        Route("/accounts", get_accounts, methods=["GET"]),
        Route("/accounts/{account_id}", get_account, methods=["GET"]),
        Route("/accounts/{account_id}/ledger", get_ledger, methods=["GET"]),
        Route("/profiles", get_profiles, methods=["GET"]),
        Route("/fills", get_fills, methods=["GET"]),
        Route("/orders", get_orders, methods=["GET"]),
        Route("/orders", post_order, methods=["POST"]),
        Route("/orders/{order_id}", get_order, methods=["GET"]),
        *admin_routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.exchange = exchange
    return FaultLayer(app, exchange)
