"""Client-side token buckets: documented defaults, path → bucket mapping, burst then steady rate."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from trade_tracker.venues.coinbase_exchange.limits import BUCKETS, bucket_for_path, exchange_rate_limits
from trade_tracker.venues.ratelimit import BucketSpec, RateLimits


def test_documented_defaults() -> None:
    assert BUCKETS == {
        "public": BucketSpec(rate=10, burst=15),
        "private": BucketSpec(rate=15, burst=30),
        "fills": BucketSpec(rate=10, burst=20),
    }
    assert RateLimits(BUCKETS).specs == BUCKETS
    assert RateLimits.shared(BUCKETS).specs == BUCKETS


def test_shared_is_one_object_per_table() -> None:
    assert RateLimits.shared(BUCKETS) is RateLimits.shared(dict(BUCKETS))
    other = {"public": BucketSpec(rate=1, burst=1)}
    assert RateLimits.shared(other) is not RateLimits.shared(BUCKETS)
    assert RateLimits.shared(other).specs == other


def test_a_client_without_limits_given_uses_its_venues_table() -> None:
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient

    assert CoinbaseClient("https://example.test").rate_limits is RateLimits.shared(BUCKETS)


def test_shared_bucket_files_are_scoped_by_venue_and_base_url(tmp_path: Path) -> None:
    from trade_tracker.config import Settings

    def files(url: str, venue: str = "exchange") -> set[str]:
        if venue == "exchange":
            settings = Settings(trade_tracker_home=tmp_path, ex_base_url=url)
            limits = exchange_rate_limits(settings)
        else:
            limits = RateLimits.across_processes(tmp_path, venue, url, BUCKETS)
        return {bucket.path.name for bucket in limits._across_processes.values()}

    sandbox, production = files("https://sandbox.example"), files("https://api.example")
    assert len(sandbox) == 3 and sandbox == files("https://sandbox.example")  # two processes share them
    assert not sandbox & production  # the sandbox and production never share a bucket
    assert not sandbox & files("https://sandbox.example", venue="advanced")  # nor do two venues at one URL


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
    assert repr(RateLimits(BUCKETS)) == "RateLimits(public=10/s burst 15, private=15/s burst 30, fills=10/s burst 20)"


async def test_shared_buckets_keep_headroom_below_the_documented_limits() -> None:
    """At exactly the limit, jitter alone draws 429s; the client runs at 97% and keeps a token back."""
    limits = RateLimits(BUCKETS)
    limiter = limits._limiters()["fills"]
    assert limiter.max_rate == 19  # burst 20, one in reserve
    assert limiter.max_rate / limiter.time_period == pytest.approx(9.7)
    exact = RateLimits(BUCKETS, headroom=False)._limiters()["fills"]
    assert (exact.max_rate, exact.max_rate / exact.time_period) == (20, pytest.approx(10))
