"""Coinbase Exchange's documented rate limits as lazy-fill token buckets.

``tokens = min(burst, tokens + elapsed * rate)``, one token per request; an empty
bucket means ``429``. Public endpoints are limited per client IP, private ones per
profile, and ``/fills`` and ``/accounts`` have buckets of their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["LIMITS", "BucketKind", "RateLimiter", "TokenBucket"]

BucketKind = Literal["public", "private", "fills", "accounts"]

#: (requests per second, burst) per bucket kind, from the API docs.
LIMITS: dict[str, tuple[float, float]] = {
    "public": (10.0, 15.0),
    "private": (15.0, 30.0),
    "fills": (10.0, 20.0),
    "accounts": (25.0, 50.0),
}


class TokenBucket:
    """One lazy-fill token bucket; starts full."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimiter:
    """All buckets of one simulated exchange, created on first use; can be switched off.

    ``clock`` (seconds, monotonic) may be replaced, e.g. frozen by a test that must see
    an exact burst whatever the machine's speed.
    """

    def __init__(
        self,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        limits: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        self.enabled = enabled
        self.clock = clock
        #: (rate, burst) per bucket kind; Exchange's ``LIMITS`` unless a venue gives its own.
        self.limits = dict(LIMITS if limits is None else limits)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, kind: BucketKind, who: str) -> bool:
        """Whether a request of ``kind`` by ``who`` (IP or profile id) may proceed now."""
        if not self.enabled:
            return True
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get((kind, who))
            if bucket is None:
                rate, burst = self.limits[kind]
                bucket = self._buckets[(kind, who)] = TokenBucket(rate, burst, now)
            return bucket.take(now)

    def take(self, kind: str, who: str) -> tuple[bool, float, float]:
        """Like ``allow`` for any configured kind, also returning (allowed, tokens left, seconds until full).

        Switched off, every request is allowed and the bucket is reported full.
        """
        rate, burst = self.limits[kind]
        if not self.enabled:
            return True, burst, 0.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get((kind, who))
            if bucket is None:
                bucket = self._buckets[(kind, who)] = TokenBucket(rate, burst, now)
            allowed = bucket.take(now)
            return allowed, bucket.tokens, (bucket.burst - bucket.tokens) / bucket.rate if bucket.rate else 0.0

    def set_limit(self, kind: str, rate: float, burst: float) -> None:
        """Change one kind's (rate, burst); its buckets start again full."""
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        with self._lock:
            self.limits[kind] = (rate, burst)
            for key in [k for k in self._buckets if k[0] == kind]:
                del self._buckets[key]

    def reset(self) -> None:
        """Refill everything (forget all buckets)."""
        with self._lock:
            self._buckets.clear()
