"""The async Coinbase Advanced Trade client: its endpoints under ``/api/v3/brokerage``, cursor paging, limits.

The request machinery (client-side buckets, bounded retries on 429/5xx, deadlines, translating httpx's
exceptions, decoding JSON numbers as Decimal) is :class:`~trade_tracker.venues.http.VenueHttp`; this module
adds Advanced Trade's own part: the JWT (``auth.py``), the limits and the ``x-ratelimit-*`` headers
(``limits.py``), the error table (``answers.py``) and the paging rules:

- list parameters are repeated keys with the plural names (``product_ids=A&product_ids=B``);
- a walk follows ``cursor`` until it is empty, a page is empty, or (for accounts and orders) ``has_next``
  is false; a repeated cursor raises :class:`~trade_tracker.errors.ExchangeProtocolError` instead of
  looping; a page shorter than asked is normal (the server caps pages silently).
"""

# pyright: reportUnnecessaryIsInstance=false
# (arguments are checked at run time too: tools and the CLI pass values in from outside)

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import ClassVar, TypedDict, Unpack

import httpx

from trade_tracker.config import Settings
from trade_tracker.errors import ConfigError, ExchangeStatusError, InvalidArgument
from trade_tracker.formats import check_order_id, check_product_id, iso_utc, parse_timestamp

from ..candles import AdvancedCandleRequests
from ..http import HttpOptions, http_settings
from ..ratelimit import Bucket, RateLimits
from ..retries import RetryPolicy
from .answers import CursorGuard, status_error
from .auth import CdpJwtAuth, ServerClock, server_epoch
from .keys import CdpKey
from .limits import ADVANCED_LIMITS, HeaderGate, advanced_bucket
from .models import (
    Account,
    AccountPage,
    FillPage,
    KeyPermissions,
    OrderPage,
    Portfolio,
    PortfolioList,
    Product,
    ProductList,
    ServerTime,
    Ticker,
)

__all__ = ["API_PREFIX", "MAX_FILL_LIMIT", "ORDER_STATUSES", "AdvancedTradeClient", "FillFilters"]

API_PREFIX = "/api/v3/brokerage"
#: The largest fills page asked for: 250 is proven (CCXT); the server may answer fewer.
MAX_FILL_LIMIT = 250
_ACCOUNTS_LIMIT = 250
ORDER_STATUSES = frozenset(
    {"OPEN", "FILLED", "CANCELLED", "EXPIRED", "FAILED", "QUEUED", "CANCEL_QUEUED", "PENDING", "UNKNOWN_ORDER_STATUS"}
)
Params = list[tuple[str, str]]


class FillFilters(TypedDict, total=False):
    """The filters of :meth:`AdvancedTradeClient.fill_page`, which a walk of pages passes on unchanged."""

    product_ids: Sequence[str] | None
    order_ids: Sequence[str] | None
    start: datetime | str | None
    end: datetime | str | None
    limit: int


class AdvancedTradeClient(AdvancedCandleRequests):  # candles(): venues/candles.py
    """An async Coinbase Advanced Trade REST client over one ``httpx.AsyncClient``.

    Args:
        base_url: the API host, e.g. ``https://api.coinbase.com`` (``/api/v3/brokerage`` is added here).
        key: the CDP key for private endpoints; public ones (``/time``, ``/market/...``) work without.
        rate_limits: the client-side buckets; by default one set per process at :data:`ADVANCED_LIMITS`.
        clock: the server-corrected clock the JWTs are dated by (and the rate-limit resets read with).
        sleep: what waits out an announced rate-limit reset (tests pass a fake).
        credential_check: called before every signature; raises when the key may no longer be used.
        The rest as :class:`~trade_tracker.venues.http.VenueHttp`.
    """

    venue_id: ClassVar[str] = "advanced"
    title = "Coinbase Advanced Trade"
    url_setting = "AT_BASE_URL"
    timeout_setting = "EX_HTTP_TIMEOUT"

    def __init__(
        self,
        base_url: str,
        key: CdpKey | None = None,
        *,
        clock: ServerClock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        credential_check: Callable[[], None] | None = None,
        **http: Unpack[HttpOptions],
    ) -> None:
        self.key = key
        self.clock = clock or ServerClock()
        self.root = base_url.rstrip("/")
        api = f"{self.root}{API_PREFIX}"
        self.gate = HeaderGate(self.clock.now, sleep)
        self.jwt_auth = CdpJwtAuth(key, self.clock, f"{api}/time", check=credential_check) if key else None
        http["rate_limits"] = http.get("rate_limits") or _shared_limits()
        super().__init__(api, self.jwt_auth, **http)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        key: CdpKey | None = None,
        *,
        rate_limits: RateLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        credential_check: Callable[[], None] | None = None,
    ) -> AdvancedTradeClient:
        """The client as trade-tracker runs it: ``AT_BASE_URL``, the timeouts and retry bounds from the
        settings, and the Advanced Trade limits shared with every process using the same home and URL."""
        shared = RateLimits.across_processes(
            settings.trade_tracker_home, "advanced", settings.at_base_url, ADVANCED_LIMITS
        )
        return cls(
            settings.at_base_url,
            key,
            rate_limits=rate_limits or shared,
            transport=transport,
            credential_check=credential_check,
            **http_settings(settings, retry),
        )

    def __repr__(self) -> str:
        return f"AdvancedTradeClient(base_url={self.root!r}, key={self.key!r})"

    @property
    def label(self) -> str:
        return self.key.label if self.key else "(none)"

    def _missing_credential(self, method: str, path: str) -> ConfigError:
        return ConfigError(
            f"{method} {path} needs a Coinbase Advanced Trade (CDP) key: store one with `trade-tracker credentials "
            "add --label NAME --venue advanced --key-file PATH`, or set AT_API_KEY_NAME and AT_API_SECRET"
        )

    def _bucket(self, path: str) -> Bucket:
        return advanced_bucket(path)

    def _status_error(self, method: str, path: str, response: httpx.Response) -> ExchangeStatusError:
        return status_error(method, path, response, label=self.label, base_url=self.root, attempts=self.retry.attempts)

    async def _attempt(
        self, method: str, path: str, params: Sequence[tuple[str, str]] | None, private: bool, deadline: float
    ) -> httpx.Response:
        """One attempt, held first until any reset the server announced for its bucket; its answer's
        ``x-ratelimit-*`` headers noted for the next. The auth's own requests (``GET /time``, the re-signed
        retry after a 401) count in ``requests_sent`` too."""
        bucket = self._bucket(path)
        await self.gate.wait(bucket)
        try:
            response = await super()._attempt(method, path, params, private, deadline)
        finally:
            if private and self.jwt_auth is not None:
                self.requests_sent += self.jwt_auth.take_extra()
        self.gate.note(bucket, response)
        return response

    # -- public endpoints (no JWT) ---------------------------------------------------------

    async def server_time(self) -> ServerTime:
        """``GET /time``: Coinbase's clock; the JWT clock is corrected from it too."""
        answer = await self._get_model("/time", ServerTime, private=False)
        epoch = server_epoch(json.dumps({"epochSeconds": answer.epoch_seconds}).encode())
        if epoch is not None:
            self.clock.correct(epoch)
        return answer

    async def list_products(
        self, *, product_type: str | None = None, product_ids: Sequence[str] | None = None
    ) -> list[Product]:
        """``GET /market/products``: every product (``product_type`` SPOT or FUTURE; ``product_ids`` repeated)."""
        params: Params = [("product_ids", p) for p in _product_ids(product_ids)]
        if product_type is not None:
            if product_type not in ("SPOT", "FUTURE"):
                raise InvalidArgument("product_type must be SPOT or FUTURE")
            params.append(("product_type", product_type))
        answer = await self._get_model("/market/products", ProductList, private=False, params=params)
        return answer.products

    async def get_ticker(self, product_id: str) -> Ticker:
        """``GET /market/products/{id}/ticker?limit=1``: the last market trade and the best bid and ask."""
        path = f"/market/products/{check_product_id(product_id)}/ticker"
        return await self._get_model(path, Ticker, private=False, params=[("limit", "1")])

    # -- private endpoints (JWT) -----------------------------------------------------------

    async def list_accounts(self) -> list[Account]:
        """``GET /accounts``, every page: one account per currency of the key's portfolio."""
        accounts: list[Account] = []
        guard, cursor = CursorGuard("/accounts"), None
        while True:
            params: Params = [("limit", str(_ACCOUNTS_LIMIT))] + ([("cursor", cursor)] if cursor else [])
            page = await self._get_model("/accounts", AccountPage, private=True, params=params)
            accounts += page.accounts
            cursor = guard.next(page.cursor if page.has_next else None, len(page.accounts))
            if cursor is None:
                return accounts

    async def list_orders(
        self,
        *,
        order_status: Sequence[str] | None = None,
        product_ids: Sequence[str] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> OrderPage:
        """``GET /orders/historical/batch``: one page of orders, newest first; ``cursor`` of the next page
        (None at the end). ``order_status`` and ``product_ids`` are sent as repeated keys."""
        params: Params = []
        for status in order_status or ():
            if status not in ORDER_STATUSES:
                raise InvalidArgument(
                    f"unknown order status {str(status)[:40]!r}; use one of {', '.join(sorted(ORDER_STATUSES))}"
                )
            params.append(("order_status", status))
        params += [("product_ids", p) for p in _product_ids(product_ids)]
        params += [("limit", str(_check_limit(limit, 1000)))] + _cursor_param(cursor)
        page = await self._get_model("/orders/historical/batch", OrderPage, private=True, params=params)
        ends = not page.has_next or not page.orders or not page.cursor
        return page.model_copy(update={"cursor": None if ends else page.cursor})

    async def fill_page(
        self,
        *,
        product_ids: Sequence[str] | None = None,
        order_ids: Sequence[str] | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        limit: int = MAX_FILL_LIMIT,
        cursor: str | None = None,
    ) -> FillPage:
        """``GET /orders/historical/fills``: one page of fills of the whole account (no product needed),
        with the cursor of the next page (None when the API answered ``""``). ``start``/``end`` bound
        ``start_sequence_timestamp``/``end_sequence_timestamp``: a text is sent exactly as given."""
        params: Params = [("product_ids", p) for p in _product_ids(product_ids)]
        params += [("order_ids", check_order_id(o)) for o in _listed("order_ids", order_ids)]
        params += _time_param("start_sequence_timestamp", start) + _time_param("end_sequence_timestamp", end)
        params += [("limit", str(_check_limit(limit, MAX_FILL_LIMIT)))] + _cursor_param(cursor)
        page = await self._get_model("/orders/historical/fills", FillPage, private=True, params=params)
        return page if page.cursor else page.model_copy(update={"cursor": None})

    async def iter_fill_pages(
        self, *, cursor: str | None = None, **filters: Unpack[FillFilters]
    ) -> AsyncIterator[FillPage]:
        """Every page of fills from ``cursor`` on, the filters of :meth:`fill_page` kept identical between
        pages (passed on as given, so a misspelt one fails there). Ends on an empty cursor or an empty page
        (a short page is normal); a repeated cursor raises after the pages before it."""
        guard = CursorGuard("/orders/historical/fills", cursor)
        while True:
            page = await self.fill_page(cursor=cursor, **filters)
            if page.fills:
                yield page
            cursor = guard.next(page.cursor, len(page.fills))
            if cursor is None:
                return

    async def key_permissions(self) -> KeyPermissions:
        """``GET /key_permissions``: can_view / can_trade / can_transfer and the key's one portfolio."""
        return await self._get_model("/key_permissions", KeyPermissions, private=True)

    async def portfolios(self, portfolio_type: str | None = None) -> list[Portfolio]:
        """``GET /portfolios``: the user's portfolios (a key sees the fills of its own one only)."""
        params: Params = [("portfolio_type", _word("portfolio_type", portfolio_type))] if portfolio_type else []
        answer = await self._get_model("/portfolios", PortfolioList, private=True, params=params)
        return answer.portfolios


def _shared_limits() -> RateLimits:
    """The process-wide Advanced Trade buckets (one object per process, as for Exchange)."""
    return RateLimits.shared(ADVANCED_LIMITS)


def _listed(name: str, values: Sequence[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise InvalidArgument(f"{name} must be a list of ids")
    return list(values)


def _product_ids(values: Sequence[str] | None) -> list[str]:
    return [check_product_id(p) for p in _listed("product_ids", values)]


def _check_limit(limit: int, most: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise InvalidArgument(f"limit must be a whole number from 1 to {most}")
    return limit


def _cursor_param(cursor: str | None) -> Params:
    if cursor is None or cursor == "":
        return []
    if not isinstance(cursor, str) or len(cursor) > 512 or not cursor.isascii() or not cursor.isprintable():
        raise InvalidArgument("cursor must be the opaque text a previous page returned")
    return [("cursor", cursor)]


def _time_param(name: str, value: datetime | str | None) -> Params:
    if value is None:
        return []
    if isinstance(value, datetime):
        return [(name, iso_utc(value))]
    try:
        parse_timestamp(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name} must be an RFC 3339 timestamp (got {str(value)[:40]!r})") from None
    return [(name, value)]


def _word(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.replace("_", "").isalnum() or len(value) > 40:
        raise InvalidArgument(f"{name} must be a word such as DEFAULT")
    return value
