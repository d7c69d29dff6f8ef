"""Both clients' ``candles()`` against both simulators: the close of a minute is the price of the product's
last fill in (or before) it, the exact text, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trade_tracker.errors import InvalidArgument
from trade_tracker.sim import RunningSim
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.sim.core.data import ProductHistory
from trade_tracker.venues.coinbase_advanced.client import AdvancedTradeClient
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits


def _expected(history: ProductHistory, index: int) -> tuple[datetime, str]:
    """The minute of fill ``index`` and the close of that minute: the last fill's price in it."""
    minute_us = history.created_us[index] - history.created_us[index] % 60_000_000
    last = index
    while last + 1 < len(history) and history.created_us[last + 1] < minute_us + 60_000_000:
        last += 1
    return datetime.fromtimestamp(minute_us / 1_000_000, UTC), format(history.price(last), "f")


async def test_exchange_candles_follow_the_fills(sim: RunningSim) -> None:
    history = sim.exchange.history_of("BTC-USD")
    minute, close = _expected(history, 10)
    async with CoinbaseClient(sim.url, rate_limits=RateLimits.disabled()) as client:
        candles = await client.candles("BTC-USD", minute - timedelta(minutes=2), minute + timedelta(minutes=2))
    assert [c.start for c in candles] == sorted(c.start for c in candles)
    found = {c.start: c.close for c in candles}
    assert Decimal(found[int(minute.timestamp())]) == Decimal(close)
    assert len(candles) == 5  # minutes with no fill of their own carry the last price


async def test_advanced_candles_follow_the_fills(sim_advanced: RunningAdvanced) -> None:
    history = sim_advanced.advanced.history_of("ETH-USD")
    minute, close = _expected(history, 3)
    async with AdvancedTradeClient(sim_advanced.url, rate_limits=RateLimits.disabled()) as client:
        candles = await client.candles("ETH-USD", minute, minute + timedelta(minutes=1))
    assert candles[0].start == int(minute.timestamp()) and candles[0].close == close


async def test_a_span_too_long_is_refused_before_any_request() -> None:
    async with CoinbaseClient("http://127.0.0.1:9", rate_limits=RateLimits.disabled()) as client:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        with pytest.raises(InvalidArgument, match="at most 300 minutes"):
            await client.candles("BTC-USD", start, start + timedelta(minutes=300))
