"""Per-period totals: they add up to the per-product rows exactly, and cumulative is the running sum."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from decimal import Decimal

import pytest

from fill_rows import fill, insert
from trade_tracker.analytics.summary import summarize
from trade_tracker.faces.shapes import SummaryOut
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters

D = Decimal


@pytest.fixture
def store() -> Iterator[TradeStore]:
    with TradeStore(":memory:") as trade_store:
        yield trade_store


def test_hand_computed_months_across_products_and_quote_currencies(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-05 10:00", fee="0.5"),
        fill("ETH-USD", "buy", "10", "2", "2024-01-06 10:00", fee="0.1"),
        fill("BTC-USD", "sell", "150", "0.5", "2024-02-01 10:00", fee="0.25"),  # +25
        fill("ETH-USD", "sell", "12", "1", "2024-02-02 10:00", fee="0.05"),  # +2
        fill("ETH-BTC", "buy", "0.05", "1", "2024-02-03 10:00", fee="0.0001"),
        fill("ETH-BTC", "sell", "0.06", "1", "2024-03-03 10:00", fee="0.00012"),  # +0.01 BTC
        fill("BTC-USD", "sell", "90", "0.5", "2024-03-04 10:00", fee="0.2"),  # −5
    )
    summary = summarize(store, group_by="month")
    got = [p.model_dump() for p in summary.periods]
    assert got == [
        {
            "period": "2024-01",
            "currency": "USD",
            "fill_count": 2,
            "quote_volume": "120",
            "fees": "0.6",
            "realized_pnl": "0",
            "net_realized_pnl": "-0.6",
            "cumulative_realized_pnl": "0",
        },
        {
            "period": "2024-02",
            "currency": "BTC",
            "fill_count": 1,
            "quote_volume": "0.05",
            "fees": "0.0001",
            "realized_pnl": "0",
            "net_realized_pnl": "-0.0001",
            "cumulative_realized_pnl": "0",
        },
        {
            "period": "2024-02",
            "currency": "USD",
            "fill_count": 2,
            "quote_volume": "87",
            "fees": "0.3",
            "realized_pnl": "27",
            "net_realized_pnl": "26.7",
            "cumulative_realized_pnl": "27",
        },
        {
            "period": "2024-03",
            "currency": "BTC",
            "fill_count": 1,
            "quote_volume": "0.06",
            "fees": "0.00012",
            "realized_pnl": "0.01",
            "net_realized_pnl": "0.00988",
            "cumulative_realized_pnl": "0.01",
        },
        {
            "period": "2024-03",
            "currency": "USD",
            "fill_count": 1,
            "quote_volume": "45",
            "fees": "0.2",
            "realized_pnl": "-5",
            "net_realized_pnl": "-5.2",
            "cumulative_realized_pnl": "22",
        },
    ]
    assert summarize(store).periods == []  # grouped by product: the product rows are the totals


def _check_adds_up(summary) -> None:  # type: ignore[no-untyped-def]
    expected: dict[tuple[str, str], list] = {}
    for e in summary.products:
        row = expected.setdefault((e.period, e.quote_currency), [0, D(0), D(0), D(0)])
        row[0] += e.buy_count + e.sell_count
        row[1] += D(e.quote_volume)
        row[2] += D(e.fee_total)
        row[3] += D(e.realized_pnl)
    assert [(p.period, p.currency) for p in summary.periods] == sorted(expected)
    running: dict[str, Decimal] = {}
    for p in summary.periods:
        count, volume, fees, realized = expected[(p.period, p.currency)]
        assert (p.fill_count, D(p.quote_volume), D(p.fees), D(p.realized_pnl)) == (count, volume, fees, realized)
        assert D(p.net_realized_pnl) == realized - fees
        running[p.currency] = running.get(p.currency, D(0)) + realized
        assert D(p.cumulative_realized_pnl) == running[p.currency]
    # Over the window, the periods add up to the currency totals too.
    for total in summary.currencies:
        mine = [p for p in summary.periods if p.currency == total.currency]
        if mine:
            assert sum((D(p.fees) for p in mine), D(0)) == D(total.fees)
            assert D(mine[-1].cumulative_realized_pnl) == D(total.realized_pnl)


@pytest.mark.parametrize(
    ("group_by", "method", "since"),
    [
        ("day", "fifo", None),
        ("month", "average", None),
        ("day", "fifo", "2024-02-10T12:00:00Z"),
        ("month", "fifo", "2024-03-15"),
    ],
)
def test_random_history_adds_up_exactly(store: TradeStore, group_by: str, method: str, since: str | None) -> None:
    rng = random.Random(13)
    ids = itertools.count(1)
    rows = []
    for n in range(400):
        product = rng.choice(["BTC-USD", "ETH-USD", "ETH-BTC", "SOL-EUR"])
        side = "buy" if rng.random() < 0.55 else "sell"
        price = f"{rng.uniform(1, 900):.8f}"
        size = f"{rng.uniform(0.001, 3):.8f}"
        fee = f"{rng.uniform(0, 2):.16f}"
        day = 1 + n % 150
        rows.append(
            fill(
                product,
                side,
                price,
                size,
                f"2024-{1 + day // 30:02d}-{1 + day % 28:02d} {next(ids) % 24:02d}:00",
                fee=fee,
            )
        )
    insert(store, *rows)
    summary = summarize(store, Filters.of(since=since), group_by=group_by, method=method)  # type: ignore[arg-type]
    assert summary.periods
    _check_adds_up(summary)


def test_the_tool_keeps_the_newest_periods_and_says_how_many_it_left_out(store: TradeStore) -> None:
    insert(
        store,
        *(
            fill("BTC-USD", "buy", "100", "1", f"2024-{m:02d}-{d:02d} 10:00", fee="1")
            for m in range(1, 4)
            for d in range(1, 29)
        ),
    )
    full = summarize(store, group_by="day")
    out = SummaryOut.of(full, limit=10)
    assert out.omitted_periods == len(full.periods) - 10 == 74
    assert out.periods == full.periods[-10:]
    assert out.periods[-1].cumulative_realized_pnl == full.periods[-1].cumulative_realized_pnl
