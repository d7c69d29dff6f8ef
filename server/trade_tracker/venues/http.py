"""The venue-generic request machinery: one ``httpx.AsyncClient``, bounded retries, deadlines, and the one
place where httpx's exceptions and the answers' JSON meet the rest of trade-tracker.

Retries (stamina, rules in ``retries.py``): 429, 500, 502, 503, 504 and connect errors, for GET only,
with capped exponential backoff and jitter, bounded in attempts and in total time. A ``Retry-After``
header (seconds or an HTTP date) is honoured when present. Other 4xx answers are never retried, and
neither is anything but a GET. A refused connection gets at most two quick retries, under 3 s in all.
Each retry is logged at INFO on the venue's logger.

Deadlines: httpx's timeouts are per read, so a server that trickles one byte at a time could hold a
call forever. Every attempt therefore has one deadline for the whole exchange, connect to last byte,
and the whole call one of the retry budget plus that.

A venue's client subclasses :class:`VenueHttp` and says what is its own: its name and settings (for the
messages), its rate-limit bucket per path, and how a non-2xx answer becomes an error of ``errors.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Literal, NoReturn, Self, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from trade_tracker import __version__
from trade_tracker.errors import (
    ConfigError,
    ExchangeError,
    ExchangeProtocolError,
    ExchangeStatusError,
    ExchangeUnreachable,
)

from .ratelimit import Bucket, BucketSpec, RateLimits
from .retries import (
    CURRENT_REQUEST,
    RETRY_STATUSES,
    AttemptTimedOut,
    Backoff,
    RetryableAnswer,
    RetryPolicy,
    install_retry_log,
    is_connection_refused,
)

__all__ = ["VenueHttp", "adapter_for"]

log = logging.getLogger("trade_tracker.coinbase")

T = TypeVar("T")


class VenueHttp:
    """The request path every venue client shares: rate limit, retry, one deadline per attempt, decode.

    Args:
        base_url: the venue's API root.
        auth: the signer of private requests (an ``httpx.Auth``), or None for public endpoints only.
        timeout: seconds per read/write, or an ``httpx.Timeout``.
        retry: the bounded retry policy.
        rate_limits: the client-side buckets; by default the process-wide ones of ``rate_table``.
        transport: an httpx transport (tests pass respx's or an ASGI one).
        attempt_timeout: the most seconds one attempt may take, connect to last byte; by default
            the read timeout. The whole call is bounded by ``retry.timeout`` plus this.
    """

    #: The venue's name, and the settings a message tells the user to check.
    title: ClassVar[str] = "the venue"
    url_setting: ClassVar[str] = "the base URL"
    timeout_setting: ClassVar[str] = "the HTTP timeout"
    #: The venue's documented rate limits (its ``limits.py`` table), for the default ``rate_limits``.
    rate_table: ClassVar[Mapping[Bucket, BucketSpec]] = {}

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth | None = None,
        *,
        timeout: float | httpx.Timeout = 15.0,
        retry: RetryPolicy | None = None,
        rate_limits: RateLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        attempt_timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.rate_limits = rate_limits or RateLimits.shared(self.rate_table)
        self.requests_sent: int = 0
        timeouts = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.attempt_timeout = float(attempt_timeout or timeouts.read or timeouts.connect or 15.0)
        self._auth = auth
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeouts,
            transport=transport,
            headers={"User-Agent": f"trade-tracker/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- what each venue says for itself ---------------------------------------------------

    def _missing_credential(self, method: str, path: str) -> ConfigError:
        """The error for a private request without a credential."""
        return ConfigError(f"{method} {path} needs a {self.title} credential")

    def _bucket(self, path: str) -> Bucket:
        """The rate-limit bucket a request to ``path`` draws from."""
        raise NotImplementedError

    def _status_error(self, method: str, path: str, response: httpx.Response) -> ExchangeStatusError:
        """A non-2xx answer (after any retries) as an error of ``errors.py``."""
        raise NotImplementedError

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
            raise self._missing_credential(method, path)
        bucket = self._bucket(path)
        policy = self.retry
        backoff = Backoff(policy)
        deadline = backoff.started + policy.timeout + self.attempt_timeout  # the whole call, retries included

        import stamina  # imported on first request: keeps the server's cold start short

        install_retry_log()
        token = CURRENT_REQUEST.set(f"{method} {path}")
        response: httpx.Response | None = None
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
                f"{self.title} at {self.base_url} did not finish answering {method} {path} within "
                f"{exc.seconds:g} s; check the network, or raise {self.timeout_setting}"
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(method, path, exc) from exc
        finally:
            CURRENT_REQUEST.reset(token)
        assert response is not None  # stamina makes at least one attempt, and each one sets it or raises
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
                return await self._http.request(
                    method, path, params=None if params is None else tuple(params), auth=self._auth if private else None
                )
        except TimeoutError:
            if timer.expired():
                raise AttemptTimedOut(round(seconds, 3)) from None
            raise

    def _transport_error(self, method: str, path: str, exc: httpx.HTTPError) -> ExchangeError:
        kind = type(exc).__name__
        if is_connection_refused(exc):
            return ExchangeUnreachable(
                f"nothing is listening at {self.base_url} (connection refused on {method} {path}): "
                f"is {self.url_setting} right?"
            )
        if isinstance(exc, httpx.TimeoutException):
            return ExchangeUnreachable(
                f"{self.title} at {self.base_url} did not answer {method} {path} in time ({kind}); "
                f"check the network, or raise {self.timeout_setting}"
            )
        if isinstance(exc, httpx.TransportError):
            return ExchangeUnreachable(
                f"{self.title} at {self.base_url} is unreachable ({kind} on {method} {path}); "
                f"check the network and {self.url_setting}"
            )
        return ExchangeError(f"{method} {path} failed: {kind}")

    def _parse(self, response: httpx.Response, adapter: TypeAdapter[T], what: str) -> T:
        """The one decoding point of the exchange's answers: JSON numbers become Decimal, never float
        (pydantic's own JSON parser reads them as float: 123456789012345678.123456789 would lose digits),
        then the models check every field once."""
        try:
            data = json.loads(response.content, parse_float=Decimal, parse_constant=_no_json_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, a 5000-digit int, NaN, deep nesting
            reason = (
                exc.msg
                if isinstance(exc, json.JSONDecodeError)
                else ("nested too deeply" if isinstance(exc, RecursionError) else str(exc))
            )
            raise ExchangeProtocolError(
                f"{what} from {self.base_url} did not answer valid JSON ({str(reason)[:80]}); "
                f"is {self.url_setting} a {self.title} API?"
            ) from None
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[:1]
            detail = f"{'.'.join(map(str, first[0]['loc']))}: {first[0]['msg']}" if first else "invalid"
            raise ExchangeProtocolError(
                f"{what} from {self.base_url} did not match the documented shape ({detail}); "
                f"is {self.url_setting} a {self.title} API?"
            ) from None

    async def _get_model(
        self, path: str, model: type[T], *, private: bool, params: Sequence[tuple[str, str]] | None = None
    ) -> T:
        response = await self._request("GET", path, params, private=private)
        return self._parse(response, adapter_for(model), f"GET {path}")


def _no_json_constant(name: str) -> NoReturn:
    """``NaN``/``Infinity`` are not JSON, and never money: refuse them while decoding."""
    raise ValueError(f"{name} is not a JSON number")


#: model -> its adapter; each value is a ``TypeAdapter`` of its own key, which a dict cannot say.
_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def adapter_for(model: type[T]) -> TypeAdapter[T]:
    """The pydantic adapter of ``model``, built once per process."""
    adapter: TypeAdapter[T] | None = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter
