"""When one exchange request is tried again, and how each retry is told: the client's retry rules.

What is retried (GETs only; the client passes ``attempts=1`` for anything else):

- 429, 500, 502, 503 and 504 answers, with capped exponential backoff and jitter; a
  ``Retry-After`` header (seconds or an HTTP date) replaces the computed wait, but never
  beyond the request's time budget;
- connect errors and pool timeouts, within the same bounds;
- a refused connection (nothing listening: usually a wrong ``EX_BASE_URL``) at most
  ``refused_retries`` times and within ``refused_timeout`` seconds, so the user hears
  about it at once instead of after a minute of backoff.

Everything else (other 4xx, read timeouts, a stalled attempt) is not retried.

Each scheduled retry is one INFO line on the ``trade_tracker.coinbase`` logger, through
stamina's instrumentation hooks (its own hook would print a bare
``stamina.retry_scheduled`` WARNING). The line names the request and the reason, never a
header or a query value.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

__all__ = [
    "CURRENT_REQUEST",
    "RETRY_STATUSES",
    "AttemptTimedOut",
    "Backoff",
    "RetryPolicy",
    "RetryableAnswer",
    "install_retry_log",
    "is_connection_refused",
    "retry_after_seconds",
]

log = logging.getLogger("trade_tracker.coinbase")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: The request a retry belongs to ("GET /fills"), for the retry log line (stamina's hooks get no context).
CURRENT_REQUEST: ContextVar[str] = ContextVar("trade_tracker_request", default="a request")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request tries: at most ``attempts`` tries within ``timeout`` seconds.

    Waits grow as ``wait_initial * 2**n`` plus up to ``wait_jitter`` random seconds,
    capped at ``wait_max``; a ``Retry-After`` header replaces the computed wait. A refused
    connection is retried at most ``refused_retries`` times, ``refused_wait * 2**n`` apart,
    and only while the request is younger than ``refused_timeout`` seconds: nothing listening
    is rarely cured by waiting, and the user should hear about a wrong ``EX_BASE_URL`` at once.
    """

    attempts: int = 6
    timeout: float = 60.0
    wait_initial: float = 0.25
    wait_max: float = 8.0
    wait_jitter: float = 1.0
    refused_retries: int = 2
    refused_timeout: float = 3.0
    refused_wait: float = 0.25

    @classmethod
    def no_wait(cls, attempts: int = 3) -> RetryPolicy:
        """Retries without sleeping: for tests."""
        return cls(attempts=attempts, timeout=30.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0, refused_wait=0.0)


class RetryableAnswer(Exception):
    """A 429/5xx answer that may be retried. Internal to the client: never leaves ``coinbase/``."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class AttemptTimedOut(Exception):
    """One attempt ran past its deadline (a stalled or trickling answer). Internal; never retried."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delay-seconds or an HTTP-date. None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_connection_refused(exc: BaseException) -> bool:
    """Whether ``exc`` (an httpx connect error) was caused by a refused connection (nothing listening)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class Backoff:
    """stamina's ``on=`` hook for one request: whether (and after how long) to retry after ``exc``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.started = time.monotonic()
        self.refused = 0

    def __call__(self, exc: Exception) -> bool | float:
        policy, elapsed = self.policy, time.monotonic() - self.started
        if isinstance(exc, RetryableAnswer):
            delay = retry_after_seconds(exc.response.headers.get("Retry-After"))
            if delay is None:
                return True
            # Honour the server's delay, but never beyond this request's time budget.
            return delay if elapsed + delay <= policy.timeout else False
        if is_connection_refused(exc):
            self.refused += 1
            delay = policy.refused_wait * 2 ** (self.refused - 1)
            in_time = elapsed + delay < policy.refused_timeout
            return delay if self.refused <= policy.refused_retries and in_time else False
        return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


_installed = False


def install_retry_log() -> None:
    """Route stamina's retry notices to our logger at INFO, instead of its bare WARNING line (once)."""
    global _installed
    if _installed:
        return
    from stamina.instrumentation import set_on_retry_hooks

    set_on_retry_hooks([_log_retry])
    _installed = True


def _log_retry(details: Any) -> None:
    """A stamina ``RetryHook``: one INFO line per scheduled retry, no headers, no secrets."""
    cause = details.caused_by
    if isinstance(cause, RetryableAnswer):
        reason = f"answered {cause.response.status_code}"
    elif is_connection_refused(cause):
        reason = "connection refused"
    else:
        reason = type(cause).__name__
    log.info("%s: %s; retry %d in %.2f s", CURRENT_REQUEST.get(), reason, details.retry_num, details.wait_for)
