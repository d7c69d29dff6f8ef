"""Client-side token buckets at Coinbase Exchange's documented rate limits.

Coinbase documents a lazy-fill token bucket per limit: public endpoints 10 req/s
(bursts of 15) per IP, private endpoints 15 req/s (bursts of 30) per profile, and
``/fills`` 10 req/s (bursts of 20). aiolimiter's ``AsyncLimiter(burst, burst / rate)``
is exactly that bucket: it holds ``burst`` and drains at ``rate`` per second.

One :class:`RateLimits` is meant to be shared by every client in a process, so two tools
running at once still stay under the limit; ``RateLimits.across_processes(dir, scope)``
also shares the buckets with other processes through small files (``shared_bucket.py``),
so two editor windows' servers stay under it together.

The shared buckets run with a little headroom (``HEADROOM``: 97% of the documented rate,
one token less of burst). Running exactly at the limit, network jitter alone makes two
requests arrive closer together than they left, and the exchange's bucket answers 429;
measured against the simulator, exact limits cost about one 429 per 400 requests, and 3%
headroom none (``bench/bench_rate.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aiolimiter import AsyncLimiter

from .shared_bucket import FileTokenBucket, file_buckets_supported

__all__ = ["Bucket", "BucketSpec", "RateLimits", "bucket_for_path"]

log = logging.getLogger("trade_tracker.coinbase")

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
        self,
        specs: dict[Bucket, BucketSpec] | None = None,
        *,
        enabled: bool = True,
        headroom: bool = True,
        state_dir: Path | None = None,
        scope: str = "",
    ) -> None:
        self.specs: dict[Bucket, BucketSpec] = dict(specs or DOCUMENTED)
        self.enabled = enabled
        self.headroom = headroom
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Bucket, AsyncLimiter]] = (
            weakref.WeakKeyDictionary()
        )
        #: Buckets shared with other processes through files in ``state_dir`` (one set per ``scope``,
        #: e.g. the exchange URL), so two servers on one machine stay under the limit together.
        self._across_processes: dict[Bucket, FileTokenBucket] = {}
        if state_dir is not None and enabled and file_buckets_supported():
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            tag = hashlib.sha256(scope.encode()).hexdigest()[:12]
            for name, spec in self.specs.items():
                rate, burst = self._effective(spec)
                self._across_processes[name] = FileTokenBucket(state_dir / f"ratelimit-{tag}-{name}", rate, burst)

    @classmethod
    def across_processes(cls, state_dir: Path, scope: str) -> RateLimits:
        """The documented buckets, shared by every process that uses ``state_dir`` and ``scope``."""
        return cls(state_dir=state_dir, scope=scope)

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
        limiters: dict[Bucket, AsyncLimiter] | None = self._per_loop.get(loop)
        if limiters is None:
            limiters = {name: self._limiter(spec) for name, spec in self.specs.items()}
            self._per_loop[loop] = limiters
        return limiters

    def _effective(self, spec: BucketSpec) -> tuple[float, int]:
        if self.headroom:
            return spec.rate * HEADROOM, max(1, spec.burst - BURST_RESERVE)
        return spec.rate, spec.burst

    def _limiter(self, spec: BucketSpec) -> AsyncLimiter:
        rate, burst = self._effective(spec)
        return AsyncLimiter(burst, burst / rate)

    async def acquire(self, bucket: Bucket) -> None:
        """Take one token from ``bucket``, waiting for it if the bucket is empty: first this
        process's bucket (fair between its tasks), then the one shared with other processes."""
        if self.enabled:
            await self._limiters()[bucket].acquire()
            shared = self._across_processes.get(bucket)
            if shared is not None:
                try:
                    await shared.acquire()
                except OSError as exc:  # an unwritable home must not stop reads: keep the in-process limit
                    log.warning(
                        "rate limits: cannot share %s (%s); limiting this process only", shared.path, type(exc).__name__
                    )
                    self._across_processes.pop(bucket, None)

    def __repr__(self) -> str:
        state = ", ".join(f"{k}={v.rate:g}/s burst {v.burst}" for k, v in self.specs.items())
        return f"RateLimits({state}{'' if self.enabled else ', disabled'})"
