"""The tax report over the store: Advanced Trade adjustments, candle valuation, per-label books, and
properties: FIFO gains = the summary's FIFO realized PnL, and no dependence on how fills arrived in syncs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fill_rows import at, fill, insert
from trade_tracker.analytics.lots import CANDLE_NOTE
from trade_tracker.analytics.summary import summarize
from trade_tracker.analytics.tax import TaxReport, needed_prices, tax_report
from trade_tracker.analytics.usd_prices import cached_prices
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.usd_prices import write_usd_prices

D = Decimal
_ADVANCED = (
    "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, created_at, label, venue, "
    "fill_key, entry_id, trade_type, sequence_timestamp, size_in_quote) "
    "VALUES (?, ?, 'order', ?, ?, ?, ?, ?, 'adv', 'advanced', ?, ?, ?, ?, ?)"
)


@pytest.fixture
def store() -> Iterator[TradeStore]:
    with TradeStore(":memory:") as trade_store:
        yield trade_store


def advanced(store: TradeStore, *entries: tuple) -> None:
    """(product, entry_id, trade_id, side, price, size, fee, when, trade_type, size_in_quote) rows of label adv."""
    with store.write() as conn:
        conn.executemany(
            _ADVANCED,
            [
                (product, trade_id, side, price, size, fee, at(when), entry, entry, kind, at(when), in_quote)
                for product, entry, trade_id, side, price, size, fee, when, kind, in_quote in entries
            ],
        )


def report(store: TradeStore, year: int = 2024, **kw: Any) -> TaxReport:
    with store.reading() as conn:
        return tax_report(conn, year, **kw)


def test_a_reversal_undoes_a_fill_and_quote_sized_fills_convert(store: TradeStore) -> None:
    advanced(
        store,
        ("BTC-USD", "e1", "t1", "buy", "100", "1", "0", "2024-01-01 10:00", "FILL", 0),
        ("BTC-USD", "e2", "t2", "buy", "200", "1", "1", "2024-01-02 10:00", "FILL", 0),
        ("BTC-USD", "e3", "t1", "buy", "100", "-1", "0", "2024-01-03 10:00", "REVERSAL", 0),
        ("BTC-USD", "e4", "t4", "buy", "100", "150", "0.5", "2024-01-04 10:00", "FILL", 1),  # $150 → 1.5 BTC
        ("BTC-USD", "e5", "t5", "sell", "300", "2", "2", "2024-02-01 10:00", "FILL", 0),
    )
    rows = report(store).disposals
    # t1 never happened: the sell takes t2's lot (cost 201), then 1 of the 1.5 BTC lot costing 150.5
    assert [(r.acquired_at[:10], r.quantity, r.cost, r.proceeds) for r in rows if r.acquired_at] == [
        ("2024-01-02", D(1), D(201), D(299)),
        ("2024-01-04", D(1), D("100.333333333333333333"), D(299)),
    ]
    assert sum((r.gain or D(0) for r in rows), D(0)) == D(598) - D(201) - D("100.333333333333333333")


def test_a_crypto_for_crypto_fill_is_valued_at_the_cached_candle_close(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "20000", "1", "2024-01-01 10:00"),
        fill("ETH-BTC", "buy", "0.05", "10", "2024-02-01 10:00:30", fee="0.001"),  # pays 0.501 BTC
        fill("ETH-BTC", "sell", "0.06", "2", "2024-03-01 09:00", fee="0"),  # no candle: no USD price
        fill("ETH-USD", "sell", "3000", "8", "2024-04-01 10:00"),
    )
    with store.reading() as conn:
        needed = needed_prices(conn, 2024)
    assert needed == {("BTC-USD", "2024-02-01T10:00:00Z"), ("BTC-USD", "2024-03-01T09:00:00Z")}
    with store.write() as conn:
        write_usd_prices(conn, [("BTC-USD", "2024-02-01T10:00:00Z", "40000.5")], "test", "2024-12-31T00:00:00Z")
        write_usd_prices(conn, [("BTC-USD", "2024-03-01T09:00:00Z", None)], "test", "2024-12-31T00:00:00Z")
    rates = cached_prices(store, needed)
    assert rates == {("BTC-USD", "2024-02-01T10:00:00Z"): "40000.5", ("BTC-USD", "2024-03-01T09:00:00Z"): None}
    result = report(store, rates=rates)
    btc, eth_for_btc, eth_usd = result.disposals
    value = D("0.501") * D("40000.5")
    assert (btc.asset, btc.quantity, btc.proceeds, btc.cost) == ("BTC", D("0.501"), value, D("10020"))
    assert btc.notes == (CANDLE_NOTE,)
    # the ETH sold for BTC had no USD price: proceeds and gain empty, and the row says why
    assert (eth_for_btc.asset, eth_for_btc.proceeds, eth_for_btc.gain) == ("ETH", None, None)
    assert eth_for_btc.notes[0] == "no USD price: no BTC-USD candle for 2024-03-01T09:00:00Z"
    assert eth_for_btc.cost == value * 2 / 10
    assert (eth_usd.cost, eth_usd.proceeds) == (value * 8 / 10, D(24000))
    assert result.missing_prices == [("BTC-USD", "2024-03-01T09:00:00Z")]
    assert result.terms["short"].without_gain == 1
    # the BTC received by that sale is a lot of unknown cost: selling it later has no gain either
    offline = report(store, rates={})
    assert [r.gain for r in offline.disposals[:2]] == [None, None]
    assert len(offline.missing_prices) == 2


def test_books_per_label_by_default_pooled_on_request_and_the_year_filter(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2023-06-01 10:00", label="a"),
        fill("BTC-USD", "sell", "150", "1", "2024-06-02 10:00", label="b"),
        fill("BTC-USD", "sell", "150", "1", "2025-01-02 10:00", label="a"),
    )
    (unmatched,) = report(store).disposals
    assert unmatched.unmatched and unmatched.label == "b"
    assert report(store).assets["BTC"].unmatched_quantity == D(1)
    (pooled,) = report(store, pooled=True).disposals
    assert (pooled.gain, pooled.term) == (D(50), "long")
    (later,) = report(store, 2025).disposals
    assert later.gain == D(50) and later.label == "a"
    assert report(store, label="b").disposals[0].unmatched
    assert report(store, product_id="ETH-USD").disposals == []


# --------------------------------------------------------------------------- properties over the store

_fills = st.lists(
    st.tuples(
        st.sampled_from(["BTC-USD", "ETH-USD"]),
        st.sampled_from(["buy", "buy", "sell"]),
        st.decimals(min_value=D(1), max_value=D(500), places=2),
        st.decimals(min_value=D("0.001"), max_value=D(3), places=3),
        st.integers(min_value=0, max_value=400),
        st.decimals(min_value=D(0), max_value=D(1), places=2),
    ),
    max_size=30,
)


def _rows(raw: list[tuple], fees: bool) -> list[tuple]:
    rows = []
    for n, (product, side, price, size, day, fee) in enumerate(raw):
        when = f"2024-{day // 31 % 12 + 1:02d}-{day % 28 + 1:02d} {n // 60 % 24:02d}:{n % 60:02d}"
        rows.append(fill(product, side, str(price), str(size), when, fee=str(fee) if fees else "0"))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_fills)
def test_fifo_gains_equal_the_summary_fifo_realized_pnl(raw: list[tuple]) -> None:
    with TradeStore(":memory:") as store:
        insert(store, *_rows(raw, fees=False))
        summary = {e.product_id: D(e.realized_pnl) for e in summarize(store).products}
        gains: dict[str, Decimal] = {}
        for row in report(store).disposals:
            gains[row.product_id] = gains.get(row.product_id, D(0)) + (row.gain or D(0))
        assert {p: v for p, v in gains.items() if v} == {p: v for p, v in summary.items() if v}


@settings(max_examples=25, deadline=None)
@given(_fills, st.sampled_from(["fifo", "lifo", "hifo"]), st.randoms(use_true_random=False))
def test_the_report_does_not_depend_on_how_fills_were_synced(raw: list[tuple], method: str, rng: random.Random) -> None:
    rows = _rows(raw, fees=True)
    with TradeStore(":memory:") as whole:
        insert(whole, *rows)
        expected = report(whole, method=method)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    with TradeStore(":memory:") as store:
        while shuffled:  # several "syncs" of random sizes, in random order
            cut = rng.randint(1, len(shuffled))
            insert(store, *shuffled[:cut])
            shuffled = shuffled[cut:]
        got = report(store, method=method)
    assert got.disposals == expected.disposals
    assert got.open_lots == expected.open_lots
