"""The async Coinbase Exchange client: endpoints, cursor paging, rate limits, retries.

This module is the one boundary where httpx meets the rest of trade-tracker: every
httpx exception and every non-2xx answer is translated here into the tree in
``errors.py``, with a message a trader can act on. No httpx exception escapes.

Retries (stamina, rules in ``retries.py``): 429, 500, 502, 503, 504 and connect
errors, for GET only, with capped exponential backoff and jitter, bounded in attempts
and in total time. A ``Retry-After`` header (seconds or an HTTP date) is honoured when
present. Other 4xx answers are never retried, and neither is anything but a GET. A
refused connection (nothing listening: usually a wrong ``EX_BASE_URL``) gets at most two
quick retries, under 3 s in all. Each retry is logged at INFO on our own logger.

Deadlines: httpx's timeouts are per read, so a server that trickles one byte at a
time could hold a call forever. Every attempt therefore has one deadline for the
whole exchange, connect to last byte (``EX_HTTP_TIMEOUT``), and the whole call one
of the retry budget plus that (``EX_RETRY_TIMEOUT + EX_HTTP_TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Self

import httpx
from pydantic import TypeAdapter, ValidationError

from trade_tracker import __version__
from trade_tracker.config import Settings
from trade_tracker.errors import (
    AuthenticationError,
    BadRequest,
    ConfigError,
    ExchangeError,
    ExchangeProtocolError,
    ExchangeStatusError,
    ExchangeUnavailable,
    ExchangeUnreachable,
    InvalidApiKey,
    InvalidArgument,
    InvalidPassphrase,
    InvalidSignature,
    MissingAuthHeader,
    NotFound,
    PermissionDenied,
    RateLimited,
    TimestampExpired,
)
from trade_tracker.formats import ORDER_ID_PATTERN, check_order_id, check_product_id, iso_utc, parse_timestamp

from ..ratelimit import RateLimits, bucket_for_path
from ..retries import (
    CURRENT_REQUEST,
    RETRY_STATUSES,
    AttemptTimedOut,
    Backoff,
    RetryableAnswer,
    RetryPolicy,
    install_retry_log,
    is_connection_refused,
)
from .activity import LedgerEntry, LedgerPage, OrderPage
from .auth import ApiCredential, CoinbaseAuth, ServerClock
from .models import Account, Fill, FillPage, Order, Product, Profile, ServerTime, Stats, Ticker
from .params import MAX_FILLS_LIMIT, ORDER_STATUSES, check_cursor

__all__ = ["CoinbaseClient"]

log = logging.getLogger("trade_tracker.coinbase")

def _api_message(response: httpx.Response) -> str | None:
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"][:300]
    return None


_AUTH_MESSAGES: tuple[tuple[str, type[AuthenticationError], str], ...] = (
    (
        "invalid signature",
        InvalidSignature,
        "the signature did not verify: the API secret is wrong (re-enter it exactly as Coinbase "
        "showed it), or this machine's clock is far off",
    ),
    (
        "invalid passphrase",
        InvalidPassphrase,
        "the passphrase is wrong: use the passphrase you set when you created the API key, "
        "not your Coinbase login password",
    ),
    (
        "invalid api key",
        InvalidApiKey,
        "the exchange does not know this key: check it is a Coinbase Exchange key made for this "
        "environment (sandbox keys work only on the sandbox, production keys only on production), "
        "and not a CDP / Advanced Trade key, which this API does not take",
    ),
    (
        "timestamp expired",
        TimestampExpired,
        "the request timestamp was more than 30 s from the exchange's clock, even after correcting "
        "from GET /time: fix this machine's clock (NTP)",
    ),
    (
        "header is required",
        MissingAuthHeader,
        "the request was not signed: this endpoint needs a stored credential",
    ),
)

_PERMISSION_FOR = {
    "/accounts": "View",
    "/orders": "View (or Trade)",
    "/fills": "View (or Trade)",
    "/profiles": "View",
}


class CoinbaseClient:
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

    def __init__(
        self,
        base_url: str,
        credential: ApiCredential | None = None,
        *,
        timeout: float | httpx.Timeout = 15.0,
        retry: RetryPolicy | None = None,
        rate_limits: RateLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: ServerClock | None = None,
        attempt_timeout: float | None = None,
        credential_check: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        self.retry = retry or RetryPolicy()
        self.rate_limits = rate_limits or RateLimits.shared()
        self.clock = clock or ServerClock()
        self.requests_sent = 0
        timeouts = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.attempt_timeout = float(attempt_timeout or timeouts.read or timeouts.connect or 15.0)
        self._auth = (
            CoinbaseAuth(credential, self.clock, time_url=f"{self.base_url}/time", check=credential_check)
            if credential else None
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeouts,
            transport=transport,
            headers={"User-Agent": f"trade-tracker/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )

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
            timeout=httpx.Timeout(settings.http_timeout, connect=settings.connect_timeout),
            retry=retry or RetryPolicy(attempts=settings.retry_attempts, timeout=settings.retry_timeout),
            rate_limits=rate_limits or RateLimits.across_processes(settings.trade_tracker_home, settings.ex_base_url),
            transport=transport,
            attempt_timeout=settings.http_timeout,
            credential_check=credential_check,
        )

    def __repr__(self) -> str:
        return f"CoinbaseClient(base_url={self.base_url!r}, credential={self.credential!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def label(self) -> str:
        return self.credential.label if self.credential else "(none)"

    # -- the one request path ------------------------------------------------------------

    async def _request(
        self,
        method: Literal["GET", "POST"],
        path: str,
        params: Sequence[tuple[str, str]] | None = None,
        *,
        private: bool,
    ) -> httpx.Response:
        if private and self._auth is None:
            raise ConfigError(
                f"{method} {path} needs a Coinbase Exchange credential: store one with "
                "`trade-tracker credentials add --label NAME` or set EX_API_KEY_READ, "
                "EX_API_SECRET_READ and EX_API_PASSPHRASE_READ"
            )
        bucket = bucket_for_path(path)
        policy = self.retry
        backoff = Backoff(policy)
        deadline = backoff.started + policy.timeout + self.attempt_timeout  # the whole call, retries included

        import stamina  # imported on first request: keeps the server's cold start short

        install_retry_log()
        token = CURRENT_REQUEST.set(f"{method} {path}")
        try:
            async for attempt in stamina.retry_context(
                on=backoff,
                attempts=policy.attempts if method == "GET" else 1,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    await self.rate_limits.acquire(bucket)
                    response = await self._attempt(method, path, params, private, deadline)
                    log.debug("%s %s -> %s", method, path, response.status_code)
                    if response.status_code in RETRY_STATUSES:
                        raise RetryableAnswer(response)
        except RetryableAnswer as exc:
            raise self._status_error(method, path, exc.response) from None
        except AttemptTimedOut as exc:
            raise ExchangeUnreachable(
                f"Coinbase Exchange at {self.base_url} did not finish answering {method} {path} within "
                f"{exc.seconds:g} s; check the network, or raise EX_HTTP_TIMEOUT"
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(method, path, exc) from exc
        finally:
            CURRENT_REQUEST.reset(token)
        if response.is_success:
            return response
        raise self._status_error(method, path, response)

    async def _attempt(
        self, method: str, path: str, params: Sequence[tuple[str, str]] | None, private: bool, deadline: float
    ) -> httpx.Response:
        """One attempt, connect to last byte, under one deadline: httpx's timeouts are per read, so
        without this a server sending a byte every few seconds could hold the call indefinitely."""
        seconds = min(self.attempt_timeout, deadline - time.monotonic())
        if seconds <= 0:
            raise AttemptTimedOut(round(self.attempt_timeout, 3))
        self.requests_sent += 1
        timer = asyncio.timeout(seconds)
        try:
            async with timer:
                return await self._http.request(method, path, params=params, auth=self._auth if private else None)
        except TimeoutError:
            if timer.expired():
                raise AttemptTimedOut(round(seconds, 3)) from None
            raise

    def _transport_error(self, method: str, path: str, exc: httpx.HTTPError) -> ExchangeError:
        kind = type(exc).__name__
        if is_connection_refused(exc):
            return ExchangeUnreachable(
                f"nothing is listening at {self.base_url} (connection refused on {method} {path}): "
                "is EX_BASE_URL right?"
            )
        if isinstance(exc, httpx.TimeoutException):
            return ExchangeUnreachable(
                f"Coinbase Exchange at {self.base_url} did not answer {method} {path} in time ({kind}); "
                "check the network, or raise EX_HTTP_TIMEOUT"
            )
        if isinstance(exc, httpx.TransportError):
            return ExchangeUnreachable(
                f"Coinbase Exchange at {self.base_url} is unreachable ({kind} on {method} {path}); "
                "check the network and EX_BASE_URL"
            )
        return ExchangeError(f"{method} {path} failed: {kind}")

    def _status_error(self, method: str, path: str, response: httpx.Response) -> ExchangeStatusError:
        status = response.status_code
        api_message = _api_message(response)
        said = f"Coinbase answered {status} {api_message!r}" if api_message else f"Coinbase answered {status}"
        where = f"{method} {path}"
        lowered = (api_message or "").lower()
        if status == 401 or (status == 400 and any(m in lowered for m, _, _ in _AUTH_MESSAGES)):
            for needle, cls, hint in _AUTH_MESSAGES:
                if needle in lowered:
                    return cls(
                        f"credential '{self.label}' was rejected on {where} ({said}): {hint}",
                        status_code=status,
                        api_message=api_message,
                    )
            return AuthenticationError(
                f"credential '{self.label}' was rejected on {where} ({said}); check the key, secret "
                "and passphrase",
                status_code=status,
                api_message=api_message,
            )
        if status == 403:
            needed = _PERMISSION_FOR.get(path, "a permission it lacks")
            return PermissionDenied(
                f"credential '{self.label}' may not call {where} ({said}): the API key needs the "
                f"{needed} permission; edit the key's permissions on Coinbase Exchange",
                status_code=status,
                api_message=api_message,
            )
        if status == 404:
            return NotFound(
                f"{where}: not found ({said}); check the product or order id (list_products shows ids)",
                status_code=status,
                api_message=api_message,
            )
        if status == 429:
            return RateLimited(
                f"{where}: still rate limited after {self.retry.attempts} attempts ({said}); "
                "wait a few seconds and try again",
                status_code=status,
                api_message=api_message,
            )
        if status >= 500:
            return ExchangeUnavailable(
                f"Coinbase Exchange at {self.base_url} failed on {where} ({said}) after retrying; "
                "try again later",
                status_code=status,
                api_message=api_message,
            )
        if status == 400:
            return BadRequest(f"Coinbase rejected {where}: {api_message or 'bad request'}",
                              status_code=status, api_message=api_message)
        return ExchangeStatusError(f"{where}: unexpected answer ({said})", status_code=status,
                                   api_message=api_message)

    def _parse(self, response: httpx.Response, adapter: TypeAdapter[Any], what: str) -> Any:
        """The one decoding point of the exchange's answers: JSON numbers become Decimal, never float
        (pydantic's own JSON parser reads them as float: 123456789012345678.123456789 would lose digits),
        then the models check every field once."""
        try:
            data = json.loads(response.content, parse_float=Decimal, parse_constant=_no_json_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, a 5000-digit int, NaN, deep nesting
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else (
                "nested too deeply" if isinstance(exc, RecursionError) else str(exc))
            raise ExchangeProtocolError(
                f"{what} from {self.base_url} did not answer valid JSON ({str(reason)[:80]}); "
                "is EX_BASE_URL a Coinbase Exchange API?"
            ) from None
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[:1]
            detail = f"{'.'.join(map(str, first[0]['loc']))}: {first[0]['msg']}" if first else "invalid"
            raise ExchangeProtocolError(
                f"{what} from {self.base_url} did not match the documented shape ({detail}); "
                "is EX_BASE_URL a Coinbase Exchange API?"
            ) from None

    async def _get_model(self, path: str, model: Any, *, private: bool,
                         params: Sequence[tuple[str, str]] | None = None) -> Any:
        response = await self._request("GET", path, params, private=private)
        return self._parse(response, _adapter(model), f"GET {path}")

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
        return await self._get_model(f"/products/{check_product_id(product_id)}/ticker", Ticker,
                                     private=False)

    async def get_stats(self, product_id: str) -> Stats:
        """``GET /products/{id}/stats``: 24h open/high/low/last and volume (base units)."""
        return await self._get_model(f"/products/{check_product_id(product_id)}/stats", Stats,
                                     private=False)

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
                raise InvalidArgument(
                    f"unknown order status {s!r}; use one of {', '.join(sorted(ORDER_STATUSES))}"
                )
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
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidArgument("limit must be a whole number from 1 to 1000")
        params.append(("limit", str(limit)))
        params += _date_params(start_date, end_date)
        if after is not None:
            params.append(("after", _date_cursor("/orders", "after", after)))
        response = await self._request("GET", "/orders", params, private=True)
        orders = self._parse(response, _adapter(list[Order]), "GET /orders")
        return OrderPage(orders=orders, before=_header_date(response, "CB-BEFORE"),
                         after=_header_date(response, "CB-AFTER"))

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
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidArgument("limit must be a whole number from 1 to 1000")
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
        entries = self._parse(response, _adapter(list[LedgerEntry]), f"GET {path}")
        return LedgerPage(entries=entries, before=_ledger_cursor(response, "CB-BEFORE"),
                          after=_ledger_cursor(response, "CB-AFTER"))

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
        fills = self._parse(response, _adapter(list[Fill]), "GET /fills")
        return FillPage(fills=fills, before=_cursor_header(response, "CB-BEFORE"),
                        after=_cursor_header(response, "CB-AFTER"))

    @staticmethod
    def _fill_params(
        product_id: str | None, order_id: str | None, limit: int,
        before: int | str | None, after: int | str | None,
    ) -> list[tuple[str, str]]:
        if product_id is None and order_id is None:
            raise InvalidArgument(
                "/fills needs product_id or order_id (Coinbase refuses a request with neither)"
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_FILLS_LIMIT:
            raise InvalidArgument(f"limit must be a whole number from 1 to {MAX_FILLS_LIMIT}")
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
                product_id, order_id, limit,
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
    params = []
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


def _ledger_cursor(response: httpx.Response, name: str) -> str | None:
    """A ledger ``CB-BEFORE``/``CB-AFTER`` cursor: an entry id (digits), or None; junk is a protocol error."""
    value = response.headers.get(name) or None
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ExchangeProtocolError(f"the ledger answered a {name} header that is not an entry id ({value[:40]!r})")
    return value


def _header_date(response: httpx.Response, name: str) -> str | None:
    """A ``CB-BEFORE``/``CB-AFTER`` date cursor of ``/orders``, or None; junk is a protocol error."""
    value = response.headers.get(name) or None
    if value is not None:
        try:
            parse_timestamp(value)
        except (TypeError, ValueError):
            raise ExchangeProtocolError(
                f"/orders answered a {name} header that is not a date ({value[:40]!r})"
            ) from None
    return value


def _no_json_constant(name: str) -> Any:
    """``NaN``/``Infinity`` are not JSON, and never money: refuse them while decoding."""
    raise ValueError(f"{name} is not a JSON number")


def _cursor_header(response: httpx.Response, name: str) -> str | None:
    """A ``CB-BEFORE``/``CB-AFTER`` cursor: a trade_id, or None when absent; anything else is the
    exchange's fault, said once here so no caller turns a junk header into a crash or a loop."""
    value = response.headers.get(name) or None
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ExchangeProtocolError(f"/fills answered a {name} header that is not a trade_id ({value[:40]!r})")
    return value


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter
