"""Client-side token buckets at Coinbase Exchange's documented rate limits.

Coinbase documents a lazy-fill token bucket per limit: public endpoints 10 req/s
(bursts of 15) per IP, private endpoints 15 req/s (bursts of 30) per profile, and
``/fills`` 10 req/s (bursts of 20). aiolimiter's ``AsyncLimiter(burst, burst / rate)``
is exactly that bucket: it holds ``burst`` and drains at ``rate`` per second.

One :class:`RateLimits` is meant to be shared by every client in a process
(``RateLimits.shared()``), so two tools running at once still stay under the limit.

The shared buckets run with a little headroom (``HEADROOM``: 97% of the documented rate,
one token less of burst). Running exactly at the limit, network jitter alone makes two
requests arrive closer together than they left, and the exchange's bucket answers 429;
measured against the simulator, exact limits cost about one 429 per 400 requests, and 3%
headroom none (``bench/bench_rate.py``).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Literal

from aiolimiter import AsyncLimiter

__all__ = ["Bucket", "BucketSpec", "RateLimits", "bucket_for_path"]

Bucket = Literal["public", "private", "fills"]

_PUBLIC_PREFIXES = ("/time", "/products", "/currencies")


def bucket_for_path(path: str) -> Bucket:
    """Which documented limit a request path counts against."""
    if path == "/fills" or path.startswith("/fills?"):
        return "fills"
    if path.startswith(_PUBLIC_PREFIXES):
        return "public"
    return "private"


@dataclass(frozen=True)
class BucketSpec:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst``."""

    rate: float
    burst: int


#: Fraction of the documented rate the client uses, and the burst it keeps in reserve.
HEADROOM = 0.97
BURST_RESERVE = 1

DOCUMENTED: dict[Bucket, BucketSpec] = {
    "public": BucketSpec(rate=10, burst=15),
    "private": BucketSpec(rate=15, burst=30),
    "fills": BucketSpec(rate=10, burst=20),
}


class RateLimits:
    """The three buckets. ``acquire(bucket)`` waits until a request may be sent.

    aiolimiter binds a limiter to the event loop that first uses it, so the buckets
    are kept per running loop; within one loop (one server process) they are shared.
    """

    _shared: RateLimits | None = None

    def __init__(
        self, specs: dict[Bucket, BucketSpec] | None = None, *, enabled: bool = True, headroom: bool = True
    ) -> None:
        self.specs = dict(specs or DOCUMENTED)
        self.enabled = enabled
        self.headroom = headroom
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Bucket, AsyncLimiter]] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def shared(cls) -> RateLimits:
        """The process-wide buckets at the documented limits."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    @classmethod
    def disabled(cls) -> RateLimits:
        """No client-side limiting (tests, and benchmarks with the simulator's limits off)."""
        return cls(enabled=False)

    def _limiters(self) -> dict[Bucket, AsyncLimiter]:
        loop = asyncio.get_running_loop()
        limiters = self._per_loop.get(loop)
        if limiters is None:
            limiters = {name: self._limiter(spec) for name, spec in self.specs.items()}
            self._per_loop[loop] = limiters
        return limiters

    def _limiter(self, spec: BucketSpec) -> AsyncLimiter:
        rate, burst = spec.rate, spec.burst
        if self.headroom:
            rate, burst = rate * HEADROOM, max(1, burst - BURST_RESERVE)
        return AsyncLimiter(burst, burst / rate)

    async def acquire(self, bucket: Bucket) -> None:
        """Take one token from ``bucket``, waiting for it if the bucket is empty."""
        if self.enabled:
            await self._limiters()[bucket].acquire()

    def __repr__(self) -> str:
        state = ", ".join(f"{k}={v.rate:g}/s burst {v.burst}" for k, v in self.specs.items())
        return f"RateLimits({state}{'' if self.enabled else ', disabled'})"
