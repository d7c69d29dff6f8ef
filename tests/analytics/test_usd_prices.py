"""The USD price cache: m013 on a real 0.1.0 store, the fetch (grouped spans, a product the venue does
not know, a failing venue), and a minute asked only once."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from trade_tracker.analytics.usd_prices import cached_prices, fetch_prices, minute_spans
from trade_tracker.errors import ExchangeUnreachable, NotFound
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.candles import Candle

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release_0_1_0"


def test_m013_adds_the_table_to_a_0_1_0_store_and_keeps_its_fills(tmp_path: Path) -> None:
    path = tmp_path / "trades.db"
    shutil.copyfile(RELEASE / "trades.db", path)
    path.chmod(0o600)
    with TradeStore(path) as store:
        names = [r[0] for r in store.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
        assert names[-1] == "m013_usd_prices"
        columns = [r[1] for r in store.conn.execute("PRAGMA table_info(usd_prices)")]
        assert columns == ["product_id", "minute", "close", "venue", "fetched_at"]
        assert store.conn.execute("SELECT count(*) FROM fills").fetchone()[0] > 0


class FakeSource:
    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.calls: list[tuple[str, datetime, datetime]] = []
        self.fail = fail or {}

    async def candles(self, product_id: str, start: datetime, end: datetime) -> list[Candle]:
        self.calls.append((product_id, start, end))
        if product_id in self.fail:
            raise self.fail[product_id]
        first = int(start.timestamp())
        return [Candle(t, f"{t % 1000}.5") for t in range(first, int(end.timestamp()) + 1, 60) if t % 120 == 0]


def test_minutes_are_grouped_into_spans_a_request_allows() -> None:
    minutes = [f"2025-01-01T00:{m:02d}:00Z" for m in (0, 1, 4, 59)] + ["2025-01-01T01:10:00Z"]
    assert minute_spans(minutes, 5) == [minutes[:3], minutes[3:4], minutes[4:]]
    assert minute_spans(minutes, 300) == [minutes]


async def test_fetch_stores_closes_and_no_candle_and_stops_at_a_failure() -> None:
    keys = [
        ("BTC-USD", "2025-01-01T00:00:00Z"),
        ("BTC-USD", "2025-01-01T00:01:00Z"),
        ("NOPE-USD", "2025-01-01T00:00:00Z"),
    ]
    with TradeStore(":memory:") as store:
        source = FakeSource({"NOPE-USD": NotFound("404 NotFound", status_code=404)})
        result = await fetch_prices(store, source, keys, origin="test", most=300)
        assert (result.requests, result.stored, result.without_candle, result.failure) == (2, 3, 2, None)
        cached = cached_prices(store, keys)
        epoch = int(datetime.fromisoformat("2025-01-01T00:00:00+00:00").timestamp())
        assert cached == {keys[0]: f"{epoch % 1000}.5", keys[1]: None, keys[2]: None}

        down = FakeSource({"ETH-USD": ExchangeUnreachable("cannot reach the exchange")})
        later = [("ETH-USD", "2025-02-01T00:00:00Z"), ("SOL-USD", "2025-02-01T00:00:00Z")]
        result = await fetch_prices(store, down, later, origin="test", most=300)
        assert result.failure is not None and "cannot reach" in result.failure
        assert result.missing == later and len(down.calls) == 1  # stopped: SOL-USD not asked
        assert cached_prices(store, later) == {}  # nothing recorded for what failed: asked again next time


@pytest.mark.parametrize("most", [1, 2])
async def test_each_request_spans_at_most_the_venue_limit(most: int) -> None:
    keys = [("BTC-USD", f"2025-01-01T00:0{m}:00Z") for m in range(4)]
    with TradeStore(":memory:") as store:
        source = FakeSource()
        await fetch_prices(store, source, keys, origin="test", most=most)
        assert all((end - start).total_seconds() // 60 + 1 <= most for _, start, end in source.calls)
        assert len(cached_prices(store, keys)) == 4
