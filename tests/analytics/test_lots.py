"""The lot engine: hand-computed cases, then hypothesis properties for every method."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade_tracker.analytics.books import OpenLots
from trade_tracker.analytics.lots import CANDLE_NOTE, LOT_METHODS, TaxFill, anniversary, run_lots, term_of
from trade_tracker.errors import InvalidArgument

D = Decimal


def tf(side: str, size: str, quote: str, when: str, fee: str = "0", product: str = "BTC-USD", **kw: Any) -> TaxFill:
    return TaxFill("main", f"{when}T12:00:00.000000Z", product, side, D(size), D(quote), D(fee), **kw)


def test_one_lot_split_across_three_sales() -> None:
    books = run_lots(
        [
            tf("buy", "3", "300", "2024-01-01", fee="3"),  # cost 303 for 3 BTC
            tf("sell", "1", "150", "2024-02-01", fee="1"),
            tf("sell", "1", "120", "2024-03-01"),
            tf("sell", "1", "90", "2024-04-01", fee="0.5"),
        ]
    )
    rows = [(r.quantity, r.proceeds, r.cost, r.gain, r.term) for r in books.disposals]
    assert rows == [
        (D(1), D(149), D(101), D(48), "short"),
        (D(1), D(120), D(101), D(19), "short"),
        (D(1), D("89.5"), D(101), D("-11.5"), "short"),
    ]
    assert books.open_lots() == []


def test_a_split_that_does_not_terminate_adds_up_exactly() -> None:
    books = run_lots([tf("buy", "3", "100", "2024-01-01"), *(tf("sell", "1", "50", "2024-01-02") for _ in range(3))])
    costs = [r.cost for r in books.disposals]
    assert costs[0] == D("33.333333333333333333")  # rounded once, at 1e-18
    assert sum((c for c in costs if c is not None), D(0)) == D(100)  # the last piece takes the rest
    proceeds = run_lots(
        [tf("buy", "1", "1", "2024-01-01"), tf("buy", "2", "1", "2024-01-01"), tf("sell", "3", "100", "2024-01-02")]
    )
    assert [r.proceeds for r in proceeds.disposals] == [D("33.333333333333333333"), D("66.666666666666666667")]


def test_the_anniversary_is_short_and_the_day_after_long() -> None:
    assert term_of("2024-03-15T10:00:00.000000Z", "2025-03-15T23:59:59.999999Z") == "short"
    assert term_of("2024-03-15T10:00:00.000000Z", "2025-03-16T00:00:00.000000Z") == "long"
    books = run_lots(
        [tf("buy", "2", "100", "2024-03-15"), tf("sell", "1", "80", "2025-03-15"), tf("sell", "1", "80", "2025-03-16")]
    )
    assert [r.term for r in books.disposals] == ["short", "long"]


def test_feb_29_anniversary_is_feb_28() -> None:
    from datetime import date

    assert anniversary(date(2024, 2, 29)) == date(2025, 2, 28)
    assert term_of("2024-02-29T00:00:00.000000Z", "2025-02-28T00:00:00.000000Z") == "short"
    assert term_of("2024-02-29T00:00:00.000000Z", "2025-03-01T00:00:00.000000Z") == "long"
    assert term_of("2023-02-28T00:00:00.000000Z", "2024-02-29T00:00:00.000000Z") == "long"


def test_fees_on_both_sides() -> None:
    (row,) = run_lots(
        [tf("buy", "0.5", "10000", "2024-01-01", fee="25.5"), tf("sell", "0.5", "12000", "2024-06-01", fee="30.25")]
    ).disposals
    assert (row.proceeds, row.cost, row.gain) == (D("11969.75"), D("10025.5"), D("1944.25"))


def test_hifo_takes_the_highest_cost_across_days_lifo_the_newest() -> None:
    fills = [
        tf("buy", "1", "100", "2024-01-01"),
        tf("buy", "1", "300", "2024-01-02"),
        tf("buy", "1", "200", "2024-01-03"),
        tf("sell", "1.5", "375", "2024-01-04"),
    ]
    hifo = run_lots(fills, "hifo").disposals
    assert [(r.acquired_at[:10], r.quantity, r.cost) for r in hifo if r.acquired_at] == [
        ("2024-01-02", D(1), D(300)),
        ("2024-01-03", D("0.5"), D(100)),
    ]
    assert sum((r.proceeds or D(0) for r in hifo), D(0)) == D(375)
    lifo = run_lots(fills, "lifo").disposals
    assert [(r.acquired_at or "")[:10] for r in lifo] == ["2024-01-03", "2024-01-02"]
    fifo = run_lots(fills, "fifo").disposals
    assert [(r.acquired_at or "")[:10] for r in fifo] == ["2024-01-01", "2024-01-02"]


def test_a_sell_with_no_lot_is_unmatched_not_negative_basis() -> None:
    rows = run_lots([tf("buy", "1", "100", "2024-01-01"), tf("sell", "3", "600", "2024-01-02", fee="6")]).disposals
    matched, unmatched = rows
    assert (matched.quantity, matched.proceeds, matched.cost, matched.gain) == (D(1), D(198), D(100), D(98))
    assert (unmatched.quantity, unmatched.cost, unmatched.gain, unmatched.term) == (D(2), None, None, None)
    assert unmatched.unmatched and unmatched.acquired_at is None and unmatched.proceeds == D(396)


def test_a_crypto_for_crypto_trade_is_two_legs_valued_at_the_quote_close() -> None:
    books = run_lots(
        [
            tf("buy", "1", "20000", "2024-01-01"),  # 1 BTC for $20,000
            tf("buy", "10", "0.5", "2024-02-01", fee="0.001", product="ETH-BTC", usd_rate=D("40000")),
            tf("sell", "10", "30000", "2024-03-01", product="ETH-USD"),
        ]
    )
    btc, eth = books.disposals
    assert (btc.asset, btc.quantity, btc.proceeds, btc.cost, btc.gain) == (
        "BTC",
        D("0.501"),
        D("20040"),
        D("10020"),
        D("10020"),
    )
    assert btc.notes == (CANDLE_NOTE,)
    assert (eth.asset, eth.cost, eth.gain) == ("ETH", D("20040"), D("9960"))
    assert eth.notes == (CANDLE_NOTE,)  # the lot it came from was valued at the candle close


def test_no_usd_price_leaves_the_gain_empty() -> None:
    books = run_lots(
        [
            tf("buy", "1", "20000", "2024-01-01"),
            tf("buy", "10", "0.5", "2024-02-01", product="ETH-BTC", usd_rate=None, missing_note="no USD price"),
            tf("sell", "10", "30000", "2024-03-01", product="ETH-USD"),
        ]
    )
    btc, eth = books.disposals
    assert (btc.proceeds, btc.cost, btc.gain, btc.notes) == (None, D(10000), None, ("no USD price",))
    assert (eth.proceeds, eth.cost, eth.gain) == (D(30000), None, None)


def test_specific_identification_is_refused_with_a_reason() -> None:
    with pytest.raises(InvalidArgument, match="specific identification"):
        run_lots([], "specific")
    with pytest.raises(InvalidArgument, match="fifo, lifo or hifo"):
        run_lots([], "average")


def test_books_are_per_label_unless_pooled() -> None:
    fills = [
        TaxFill("a", "2024-01-01T00:00:00.000000Z", "BTC-USD", "buy", D(1), D(100), D(0), label="a"),
        TaxFill("b", "2024-01-02T00:00:00.000000Z", "BTC-USD", "sell", D(1), D(150), D(0), label="b"),
    ]
    (row,) = run_lots(fills).disposals
    assert row.unmatched
    pooled = [TaxFill("*", f.created_at, f.product_id, f.side, f.size, f.quote, f.fee, label=f.label) for f in fills]
    (row,) = run_lots(pooled).disposals
    assert row.gain == D(50)


# --------------------------------------------------------------------------- properties

_amount = st.decimals(min_value=D("0.01"), max_value=D(1000), places=2)
_fill = st.tuples(
    st.sampled_from(["buy", "buy", "sell"]),
    st.decimals(min_value=D("0.001"), max_value=D(5), places=3),
    _amount,
    st.decimals(min_value=D(0), max_value=D(2), places=2),
    st.integers(min_value=0, max_value=900),
)


def _stream(raw: list[tuple], fees: bool = True) -> list[TaxFill]:
    out = []
    for n, (side, size, price, fee, day) in enumerate(sorted(raw, key=lambda r: r[4])):
        created = f"{2024 + day // 300}-{(day % 300) // 25 + 1:02d}-{day % 25 + 1:02d}T00:00:00.{n:06d}Z"
        out.append(TaxFill("main", created, "BTC-USD", side, size, price * size, fee if fees else D(0), key=str(n)))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(_fill, max_size=40), st.sampled_from(LOT_METHODS))
def test_quantities_and_basis_reconcile(raw: list[tuple], method: str) -> None:
    fills = _stream(raw)
    books = run_lots(fills, method)
    sold = sum((f.size for f in fills if f.side == "sell"), D(0))
    assert sum((r.quantity for r in books.disposals), D(0)) == sold
    cost = sum((f.quote + f.fee for f in fills if f.side == "buy"), D(0))
    disposed = sum((r.cost for r in books.disposals if r.cost is not None), D(0))
    held = sum((lot.cost for lot in books.open_lots() if lot.cost is not None), D(0))
    assert disposed + held == cost
    proceeds = sum((f.quote - f.fee for f in fills if f.side == "sell"), D(0))
    assert sum((r.proceeds for r in books.disposals if r.proceeds is not None), D(0)) == proceeds


@settings(max_examples=60, deadline=None)
@given(st.lists(_fill, max_size=40))
def test_fifo_gains_equal_the_books_fifo_realized_pnl(raw: list[tuple]) -> None:
    fills = _stream(raw, fees=False)
    oracle, realized = OpenLots(), D(0)
    for f in fills:
        price = f.quote / f.size
        if f.side == "buy":
            oracle.buy(price, f.size, f.quote)
        else:
            matched, fifo_cost, _ = oracle.sell(f.size)
            realized += price * matched - fifo_cost
    gains = sum((r.gain for r in run_lots(fills).disposals if r.gain is not None), D(0))
    assert gains == realized
