"""Advanced Trade's adjustments in analytics: hand-computed cases, the FIFO oracle, and the store path.

The store path runs on a real, migrated ``TradeStore``: Advanced Trade rows go in through ``FillRow`` and
``upsert_fills`` (venue ``advanced``, fill_key = the entry id), as the venue's sync stores them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics.fifo_oracle import oracle
from fill_rows import at, fill, insert
from trade_tracker.analytics.adjustments import (
    ADJUSTMENT_TYPES,
    QUOTE_SIZE_PLACES,
    Adjustments,
    BookFill,
    apply_adjustments,
    base_size,
    effective_fills,
    posting_key,
)
from trade_tracker.analytics.book_fills import book_fills, orphaned_adjustments
from trade_tracker.analytics.books import EXACT, FillSums, OpenLots, replay_fills
from trade_tracker.analytics.summary import summarize
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FillRow
from trade_tracker.store.filters import Filters

D = Decimal


def bf(
    when: str,
    trade_id: object,
    side: str,
    price: str,
    size: str,
    fee: str = "0",
    trade_type: str | None = "FILL",
    size_in_quote: bool = False,
    seq: str | None = None,
) -> BookFill:
    return BookFill(at(when), trade_id, side, price, size, fee, None, trade_type, size_in_quote, seq, None)


def raw(fill: BookFill, product_id: str = "BTC-USD") -> dict[str, Any]:
    """A BookFill as the oracle's input mapping."""
    return {"product_id": product_id, **fill._asdict()}


def run_books(fills: list[BookFill]) -> FillSums:
    """The production path for one book: adjustments, book order, replay; the sums over all days."""
    effective = sorted(effective_fills(fills).fills, key=lambda f: (f.created_at, f.trade_id))
    days: dict[str, FillSums] = {}
    total = FillSums()
    with localcontext(EXACT):
        replay_fills(OpenLots(), effective, days, lambda sells: None, None)
        for day in days.values():
            total.add(day)
    return total


# --------------------------------------------------------------------------- the oracle, by hand


def test_oracle_fifo_by_hand() -> None:
    fills = [
        bf("2024-01-01 10:00", 1, "buy", "100", "1", fee="0.5"),
        bf("2024-01-01 11:00", 2, "buy", "200", "1", fee="1"),
        bf("2024-01-02 10:00", 3, "sell", "300", "1.5", fee="0.75"),
        bf("2024-01-03 10:00", 4, "sell", "300", "1"),  # 0.5 matched, 0.5 unmatched
    ]
    (figures,) = oracle(raw(f) for f in fills).values()
    # 1.5 @300 = 450 against 1 @100 + 0.5 @200 = 200 → 250; then 0.5 @300 = 150 against 0.5 @200 = 100 → 50
    assert figures["realized_pnl"] == D("300")
    assert figures["unmatched_sell_size"] == D("0.5")
    assert figures["fee_total"] == D("2.25")
    assert figures["quote_volume"] == D("1050")
    assert (figures["open_size"], figures["cost_basis"], figures["position"]) == (D(0), D(0), D("-0.5"))


def test_oracle_quote_sized_by_hand() -> None:
    fills = [
        bf("2024-01-01 10:00", "a", "buy", "3", "100", fee="0.6", size_in_quote=True),  # 100 USD at 3
        bf("2024-01-02 10:00", "b", "sell", "6", "10"),
    ]
    (figures,) = oracle(raw(f) for f in fills).values()
    base = D("33.333333333333333333")  # 100 / 3, half-even at 18 places
    left = base - 10
    assert figures["buy_size"] == base
    assert figures["quote_volume"] == D("160")  # the 100 stays exact
    assert figures["open_size"] == left
    assert figures["cost_basis"] == 3 * left  # 69.999999999999999999
    assert figures["realized_pnl"] == D("60") - (D("100") - 3 * left)  # 29.999999999999999999


def test_oracle_applies_reversals_and_corrections_by_hand() -> None:
    fills = [
        bf("2024-01-01 10:00", "a", "buy", "100", "1"),
        bf("2024-01-01 11:00", "b", "buy", "200", "1"),
        bf("2024-01-01 12:00", "c", "sell", "300", "1"),
        bf("2024-01-01 12:30", "a", "buy", "100", "-1", trade_type="REVERSAL"),
        bf("2024-01-01 12:40", "b", "buy", "150", "2", fee="1", trade_type="CORRECTION"),
    ]
    (figures,) = oracle(raw(f) for f in fills).values()
    assert figures["buy_count"] == 1  # a is gone, b is 2 @150
    assert figures["realized_pnl"] == D("150")
    assert (figures["open_size"], figures["cost_basis"], figures["fee_total"]) == (D(1), D(150), D(1))


# --------------------------------------------------------------------------- adjustments, case by case


@pytest.mark.parametrize(
    ("quote", "price", "base"),
    [
        ("100", "8", "12.5"),
        ("6.322", "21220.64", None),  # the fact sheet's sample: does not terminate
        ("1", "3", "0.333333333333333333"),
        ("2", "3", "0.666666666666666667"),
        ("1", "0.125", "8"),
        ("0.0000001", "0.0000004", "0.25"),
    ],
)
def test_base_size_exact_when_it_terminates(quote: str, price: str, base: str | None) -> None:
    got = base_size(D(quote), D(price))
    if base is not None:
        assert got == D(base)
    assert got == got.quantize(D(10) ** -QUOTE_SIZE_PLACES)  # at most 18 places
    assert abs(got * D(price) - D(quote)) <= D(price) / 2 * D(10) ** -QUOTE_SIZE_PLACES


def test_quote_sized_fill_keeps_its_quote_amount_exact() -> None:
    (out,) = effective_fills([bf("2024-01-01 10:00", "a", "buy", "21220.64", "6.322", size_in_quote=True)]).fills
    assert out.quote == "6.322"
    assert out.size == str(base_size(D("6.322"), D("21220.64")))
    assert not out.size_in_quote
    sums = run_books([bf("2024-01-01 10:00", "a", "buy", "21220.64", "6.322", size_in_quote=True)])
    assert sums.buy_quote == D("6.322")


@pytest.mark.parametrize("size", ["1", "-1", "0.4", "-0"])
def test_reversal_undoes_its_fill_whatever_its_sign(size: str) -> None:
    fills = [
        bf("2024-01-01 10:00", "a", "buy", "100", "1", fee="0.5"),
        bf("2024-01-01 11:00", "b", "buy", "200", "1"),
        bf("2024-01-02 10:00", "a", "buy", "100", size, trade_type="REVERSAL"),
    ]
    result = effective_fills(fills)
    assert result.fills == [fills[1]]
    assert result.orphans == []


def test_reversal_before_its_fill_is_stored_is_kept_aside() -> None:
    reversal = bf("2024-01-02 10:00", "a", "buy", "100", "-1", trade_type="REVERSAL")
    early = effective_fills([reversal, bf("2024-01-01 11:00", "b", "buy", "200", "1")])
    assert [f.trade_id for f in early.fills] == ["b"]
    assert early.orphans == [reversal]  # reported, not applied to anything
    later = effective_fills([bf("2024-01-01 10:00", "a", "buy", "100", "1"), reversal])
    assert (later.fills, later.orphans) == ([], [])


def test_correction_replaces_its_fill() -> None:
    fill = bf("2024-01-01 10:00", "a", "buy", "100", "1", fee="0.5")
    correction = bf("2024-01-03 10:00", "a", "buy", "101", "-0.9", fee="0.4", trade_type="CORRECTION")
    (out,) = effective_fills([fill, correction]).fills
    assert (out.created_at, out.trade_id, out.side) == (fill.created_at, "a", "buy")  # keeps its place
    assert (out.price, out.size, out.fee) == ("101", "0.9", "0.4")


def test_latest_correction_by_parsed_posting_time_wins() -> None:
    fill = bf("2024-01-01 10:00", "a", "buy", "100", "1", seq="2024-01-01T10:00:00.000001Z")
    later = bf("2024-01-01 10:00", "a", "buy", "102", "1", trade_type="CORRECTION", seq="2024-01-02T00:00:01.5Z")
    earlier = bf(
        "2024-01-01 10:00", "a", "buy", "101", "1", trade_type="CORRECTION", seq="2024-01-02T00:00:01.100000000Z"
    )
    assert posting_key(earlier) < posting_key(later)  # 9 vs 1 fractional digits: compared as times
    (out,) = effective_fills([fill, later, earlier]).fills  # given out of posting order
    assert out.price == "102"


def test_reversal_beats_a_correction() -> None:
    fills = [
        bf("2024-01-01 10:00", "a", "buy", "100", "1"),
        bf("2024-01-01 10:00", "a", "buy", "100", "-1", trade_type="REVERSAL", seq="2024-01-02T00:00:00Z"),
        bf("2024-01-01 10:00", "a", "buy", "90", "1", trade_type="CORRECTION", seq="2024-01-03T00:00:00Z"),
    ]
    assert effective_fills(fills).fills == []


def test_synthetic_counts_as_a_fill() -> None:
    synthetic = bf("2024-01-01 10:00", "s", "buy", "100", "2", trade_type="SYNTHETIC")
    assert effective_fills([synthetic]).fills == [synthetic]
    assert run_books([synthetic]).buy_size == D(2)


def test_exchange_fills_pass_through_as_the_same_objects() -> None:
    fills = [
        bf("2024-01-01 10:00", 1, "buy", "100", "1", trade_type=None),
        bf("2024-01-01 11:00", 2, "sell", "200", "1", trade_type=None),
    ]
    out = effective_fills(fills).fills
    assert len(out) == 2 and all(a is b for a, b in zip(out, fills, strict=True))
    streamed = list(apply_adjustments(iter(fills), Adjustments()))
    assert all(a is b for a, b in zip(streamed, fills, strict=True))


# --------------------------------------------------------------------------- oracle vs books, random streams

_PRICES = st.sampled_from(["0.5", "3", "7", "100.25", "19999.99", "0.0003"])
_SIZES = st.decimals(min_value=D("0.00000001"), max_value=D(50), places=8).map(str)
_FEES = st.decimals(min_value=0, max_value=2, places=4).map(str)
_FILL = st.tuples(
    st.sampled_from(["buy", "buy", "sell"]), _PRICES, _SIZES, _FEES, st.integers(0, 60 * 48), st.booleans()
)
_ADJUST = st.tuples(
    st.sampled_from(["REVERSAL", "CORRECTION"]),
    st.integers(-1, 30),  # the index of the fill it adjusts; -1 or past the end: an orphan
    st.booleans(),  # negative size
    _PRICES,
    _SIZES,
    _FEES,
    st.booleans(),
    st.booleans(),  # SYNTHETIC instead of FILL for the target (never adjusted: it has its own trade_id)
    st.booleans(),  # the adjustment's own created_at weeks after its fill's (or the same)
)


def _seq(n: int) -> str:
    """Posting times that increase with n, alternating 6 and 9 fractional digits."""
    seconds, fraction = divmod(n, 1000)
    digits = f"{fraction:03d}000" if n % 2 else f"{fraction:03d}000000"
    return f"2024-05-01T00:{seconds // 60:02d}:{seconds % 60:02d}.{digits}Z"


def stream(fills: list[tuple], adjustments: list[tuple], draw_positions: list[int]) -> list[BookFill]:
    """Fills and adjustments in posting order (adjustments after their fills' positions, or anywhere)."""
    regular = []
    for i, (side, price, size, fee, minute, in_quote) in enumerate(fills):
        when = f"2024-03-{1 + minute // 1440:02d} {minute % 1440 // 60:02d}:{minute % 60:02d}"
        regular.append(bf(when, f"t{i:03d}", side, price, size, fee, "FILL", in_quote))
    posted: list[BookFill] = list(regular)
    for (kind, target, negative, price, size, fee, in_quote, _, late), where in zip(
        adjustments, draw_positions, strict=True
    ):
        base = regular[target] if 0 <= target < len(regular) else bf("2024-03-09 00:00", "orphan", "buy", "1", "1")
        signed = "-" + size if negative else size
        adjustment = base._replace(trade_type=kind, price=price, size=signed, fee=fee, size_in_quote=in_quote)
        if late:
            adjustment = adjustment._replace(created_at=at(f"2024-04-{1 + where % 28:02d} 12:00"))
        posted.insert(min(where, len(posted)), adjustment)
    return [f._replace(sequence_timestamp=_seq(n)) for n, f in enumerate(posted)]


@st.composite
def streams(draw: st.DrawFn) -> list[BookFill]:
    fills = draw(st.lists(_FILL, min_size=1, max_size=25))
    adjustments = draw(st.lists(_ADJUST, max_size=10))
    positions = [draw(st.integers(0, 40)) for _ in adjustments]
    out = stream(fills, adjustments, positions)
    synthetic = {f"t{a[1]:03d}" for a in adjustments if a[7]}
    return [
        f._replace(trade_type="SYNTHETIC") if f.trade_id in synthetic and f.trade_type == "FILL" else f for f in out
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_books_agree_with_the_oracle(entries: list[BookFill]) -> None:
    expected = oracle(raw(f) for f in entries).get("BTC-USD")
    got = run_books(entries)
    if expected is None:
        assert got.buy_count + got.sell_count == 0
        return
    with localcontext(EXACT):
        assert (got.buy_count, got.sell_count) == (expected["buy_count"], expected["sell_count"])
        assert got.fifo_realized == expected["realized_pnl"]
        assert got.fees == expected["fee_total"]
        assert got.buy_quote + got.sell_quote == expected["quote_volume"]
        assert got.buy_size + got.sell_size == expected["base_volume"]
        assert got.unmatched == expected["unmatched_sell_size"]
        assert got.buy_quote - got.fifo_cost == expected["cost_basis"]
        assert got.avg_realized + got.avg_cost == got.fifo_realized + got.fifo_cost  # both: the proceeds


# --------------------------------------------------------------------------- the store path


@pytest.fixture
def at_store() -> Iterator[TradeStore]:
    """A real store, migrated to the current schema (every fill has the Advanced Trade columns)."""
    with TradeStore(":memory:") as store:
        yield store


def advanced_row(f: BookFill, entry_id: str, label: str = "at", product_id: str = "BTC-USD") -> FillRow:
    """One Advanced Trade entry as the store keeps it (SPEC-15 m009): fee = commission, fill_key = entry_id."""
    return FillRow(
        *(product_id, str(f.trade_id), "order", f.side, f.price, f.size, f.fee, None, "T", 1, f.created_at),
        *("portfolio", None, None, None, label, "advanced", entry_id, entry_id, f.trade_type),
        *(f.sequence_timestamp, f.created_at, int(bool(f.size_in_quote)), f.fee, "TAKER", "portfolio"),
    )


def store_rows(store: TradeStore, entries: list[BookFill], label: str = "at") -> None:
    rows = [advanced_row(f, f"e{n}-{f.sequence_timestamp}", label) for n, f in enumerate(entries)]
    assert store.upsert_fills(rows).inserted == len(rows)


def assert_matches_oracle(store: TradeStore, entries: list[BookFill]) -> None:
    expected = oracle(raw(f) for f in entries)
    summary = summarize(store, Filters.of(label="at"))
    got = {e.product_id: e for e in summary.products}
    assert set(got) == set(expected)
    for product, figures in expected.items():
        for key, value in figures.items():
            assert D(str(getattr(got[product], key))) == value, (product, key)


def test_an_exchange_fill_reads_as_today() -> None:
    """Every store has the Advanced Trade columns now; an Exchange fill's are NULL and it passes through as it is."""
    with TradeStore(":memory:") as store:
        insert(store, fill("BTC-USD", "buy", "100.5", "0.25", "2024-01-01 10:00", fee="0.1"))
        with store.reading() as conn:
            assert orphaned_adjustments(conn) == 0
            (got,) = book_fills(conn, "main", "BTC-USD")
            assert got[:6] == (at("2024-01-01 10:00"), got.trade_id, "buy", "100.5", "0.25", "0.1")
            assert got[6:] == (None, None, None, None, f"BTC-USD:{got.trade_id}")  # no quote override: Exchange's


def test_summary_applies_adjustments_posted_after_the_cache_was_built(at_store: TradeStore) -> None:
    fills = [
        bf("2024-01-01 10:00", "a", "buy", "100", "1", seq="2024-01-01T10:00:00.1Z"),
        bf("2024-01-02 10:00", "b", "buy", "3", "100", size_in_quote=True, seq="2024-01-02T10:00:00.1Z"),
        bf("2024-01-20 10:00", "c", "sell", "300", "1", seq="2024-01-20T10:00:00.1Z"),
    ]
    store_rows(at_store, fills)
    assert_matches_oracle(at_store, fills)  # the cache is built, its checkpoint is days after "a"
    late = [
        bf("2024-01-25 10:00", "a", "buy", "100", "1", trade_type="REVERSAL", seq="2024-01-25T10:00:00.123456789Z"),
        bf("2024-01-26 10:00", "zz", "buy", "1", "1", trade_type="REVERSAL", seq="2024-01-26T10:00:00Z"),  # orphan
    ]
    store_rows(at_store, late)
    assert_matches_oracle(at_store, fills + late)
    with at_store.reading() as conn:
        assert orphaned_adjustments(conn) == orphaned_adjustments(conn, "at") == 1  # "zz" has no fill
        assert orphaned_adjustments(conn, "other") == 0
    entry = summarize(at_store, Filters.of(label="at")).products[0]
    assert entry.buy_count == 1 and entry.realized_pnl != "200"


def test_a_day_cut_by_the_window_reads_adjusted_fills(at_store: TradeStore) -> None:
    entries = [
        bf("2024-01-01 10:00", "a", "buy", "100", "1", seq="2024-01-01T10:00:00Z"),
        bf("2024-01-01 11:00", "b", "buy", "200", "1", seq="2024-01-01T11:00:00Z"),
        bf("2024-01-01 12:00", "a", "buy", "100", "1", trade_type="REVERSAL", seq="2024-01-01T12:00:00Z"),
        bf(
            "2024-01-01 13:00",
            "b",
            "buy",
            "8",
            "100",
            trade_type="CORRECTION",
            size_in_quote=True,
            seq="2024-01-01T13:00:00Z",
        ),
    ]
    store_rows(at_store, entries)
    (entry,) = summarize(at_store, Filters.of(label="at", since="2024-01-01T09:00:00Z")).products
    assert (entry.buy_count, entry.buy_size, entry.quote_volume) == (1, "12.5", "100")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(streams(), st.integers(-1, 30))
@example(  # a reversal posted weeks later, after the cache was built: the replay must start at its fill
    stream(
        [("buy", "100", "1", "0", 0, False), ("buy", "200", "1", "0", 10, True), ("sell", "300", "1", "0", 20, False)],
        [("REVERSAL", 0, True, "1", "1", "0", False, False, True)],
        [40],
    ),
    -1,
)
def test_store_summary_agrees_with_the_oracle(at_store: TradeStore, entries: list[BookFill], split: int) -> None:
    """Stored in two runs: a prefix in posting order, then the rest (split -1: every adjustment after)."""
    with at_store.write() as conn:
        for table in ("fills", "analytics_day", "analytics_sell", "analytics_book", "analytics_dirty"):
            conn.execute(f"DELETE FROM {table}")
    if split < 0:
        first = [f for f in entries if f.trade_type not in ADJUSTMENT_TYPES]
        second = [f for f in entries if f.trade_type in ADJUSTMENT_TYPES]
    else:
        first, second = entries[:split], entries[split:]
    store_rows(at_store, first)
    if oracle(raw(f) for f in first):
        assert_matches_oracle(at_store, first)
    store_rows(at_store, second)  # later fills and adjustments: incremental refresh
    assert_matches_oracle(at_store, entries)
