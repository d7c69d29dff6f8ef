"""The time-left estimate of a running sync: extrapolated from the stored pace back to the profile's creation,
at the observed rate or the limit, always saying what it assumes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trade_tracker.store.connection import TradeStore
from trade_tracker.sync.estimate import (
    CLIENT_REQUESTS_PER_SECOND,
    LIMIT_REQUESTS_PER_SECOND,
    estimate,
    history_start,
    say_duration,
)
from trade_tracker.sync.results import SyncProgress


def _fills(store: TradeStore, count: int, newest: datetime, every: timedelta) -> None:
    rows = [
        (
            "BTC-USD",
            i,
            f"o-{i}",
            "buy",
            "1",
            "1",
            "0",
            None,
            "T",
            1,
            (newest - every * (count - i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            None,
            None,
            None,
            None,
            "main",
        )
        for i in range(1, count + 1)
    ]
    store.upsert_fills(rows)


def _progress(phase: str = "backfill", done: int = 0, total: int = 1) -> SyncProgress:
    return SyncProgress(
        product_id="BTC-USD",
        phase=phase,
        pages=10,
        fills=1000,
        products_done=done,
        products_total=total,
        fills_total=1000,
    )


def test_a_backfill_extrapolates_to_the_profiles_creation(tmp_path: Path) -> None:
    newest = datetime(2026, 6, 1, tzinfo=UTC)
    with TradeStore(tmp_path / "t.db") as store:
        _fills(store, 1000, newest, timedelta(hours=1))  # 1000 fills over ~41.6 days: 24 a day
        start = newest - timedelta(hours=1000) - timedelta(days=100)  # 100 more days back: ~2400 fills
        est = estimate(store, "main", _progress(total=3), pages=100, seconds=10.0, start=start)
    assert est.rate_basis == "observed" and est.requests_per_second == LIMIT_REQUESTS_PER_SECOND
    assert est.fills_left is not None and abs(est.fills_left - 2400) <= 5
    # the fills left, the empty page and the turn; two new products each as long as this one (stored + left)
    left = est.fills_left
    requests = math.ceil(left / 100) + 2 + 2 * (math.ceil((1000 + left) / 100) + 2)
    assert est.seconds_left == math.ceil(requests / 10)
    assert "profile's creation" in est.assumes and "2 new product(s) not started yet" in est.assumes
    assert est.text.startswith("about ") and "requests/s" in est.text


def test_products_synced_before_count_two_requests_each(tmp_path: Path) -> None:
    newest = datetime(2026, 6, 1, tzinfo=UTC)
    with TradeStore(tmp_path / "t.db") as store:
        _fills(store, 1000, newest, timedelta(hours=1))
        for product in ("BTC-USD", "ETH-USD", "SOL-USD"):  # the current one, and two synced before
            store.record_run("main", product, inserted=0, updated=0, pages=1, complete=True)
        start = newest - timedelta(hours=1000) - timedelta(days=100)
        est = estimate(store, "main", _progress(total=3), pages=100, seconds=10.0, start=start)
    assert est.seconds_left is not None and abs(est.seconds_left - (24 + 2 + 2 * 2) / 10) <= 1
    assert "2 product(s) not started yet, synced before, at 2 requests each" in est.assumes


def test_without_a_history_start_the_time_left_is_unknown_and_says_why(tmp_path: Path) -> None:
    with TradeStore(tmp_path / "t.db") as store:
        _fills(store, 10, datetime(2026, 6, 1, tzinfo=UTC), timedelta(hours=1))
        est = estimate(store, "main", _progress(), pages=3, seconds=1.0, start=None)
    assert est.seconds_left is None and "unknown" in est.text
    assert est.rate_basis == "limit" and est.requests_per_second == CLIENT_REQUESTS_PER_SECOND
    assert "does not say how many fills" in est.assumes


def test_an_incremental_walk_counts_the_closing_page_and_products_left(tmp_path: Path) -> None:
    with TradeStore(tmp_path / "t.db") as store:
        est = estimate(store, "main", _progress("incremental", done=1, total=4), pages=2, seconds=0.2, start=None)
    assert est.seconds_left == 1 and est.fills_left is None  # 1 + 2*2 requests at 9.7/s (nothing stored: no pace)
    assert "2 product(s) not started yet, synced before" in est.assumes


@pytest.mark.parametrize(
    ("seconds", "said"), [(0, "0 s"), (45, "45 s"), (89, "89 s"), (200, "3 min"), (3900, "1 h 5 min")]
)
def test_durations_read_as_people_say_them(seconds: float, said: str) -> None:
    assert say_duration(seconds) == said


async def test_history_start_is_the_earliest_profile(sim_api_credential, sim) -> None:
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
    from trade_tracker.venues.ratelimit import RateLimits

    async with CoinbaseClient(sim.url, sim_api_credential, rate_limits=RateLimits.disabled()) as client:
        start = await history_start(client)
        sim.exchange.fail_next(404, path="/profiles")
        refused = await history_start(client)
    created = [p["created_at"] for p in sim.exchange.profiles()]
    assert start is not None and start.isoformat().startswith(min(created)[:10])
    assert refused is None
