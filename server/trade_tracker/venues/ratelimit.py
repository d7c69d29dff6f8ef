"""Client-side token buckets at a venue's documented rate limits, from the venue's table of buckets.

A venue documents its limits as lazy-fill token buckets (Exchange's table: ``coinbase_exchange/limits.py``);
aiolimiter's ``AsyncLimiter(burst, burst / rate)`` is exactly such a bucket: it holds ``burst`` and drains
at ``rate`` per second. This module knows no venue: :class:`RateLimits` runs the table it is given.

One :class:`RateLimits` is meant to be shared by every client of a venue in a process, so two tools
running at once still stay under the limit; ``RateLimits.across_processes(dir, venue, base_url, table)``
also shares the buckets with other processes through small files (``shared_bucket.py``), one set per
(venue, base URL), so two editor windows' servers stay under it together.

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from aiolimiter import AsyncLimiter

from .shared_bucket import FileTokenBucket, file_buckets_supported

__all__ = ["Bucket", "BucketSpec", "RateLimits"]

log = logging.getLogger("trade_tracker.coinbase")

#: A bucket's name in a venue's table ("public", "private", "fills" for Exchange).
Bucket = str


@dataclass(frozen=True)
class BucketSpec:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst``."""

    rate: float
    burst: int


#: Fraction of the documented rate the client uses, and the burst it keeps in reserve.
HEADROOM = 0.97
BURST_RESERVE = 1


class RateLimits:
    """The three buckets. ``acquire(bucket)`` waits until a request may be sent.

    aiolimiter binds a limiter to the event loop that first uses it, so the buckets
    are kept per running loop; within one loop (one server process) they are shared.
    """

    _shared: ClassVar[dict[tuple[tuple[Bucket, BucketSpec], ...], RateLimits]] = {}

    def __init__(
        self,
        specs: Mapping[Bucket, BucketSpec],
        *,
        enabled: bool = True,
        headroom: bool = True,
        state_dir: Path | None = None,
        scope: str = "",
    ) -> None:
        self.specs: dict[Bucket, BucketSpec] = dict(specs)
        self.enabled = enabled
        self.headroom = headroom
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Bucket, AsyncLimiter]] = (
            weakref.WeakKeyDictionary()
        )
        #: Buckets shared with other processes through files in ``state_dir`` (one set per ``scope``,
        #: the venue and its base URL), so two servers on one machine stay under the limit together.
        self._across_processes: dict[Bucket, FileTokenBucket] = {}
        if state_dir is not None and enabled and file_buckets_supported():
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            tag = hashlib.sha256(scope.encode()).hexdigest()[:12]
            for name, spec in self.specs.items():
                rate, burst = self._effective(spec)
                self._across_processes[name] = FileTokenBucket(state_dir / f"ratelimit-{tag}-{name}", rate, burst)

    @classmethod
    def across_processes(
        cls, state_dir: Path, venue: str, base_url: str, specs: Mapping[Bucket, BucketSpec]
    ) -> RateLimits:
        """A venue's buckets (``specs``), shared by every process that uses ``state_dir`` for that venue at
        that base URL (the sandbox and production, or two venues, never share a bucket)."""
        return cls(specs, state_dir=state_dir, scope=f"{venue} {base_url}")

    @classmethod
    def shared(cls, specs: Mapping[Bucket, BucketSpec]) -> RateLimits:
        """The process-wide buckets of this table (one object per table)."""
        key = tuple(sorted(specs.items()))
        if key not in cls._shared:
            cls._shared[key] = cls(specs)
        return cls._shared[key]

    @classmethod
    def disabled(cls) -> RateLimits:
        """No client-side limiting (tests, and benchmarks with the simulator's limits off)."""
        return cls({}, enabled=False)

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
