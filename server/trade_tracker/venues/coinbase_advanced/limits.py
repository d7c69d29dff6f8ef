"""Coinbase Advanced Trade's rate limits, as data, and the server's own ``x-ratelimit-*`` word on them.

Documented: private REST 30 requests/s per user, public REST 10 requests/s per IP (the CCXT and
Hummingbot constants quote the docs page). The client draws from :class:`~trade_tracker.venues.ratelimit.
RateLimits` built from :data:`ADVANCED_LIMITS`, shared across processes through files like the Exchange
client's (``shared_bucket.py``), keyed by the base URL so the two venues never share a bucket.

The limits "may tighten dynamically", so the server's headers win over the table: :class:`HeaderGate`
remembers, per bucket, an answer's ``x-ratelimit-remaining: 0`` or a 429's ``x-ratelimit-reset`` and holds
the next request of that bucket until the reset (at most :data:`MAX_RESET_WAIT` seconds). What the reset
value counts is not documented: a number under 10^9 is read as seconds from now, a larger one as epoch
seconds (or milliseconds), and an RFC 3339 text as the instant itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx

from trade_tracker.formats import parse_timestamp

from ..ratelimit import Bucket, BucketSpec

__all__ = ["ADVANCED_LIMITS", "MAX_RESET_WAIT", "HeaderGate", "advanced_bucket", "reset_at"]

log = logging.getLogger("trade_tracker.coinbase")

#: The documented limits: bursts of one second's worth.
ADVANCED_LIMITS: dict[Bucket, BucketSpec] = {
    "public": BucketSpec(rate=10, burst=10),
    "private": BucketSpec(rate=30, burst=30),
}
#: The longest a request waits for an announced reset; beyond it the retry budget decides.
MAX_RESET_WAIT = 60.0

_PUBLIC_PREFIXES = ("/time", "/market/")


def advanced_bucket(path: str) -> Bucket:
    """The limit a request ``path`` (under ``/api/v3/brokerage``) counts against: ``/time`` and
    ``/market/...`` are public (no JWT), everything else private."""
    return "public" if path.startswith(_PUBLIC_PREFIXES) else "private"


def reset_at(value: str | None, now: float) -> float | None:
    """The epoch second an ``x-ratelimit-reset`` value names, or None when absent or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            return parse_timestamp(text).timestamp()
        except ValueError:
            return None
    if number != number or number < 0:  # NaN, or negative
        return None
    if number >= 1e12:
        return number / 1000.0  # epoch milliseconds
    return number if number >= 1e9 else now + number


class HeaderGate:
    """Holds a bucket's next request until the reset the server announced, when it said none are left.

    ``clock`` gives epoch seconds as the server sees them (the client's corrected clock); ``sleep`` is
    ``asyncio.sleep`` (tests pass a fake that records the waits and moves the clock).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_wait: float = MAX_RESET_WAIT,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.max_wait = max_wait
        self._until: dict[Bucket, float] = {}

    def note(self, bucket: Bucket, response: httpx.Response) -> None:
        """Read an answer's headers: no requests left (or a 429) with a reset ahead blocks ``bucket`` until it."""
        remaining = response.headers.get("x-ratelimit-remaining", "").strip()
        exhausted = response.status_code == 429 or remaining in ("0", "0.0")
        if not exhausted:
            return
        now = self._clock()
        until = reset_at(response.headers.get("x-ratelimit-reset"), now)
        if until is not None and until > now:
            self._until[bucket] = max(self._until.get(bucket, 0.0), min(until, now + self.max_wait))

    def pending(self, bucket: Bucket) -> float:
        """Seconds the next request of ``bucket`` must still wait (0 when none)."""
        return max(0.0, self._until.get(bucket, 0.0) - self._clock())

    async def wait(self, bucket: Bucket) -> None:
        """Wait out an announced reset of ``bucket``, if one is ahead."""
        delay = self.pending(bucket)
        if delay > 0:
            log.info("rate limit: %s requests exhausted; waiting %.2f s for the announced reset", bucket, delay)
            await self._sleep(delay)
        self._until.pop(bucket, None)
