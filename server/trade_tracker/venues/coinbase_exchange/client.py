"""The async Coinbase Exchange client: its endpoints, cursor paging, and what its answers mean.

The request machinery (rate limits, retries, deadlines, translating httpx's exceptions, decoding
JSON) is :class:`~trade_tracker.venues.http.VenueHttp`; this module adds the Exchange's own part:
signing (``auth.py``), the bucket of each path (``limits.py``), and the table that turns a non-2xx
answer into an error of ``errors.py`` with a message a trader can act on. No httpx exception escapes.
The bounds: each attempt ``EX_HTTP_TIMEOUT`` connect to last byte, the whole call
``EX_RETRY_TIMEOUT + EX_HTTP_TIMEOUT``.
"""

# pyright: reportUnnecessaryIsInstance=false
# (every request's arguments are checked at run time too: tools and the CLI pass values in from outside)

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import ClassVar, Unpack

import httpx

from trade_tracker.config import Settings
from trade_tracker.errors import (
    ConfigError,
    ExchangeProtocolError,
    ExchangeStatusError,
    InvalidArgument,
)
from trade_tracker.formats import (
    ORDER_ID_PATTERN,
    check_limit,
    check_order_id,
    check_product_id,
    iso_utc,
    parse_timestamp,
)

from ..candles import ExchangeCandleRequests
from ..http import HttpOptions, adapter_for, http_settings
from ..ratelimit import Bucket, RateLimits
from ..retries import (
    RetryPolicy,
)
from .activity import LedgerEntry, LedgerPage, OrderPage
from .answers import fills_cursor, ledger_cursor, orders_cursor, status_error
from .auth import ApiCredential, CoinbaseAuth, ServerClock
from .limits import BUCKETS, bucket_for_path, exchange_rate_limits
from .models import Account, Fill, FillPage, Order, Product, Profile, ServerTime, Stats, Ticker
from .params import MAX_FILLS_LIMIT, ORDER_STATUSES, check_cursor

__all__ = ["CoinbaseClient"]


class CoinbaseClient(ExchangeCandleRequests):  # candles(): venues/candles.py
    """An async Coinbase Exchange REST client over one ``httpx.AsyncClient``.

    Args:
        base_url: e.g. the sandbox ``https://api-public.sandbox.exchange.coinbase.com``.
        credential: needed for private endpoints; public ones work without.
        timeout: seconds per read/write, or an ``httpx.Timeout``.
        retry: the bounded retry policy.
        rate_limits: the client-side buckets; the process-wide shared ones by default.
        transport: an httpx transport (tests pass respx's or an ASGI one).
        attempt_timeout: the most seconds one attempt may take, connect to last byte; by default
            the read timeout. The whole call is bounded by ``retry.timeout`` plus this.
        credential_check: called before every signed request; raises when the credential may no
            longer be used (e.g. another process replaced it), so no request is signed with it.
    """

    #: The venue this client serves (``VENUES`` key): the sync engine drives it as that venue.
    venue_id: ClassVar[str] = "exchange"

    def __init__(
        self,
        base_url: str,
        credential: ApiCredential | None = None,
        *,
        clock: ServerClock | None = None,
        credential_check: Callable[[], None] | None = None,
        **http: Unpack[HttpOptions],
    ) -> None:
        self.credential = credential
        self.clock = clock or ServerClock()
        root = base_url.rstrip("/")
        auth = (
            CoinbaseAuth(credential, self.clock, time_url=f"{root}/time", check=credential_check)
            if credential
            else None
        )
        super().__init__(root, auth, **http)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        credential: ApiCredential | None = None,
        *,
        rate_limits: RateLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        credential_check: Callable[[], None] | None = None,
    ) -> CoinbaseClient:
        """The client as trade-tracker runs it: ``EX_BASE_URL``, the timeouts and retry bounds from the
        settings, and rate limits shared with every process using the same ``TRADE_TRACKER_HOME``."""
        return cls(
            settings.ex_base_url,
            credential,
            rate_limits=rate_limits or exchange_rate_limits(settings),
            transport=transport,
            credential_check=credential_check,
            **http_settings(settings, retry),
        )

    def __repr__(self) -> str:
        return f"CoinbaseClient(base_url={self.base_url!r}, credential={self.credential!r})"

    title = "Coinbase Exchange"
    url_setting = "EX_BASE_URL"
    timeout_setting = "EX_HTTP_TIMEOUT"
    rate_table = BUCKETS

    @property
    def label(self) -> str:
        return self.credential.label if self.credential else "(none)"

    def _missing_credential(self, method: str, path: str) -> ConfigError:
        return ConfigError(
            f"{method} {path} needs a Coinbase Exchange credential: store one with "
            "`trade-tracker credentials add --label NAME` or set EX_API_KEY_READ, "
            "EX_API_SECRET_READ and EX_API_PASSPHRASE_READ"
        )

    def _bucket(self, path: str) -> Bucket:
        return bucket_for_path(path)

    def _status_error(self, method: str, path: str, response: httpx.Response) -> ExchangeStatusError:
        return status_error(
            method, path, response, label=self.label, base_url=self.base_url, attempts=self.retry.attempts
        )

    # -- public endpoints ------------------------------------------------------------------

    async def get_time(self) -> ServerTime:
        """``GET /time``: the exchange's clock (also used to correct ours)."""
        return await self._get_model("/time", ServerTime, private=False)

    async def list_products(self, type: str | None = None) -> list[Product]:
        """``GET /products``: every product, delisted ones included (watch ``status``)."""
        params = [("type", type)] if type else None
        return await self._get_model("/products", list[Product], private=False, params=params)

    async def get_product(self, product_id: str) -> Product:
        """``GET /products/{id}``."""
        return await self._get_model(f"/products/{check_product_id(product_id)}", Product, private=False)

    async def get_ticker(self, product_id: str) -> Ticker:
        """``GET /products/{id}/ticker``: last trade, best bid/ask and 24h volume."""
        return await self._get_model(f"/products/{check_product_id(product_id)}/ticker", Ticker, private=False)

    async def get_stats(self, product_id: str) -> Stats:
        """``GET /products/{id}/stats``: 24h open/high/low/last and volume (base units)."""
        return await self._get_model(f"/products/{check_product_id(product_id)}/stats", Stats, private=False)

    # -- private endpoints -----------------------------------------------------------------

    async def list_accounts(self) -> list[Account]:
        """``GET /accounts``: one account per currency of the key's profile (View permission)."""
        return await self._get_model("/accounts", list[Account], private=True)

    async def list_profiles(self, active: bool | None = None) -> list[Profile]:
        """``GET /profiles``."""
        params = [("active", "true" if active else "false")] if active is not None else None
        return await self._get_model("/profiles", list[Profile], private=True, params=params)

    async def list_orders(
        self,
        status: Sequence[str] | None = None,
        product_id: str | None = None,
        limit: int = 100,
        before: str | None = None,
        after: str | None = None,
    ) -> list[Order]:
        """``GET /orders``: one page of orders, newest first.

        With no ``status``, Coinbase returns **only open (and pending/active) orders**;
        pass ``status=["done"]`` or ``["all"]`` for history. Several statuses are sent as
        a repeated parameter (``status=done&status=open``). ``before``/``after`` are
        ``created_at`` dates on this endpoint, not ids.
        """
        params: list[tuple[str, str]] = []
        for s in status or ():
            if s not in ORDER_STATUSES:
                raise InvalidArgument(f"unknown order status {s!r}; use one of {', '.join(sorted(ORDER_STATUSES))}")
            params.append(("status", s))
        if product_id is not None:
            params.append(("product_id", check_product_id(product_id)))
        if not 1 <= limit <= 1000:
            raise InvalidArgument("limit must be between 1 and 1000")
        params.append(("limit", str(limit)))
        if before is not None:
            params.append(("before", before))
        if after is not None:
            params.append(("after", after))
        return await self._get_model("/orders", list[Order], private=True, params=params)

    async def list_order_page(
        self,
        status: Sequence[str] = ("all",),
        *,
        product_id: str | None = None,
        limit: int = 1000,
        after: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> OrderPage:
        """``GET /orders``, one page with its ``created_at`` cursors: for walking order history.

        ``status`` defaults to ``all`` (open, pending, active, done...): the default of the API
        itself is open orders only. ``after=<CB-AFTER>`` pages older; ``start_date`` /
        ``end_date`` (inclusive) bound ``created_at``, sent as ISO UTC with microseconds.
        """
        params: list[tuple[str, str]] = []
        for s in status:
            if s not in ORDER_STATUSES:
                raise InvalidArgument(f"unknown order status {s!r}; use one of {', '.join(sorted(ORDER_STATUSES))}")
            params.append(("status", s))
        if product_id is not None:
            params.append(("product_id", check_product_id(product_id)))
        check_limit(limit, 1000, "limit")
        params.append(("limit", str(limit)))
        params += _date_params(start_date, end_date)
        if after is not None:
            params.append(("after", _date_cursor("/orders", "after", after)))
        response = await self._request("GET", "/orders", params, private=True)
        orders = self._parse(response, adapter_for(list[Order]), "GET /orders")
        return OrderPage(
            orders=orders, before=orders_cursor(response, "CB-BEFORE"), after=orders_cursor(response, "CB-AFTER")
        )

    async def list_ledger(
        self,
        account_id: str,
        *,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        before: str | None = None,
        after: str | None = None,
        limit: int = 1000,
    ) -> LedgerPage:
        """``GET /accounts/{id}/ledger``: one page of an account's movements, newest first.

        Careful: with neither ``start_date`` nor ``end_date`` Coinbase answers **only the past
        day**; pass ``start_date`` for history. ``after=<CB-AFTER>`` pages older (entry ids).
        """
        if not isinstance(account_id, str) or not _ACCOUNT_ID.fullmatch(account_id):
            raise InvalidArgument(f"account_id must be a UUID (got {str(account_id)[:40]!r})")
        check_limit(limit, 1000, "limit")
        params = [("limit", str(limit)), *_date_params(start_date, end_date)]
        before_text, after_text = check_cursor("before", before), check_cursor("after", after)
        if before_text is not None and after_text is not None:
            raise InvalidArgument("give before or after, not both")
        if before_text is not None:
            params.append(("before", before_text))
        if after_text is not None:
            params.append(("after", after_text))
        path = f"/accounts/{account_id}/ledger"
        response = await self._request("GET", path, params, private=True)
        entries = self._parse(response, adapter_for(list[LedgerEntry]), f"GET {path}")
        return LedgerPage(
            entries=entries, before=ledger_cursor(response, "CB-BEFORE"), after=ledger_cursor(response, "CB-AFTER")
        )

    async def list_fills(
        self,
        product_id: str | None = None,
        order_id: str | None = None,
        limit: int = MAX_FILLS_LIMIT,
        before: int | str | None = None,
        after: int | str | None = None,
    ) -> FillPage:
        """``GET /fills``: one page of fills, newest first (descending ``trade_id``).

        Coinbase requires ``product_id`` or ``order_id``; that is checked here, before any
        request. ``after=X`` pages older than trade X, ``before=X`` newer. The page carries
        the ``CB-BEFORE`` / ``CB-AFTER`` cursors for the next call.
        """
        params = self._fill_params(product_id, order_id, limit, before, after)
        response = await self._request("GET", "/fills", params, private=True)
        fills = self._parse(response, adapter_for(list[Fill]), "GET /fills")
        return FillPage(
            fills=fills, before=fills_cursor(response, "CB-BEFORE"), after=fills_cursor(response, "CB-AFTER")
        )

    @staticmethod
    def _fill_params(
        product_id: str | None,
        order_id: str | None,
        limit: int,
        before: int | str | None,
        after: int | str | None,
    ) -> list[tuple[str, str]]:
        if product_id is None and order_id is None:
            raise InvalidArgument("/fills needs product_id or order_id (Coinbase refuses a request with neither)")
        check_limit(limit, MAX_FILLS_LIMIT, "limit")
        before_text, after_text = check_cursor("before", before), check_cursor("after", after)
        if before_text is not None and after_text is not None:
            raise InvalidArgument("give before or after, not both")
        params: list[tuple[str, str]] = []
        if product_id is not None:
            params.append(("product_id", check_product_id(product_id)))
        if order_id is not None:
            params.append(("order_id", check_order_id(order_id)))
        params.append(("limit", str(limit)))
        if before_text is not None:
            params.append(("before", before_text))
        if after_text is not None:
            params.append(("after", after_text))
        return params

    async def iter_fill_pages(
        self,
        product_id: str | None = None,
        order_id: str | None = None,
        *,
        newer_than: int | None = None,
        older_than: int | None = None,
        limit: int = MAX_FILLS_LIMIT,
    ) -> AsyncIterator[FillPage]:
        """Walk ``/fills`` page by page.

        By default (or with ``older_than``) it pages *older* with ``after=<CB-AFTER>``;
        with ``newer_than`` it pages *newer* with ``before=<CB-BEFORE>``. It stops only
        on an empty page or a missing cursor header, never because a page was shorter
        than ``limit``: servers cap pages below what was asked.
        """
        if newer_than is not None and older_than is not None:
            raise InvalidArgument("give newer_than or older_than, not both")
        newer = newer_than is not None
        cursor: int | None = newer_than if newer else older_than
        while True:
            page = await self.list_fills(
                product_id,
                order_id,
                limit,
                before=cursor if newer else None,
                after=None if newer else cursor,
            )
            if not page.fills:
                return
            yield page
            header = page.before if newer else page.after
            if header is None:
                return
            next_cursor = int(header)  # list_fills checked it is a trade_id
            # The cursor must move strictly in the walk's direction, or paging could loop forever.
            if cursor is not None and (next_cursor <= int(cursor) if newer else next_cursor >= int(cursor)):
                raise ExchangeProtocolError(
                    f"/fills paging did not advance (cursor {cursor} then {next_cursor}); stopping to avoid a loop"
                )
            cursor = next_cursor


_ACCOUNT_ID = re.compile(ORDER_ID_PATTERN)


def _date_params(start: datetime | None, end: datetime | None) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for name, value in (("start_date", start), ("end_date", end)):
        if value is not None:
            if not isinstance(value, datetime):
                raise InvalidArgument(f"{name} must be a datetime")
            params.append((name, iso_utc(value)))
    return params


def _date_cursor(path: str, name: str, value: str) -> str:
    """A ``/orders`` cursor is a ``created_at`` text as the exchange sent it; check it reads as one."""
    try:
        parse_timestamp(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{path} {name} must be a created_at date, got {str(value)[:40]!r}") from None
    return value
