"""Client-side token buckets: documented defaults, path → bucket mapping, burst then steady rate."""

from __future__ import annotations

import asyncio
import time

import pytest

from trade_tracker.venues.ratelimit import DOCUMENTED, BucketSpec, RateLimits, bucket_for_path


def test_documented_defaults() -> None:
    assert DOCUMENTED == {
        "public": BucketSpec(rate=10, burst=15),
        "private": BucketSpec(rate=15, burst=30),
        "fills": BucketSpec(rate=10, burst=20),
    }
    assert RateLimits().specs == DOCUMENTED
    assert RateLimits.shared().specs == DOCUMENTED


def test_shared_is_one_object() -> None:
    assert RateLimits.shared() is RateLimits.shared()


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/fills", "fills"),
        ("/fills?product_id=BTC-USD&limit=100", "fills"),
        ("/time", "public"),
        ("/products", "public"),
        ("/products/BTC-USD", "public"),
        ("/products/BTC-USD/ticker", "public"),
        ("/products/BTC-USD/stats", "public"),
        ("/currencies", "public"),
        ("/accounts", "private"),
        ("/orders", "private"),
        ("/orders?status=done", "private"),
        ("/profiles", "private"),
        ("/fillsx", "private"),
    ],
)
def test_bucket_for_path(path: str, bucket: str) -> None:
    assert bucket_for_path(path) == bucket


async def _timed_acquisitions(limits: RateLimits, bucket: str, n: int) -> float:
    started = time.monotonic()
    for _ in range(n):
        await limits.acquire(bucket)  # type: ignore[arg-type]
    return time.monotonic() - started


async def test_burst_is_immediate() -> None:
    limits = RateLimits(
        headroom=False,
        specs={"public": BucketSpec(rate=2, burst=5), "private": BucketSpec(2, 5), "fills": BucketSpec(2, 5)},
    )
    assert await _timed_acquisitions(limits, "fills", 5) < 0.15


async def test_burst_then_steady_rate() -> None:
    """rate 20/s, burst 5: 5 at once, then 10 more at 20/s ≈ 0.5 s in all."""
    spec = BucketSpec(rate=20, burst=5)
    limits = RateLimits({"public": spec, "private": spec, "fills": spec}, headroom=False)
    elapsed = await _timed_acquisitions(limits, "fills", 15)
    assert 0.4 <= elapsed < 0.9, elapsed


async def test_buckets_are_independent() -> None:
    slow = BucketSpec(rate=1, burst=1)
    limits = RateLimits({"public": slow, "private": BucketSpec(rate=1000, burst=50), "fills": slow}, headroom=False)
    await limits.acquire("fills")
    # The fills bucket is now empty, but private requests still go straight through.
    assert await _timed_acquisitions(limits, "private", 20) < 0.15


async def test_concurrent_tasks_share_the_bucket() -> None:
    spec = BucketSpec(rate=20, burst=4)
    limits = RateLimits({"public": spec, "private": spec, "fills": spec}, headroom=False)
    started = time.monotonic()
    await asyncio.gather(*(limits.acquire("private") for _ in range(14)))
    assert time.monotonic() - started >= 0.4


async def test_disabled_never_waits() -> None:
    limits = RateLimits.disabled()
    assert not limits.enabled
    assert await _timed_acquisitions(limits, "fills", 500) < 0.2
    assert "disabled" in repr(limits)


def test_repr_lists_the_limits() -> None:
    assert repr(RateLimits()) == "RateLimits(public=10/s burst 15, private=15/s burst 30, fills=10/s burst 20)"


async def test_shared_buckets_keep_headroom_below_the_documented_limits() -> None:
    """At exactly the limit, jitter alone draws 429s; the client runs at 97% and keeps a token back."""
    limits = RateLimits()
    limiter = limits._limiters()["fills"]
    assert limiter.max_rate == 19  # burst 20, one in reserve
    assert limiter.max_rate / limiter.time_period == pytest.approx(9.7)
    exact = RateLimits(headroom=False)._limiters()["fills"]
    assert (exact.max_rate, exact.max_rate / exact.time_period) == (20, pytest.approx(10))
