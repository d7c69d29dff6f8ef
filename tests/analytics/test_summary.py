"""Trade analytics: hand-computed examples, a plain second implementation, and cache exactness."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fill_rows import at, fill, insert
from trade_tracker.analytics import cache as analytics_cache
from trade_tracker.analytics.cache import rebuild_cache, refresh_cache
from trade_tracker.analytics.models import ProductSummary, Summary
from trade_tracker.analytics.summary import summarize, with_unrealized
from trade_tracker.errors import InvalidArgument
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters

D = Decimal
_PLAIN = Context(prec=200)  # large enough that nothing in these tests rounds


@pytest.fixture
def store() -> Iterator[TradeStore]:
    with TradeStore(":memory:") as trade_store:
        yield trade_store


def one(summary: Summary, product_id: str = "BTC-USD") -> ProductSummary:
    (entry,) = [e for e in summary.products if e.product_id == product_id]
    return entry


# --------------------------------------------------------------------------- hand-computed examples


def test_partial_fills_with_fees_in_quote(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100.00000000", "1.00000000", "2024-01-01 10:00", fee="0.5000000000000000"),
        fill("BTC-USD", "buy", "200.00000000", "1.00000000", "2024-01-01 10:00:01", fee="1.00"),
        fill("BTC-USD", "sell", "300.00000000", "0.50000000", "2024-01-02 10:00", fee="0.75"),
        fill("BTC-USD", "sell", "300.00000000", "1.00000000", "2024-01-02 10:00", fee="1.50"),
    )
    fifo = one(summarize(store))
    # sells: 0.5 from lot @100 → +100; 1.0 = 0.5 @100 + 0.5 @200 → +100 + 50
    assert fifo.model_dump(exclude={"first_fill_at", "last_fill_at"}) == {
        "product_id": "BTC-USD",
        "base_currency": "BTC",
        "quote_currency": "USD",
        "period": None,
        "buy_count": 2,
        "sell_count": 2,
        "buy_size": "2",
        "sell_size": "1.5",
        "base_volume": "3.5",
        "quote_volume": "750",
        "fees": {"USD": "3.75"},
        "fee_total": "3.75",
        "avg_buy_price": "150",
        "avg_sell_price": "300",
        "position": "0.5",
        "open_size": "0.5",
        "cost_basis": "100",
        "realized_pnl": "250",
        "net_realized_pnl": "246.25",
        "unmatched_sell_size": "0",
        "ticker_price": None,
        "ticker_time": None,
        "unrealized_pnl_at_ticker": None,
    }
    assert (fifo.first_fill_at, fifo.last_fill_at) == (at("2024-01-01 10:00"), at("2024-01-02 10:00"))
    average = one(summarize(store, method="average"))  # 1.5 at the average 150 → 450 − 225
    assert (average.realized_pnl, average.net_realized_pnl, average.cost_basis) == ("225", "221.25", "75")


def test_several_products_and_currency_totals(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "20000", "0.5", "2024-01-01 00:00", fee="10"),
        fill("BTC-USD", "sell", "30000", "0.2", "2024-01-02 00:00", fee="6"),
        fill("ETH-USD", "buy", "1000", "2", "2024-01-01 00:00", fee="2"),
        fill("ETH-USD", "sell", "1500", "1", "2024-01-03 00:00", fee="1.5"),
        fill("ETH-BTC", "buy", "0.05", "1", "2024-01-04 00:00", fee="0.0001"),
        fill("ETH-BTC", "sell", "0.06", "1", "2024-01-05 00:00", fee="0.00012"),
    )
    summary = summarize(store)
    assert [e.product_id for e in summary.products] == ["BTC-USD", "ETH-BTC", "ETH-USD"]
    assert summary.fill_count == 6
    assert one(summary, "ETH-BTC").fees == {"BTC": "0.00022"}
    assert one(summary, "ETH-BTC").realized_pnl == "0.01"
    totals = {t.currency: t for t in summary.currencies}
    assert totals["USD"].realized_pnl == "2500"  # 0.2 × 10000 + 1 × 500
    assert totals["USD"].fees == "19.5"
    assert totals["USD"].net_realized_pnl == "2480.5"
    assert totals["USD"].quote_volume == "19500"  # 10000 + 6000 + 2000 + 1500
    assert totals["USD"].cost_basis == "7000"  # 0.3 × 20000 + 1 × 1000
    assert totals["BTC"].position == "0.3"  # as the base of BTC-USD
    assert totals["BTC"].fees == "0.00022"  # as the quote of ETH-BTC
    assert totals["BTC"].realized_pnl == "0.01"
    assert totals["ETH"].position == "1"  # 1 from ETH-USD, 0 from ETH-BTC
    assert totals["ETH"].base_volume == "5"


def test_sell_beyond_the_position_has_no_cost_basis(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"),
        fill("BTC-USD", "sell", "150", "3", "2024-01-02 00:00"),
    )
    entry = one(summarize(store))
    assert (entry.realized_pnl, entry.unmatched_sell_size) == ("50", "2")  # only 1 matched; 2 have no basis
    assert (entry.position, entry.open_size, entry.cost_basis) == ("-2", "0", "0")
    insert(store, fill("BTC-USD", "buy", "120", "1", "2024-01-03 00:00"))  # no short was opened
    entry = one(summarize(store))
    assert (entry.position, entry.open_size, entry.cost_basis) == ("-1", "1", "120")
    assert one(summarize(store, method="average")).unmatched_sell_size == "2"


def test_average_cost_method(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"),
        fill("BTC-USD", "buy", "130", "2", "2024-01-01 01:00"),  # 3 held at 360: average 120
        fill("BTC-USD", "sell", "150", "1.5", "2024-01-01 02:00"),  # removes 180 → +45
        fill("BTC-USD", "buy", "200", "0.5", "2024-01-01 03:00"),  # 2 held at 280: average 140
    )
    average = one(summarize(store, method="average"))
    assert (average.realized_pnl, average.cost_basis, average.open_size) == ("45", "280", "2")
    fifo = one(summarize(store))  # 1 @100 + 0.5 @130 → +60; open 1.5 @130 + 0.5 @200
    assert (fifo.realized_pnl, fifo.cost_basis) == ("60", "295")
    insert(store, fill("BTC-USD", "sell", "100", "2", "2024-01-01 04:00"))  # flat: both methods agree
    assert one(summarize(store, method="average")).realized_pnl == one(summarize(store)).realized_pnl == "-35"


def test_average_cost_rounds_once_and_keeps_the_rest_in_the_basis(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "1", "1", "2024-01-01 00:00"),
        fill("BTC-USD", "buy", "2", "2", "2024-01-01 01:00"),  # 3 held at 5
        fill("BTC-USD", "sell", "3", "1", "2024-01-01 02:00"),  # removes 5/3 → 1.666666666666666667
    )
    entry = one(summarize(store, method="average"))
    assert entry.realized_pnl == "1.333333333333333333"
    assert entry.cost_basis == "3.333333333333333333"
    # the cost removed is the same on both sides: proceeds − realized == cost bought − cost still open
    assert D(3) - D(entry.realized_pnl) == D(5) - D(entry.cost_basis) == D("1.666666666666666667")
    assert entry.avg_buy_price == "1.666666666667"  # 12 places, half-even


def test_window_attributes_pnl_to_the_sells_inside_it(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "2", "2024-01-01 10:00", fee="1"),
        fill("BTC-USD", "buy", "200", "1", "2024-01-05 09:00", fee="2"),
        fill("BTC-USD", "sell", "300", "1", "2024-01-05 12:00", fee="3"),  # matches the Jan 1 lot: +200
        fill("BTC-USD", "sell", "300", "1", "2024-01-06 12:00", fee="3"),
        fill("BTC-USD", "sell", "300", "1", "2024-01-08 00:00", fee="3"),
    )
    entry = one(summarize(store, Filters.of(since="2024-01-05T10:00:00Z", until="2024-01-06T11:59:59Z")))
    assert (entry.buy_count, entry.sell_count, entry.fee_total) == (0, 1, "3")
    assert (entry.realized_pnl, entry.net_realized_pnl) == ("200", "197")
    assert (entry.position, entry.open_size, entry.cost_basis) == ("2", "2", "300")  # held at the window's end
    # until is inclusive; a bare date is that whole UTC day, as in query_fills
    entry = one(summarize(store, Filters.of(since="2024-01-05", until="2024-01-06")))
    assert (entry.buy_count, entry.sell_count, entry.realized_pnl, entry.fee_total) == (1, 2, "400", "8")
    assert entry.position == "1"
    assert one(summarize(store, Filters.of(until="2024-01-08T00:00:00Z"))).sell_count == 3
    entry = one(summarize(store, Filters.of(since=datetime(2024, 1, 6, tzinfo=UTC))))
    assert (entry.sell_count, entry.realized_pnl, entry.position) == (2, "300", "0")
    assert summarize(store, Filters.of(since="2024-02-01")).products == []  # no fills in the window
    assert one(summarize(store, Filters.of(until="9999-12-31"))).sell_count == 3


def test_labels_are_separate_books_and_filter(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00", label="alice"),
        fill("BTC-USD", "sell", "150", "1", "2024-01-02 00:00", label="bob"),  # bob holds nothing
        fill("BTC-USD", "sell", "170", "0.5", "2024-01-03 00:00", label="alice"),
    )
    both = one(summarize(store))
    assert (both.realized_pnl, both.unmatched_sell_size, both.position, both.open_size) == ("35", "1", "-0.5", "0.5")
    bob = one(summarize(store, Filters.of(label="bob")))
    assert (bob.sell_count, bob.realized_pnl, bob.unmatched_sell_size) == (1, "0", "1")
    alice = one(summarize(store, Filters.of(label="alice", product_id="btc-usd")))
    assert (alice.realized_pnl, alice.cost_basis) == ("35", "50")
    assert summarize(store, Filters.of(label="carol")).products == []


def test_group_by_month_and_day(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "2", "2024-01-10 00:00"),
        fill("BTC-USD", "sell", "150", "1", "2024-01-31 23:59:59"),
        fill("BTC-USD", "sell", "130", "0.5", "2024-03-01 00:00"),
        fill("ETH-USD", "buy", "10", "1", "2024-02-15 00:00"),
    )
    months = summarize(store, group_by="month")
    assert [(e.product_id, e.period) for e in months.products] == [
        ("BTC-USD", "2024-01"),
        ("BTC-USD", "2024-03"),
        ("ETH-USD", "2024-02"),
    ]
    jan, mar = months.products[0], months.products[1]
    assert (jan.realized_pnl, jan.position, jan.sell_count) == ("50", "1", 1)
    assert (mar.realized_pnl, mar.position, mar.cost_basis) == ("15", "0.5", "50")
    assert {t.currency: t.realized_pnl for t in months.currencies}["USD"] == "65"
    days = summarize(store, Filters.of(product_id="BTC-USD", since="2024-01-31"), group_by="day")
    assert [e.period for e in days.products] == ["2024-01-31", "2024-03-01"]
    assert days.products[0].position == "1"


def test_decimal_strings_never_use_exponents(store: TradeStore) -> None:
    insert(store, fill("BTC-USD", "buy", "0.00000100", "0.00000010", "2024-01-01 00:00", fee="0.0000000000000010"))
    entry = one(summarize(store))
    assert (entry.buy_size, entry.quote_volume) == ("0.0000001", "0.0000000000001")
    assert entry.fee_total == "0.000000000000001"
    insert(store, fill("BTC-USD", "buy", "10000000000", "100", "2024-01-01 00:01"))
    assert one(summarize(store)).quote_volume == "1000000000000.0000000000001"


def test_with_unrealized_values_open_lots_at_the_ticker(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"),
        fill("BTC-USD", "buy", "200", "1", "2024-01-02 00:00"),
        fill("BTC-USD", "sell", "150", "1.5", "2024-01-03 00:00"),
        fill("ETH-USD", "buy", "10", "3", "2024-01-01 00:00"),
        fill("SOL-EUR", "buy", "5", "1", "2024-01-01 00:00"),
    )
    base = summarize(store)
    when = datetime(2024, 6, 1, 12, tzinfo=UTC)
    valued = with_unrealized(base, {"BTC-USD": D("300"), "ETH-USD": "12.5"}, when)
    btc = one(valued)
    assert (btc.ticker_price, btc.ticker_time) == ("300", "2024-06-01T12:00:00.000000Z")
    assert btc.unrealized_pnl_at_ticker == "50"  # 0.5 open at 200 → 150
    assert one(valued, "ETH-USD").unrealized_pnl_at_ticker == "7.5"
    assert one(valued, "SOL-EUR").unrealized_pnl_at_ticker is None  # no price: unmarked
    totals = {t.currency: t for t in valued.currencies}
    assert totals["USD"].unrealized_pnl_at_ticker == "57.5"
    assert totals["EUR"].unrealized_pnl_at_ticker is None
    assert one(base).unrealized_pnl_at_ticker is None  # the input is left alone
    with pytest.raises(InvalidArgument):
        with_unrealized(base, {"BTC-USD": 300.0})  # type: ignore[dict-item]
    grouped = with_unrealized(summarize(store, Filters.of(product_id="BTC-USD"), group_by="day"), {"BTC-USD": D(300)})
    assert [e.unrealized_pnl_at_ticker for e in grouped.products] == [None, None, "50"]


def test_empty_store_and_bad_arguments(store: TradeStore) -> None:
    summary = summarize(store)
    assert (summary.products, summary.currencies, summary.fill_count) == ([], [], 0)
    for bad in (
        {"group_by": "week"},
        {"method": "lifo"},
        {"since": "yesterday"},
        {"since": "2025-02-30"},
        {"until": "2025-01-01T25:00:00Z"},
        {"since": "2024-02-01", "until": "2024-01-01"},
    ):
        options = {k: bad.pop(k) for k in ("group_by", "method") if k in bad}
        with pytest.raises(InvalidArgument):
            summarize(store, Filters.of(**bad), **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the cache


def test_cache_follows_every_kind_of_change(store: TradeStore) -> None:
    insert(store, fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"))
    assert one(summarize(store)).position == "1"
    insert(store, fill("BTC-USD", "sell", "150", "0.5", "2024-01-02 00:00"))  # newer: appended
    assert one(summarize(store)).realized_pnl == "25"
    insert(store, fill("BTC-USD", "buy", "50", "1", "2023-12-01 00:00"))  # older: FIFO changes
    assert one(summarize(store)).realized_pnl == "50"
    with store.write() as conn:
        conn.execute("UPDATE fills SET fee = '2' WHERE side = 'sell'")
    assert one(summarize(store)).fee_total == "2"
    with store.write() as conn:
        conn.execute("UPDATE fills SET label = 'other' WHERE price = '50'")
    assert one(summarize(store, Filters.of(label="main"))).realized_pnl == "25"
    with store.write() as conn:
        conn.execute("DELETE FROM fills WHERE label = 'other'")
    assert summarize(store, Filters.of(label="other")).products == []
    with store.write() as conn:
        conn.execute("DELETE FROM fills")
    assert summarize(store).products == []
    assert store.conn.execute("SELECT count(*) FROM analytics_day").fetchone() == (0,)


def test_settled_flag_alone_does_not_dirty_the_cache(store: TradeStore) -> None:
    insert(store, fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"))
    summarize(store)
    with store.write() as conn:
        conn.execute("UPDATE fills SET settled = 1")
    assert refresh_cache(store) == 0


def _tamper_day(store: TradeStore, day: str) -> None:
    with store.write() as conn:
        conn.execute("UPDATE analytics_day SET buy_count = 99 WHERE day = ?", (day,))


def test_recent_changes_replay_from_the_checkpoint_not_from_the_start(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"),
        fill("BTC-USD", "buy", "110", "1", "2024-01-20 00:00"),
        fill("BTC-USD", "sell", "120", "1", "2024-01-21 00:00"),
    )
    summarize(store)
    _tamper_day(store, "2024-01-01")  # a marker: survives unless that day is recomputed
    insert(store, fill("BTC-USD", "sell", "130", "0.5", "2024-01-22 00:00"))  # append
    assert one(summarize(store)).buy_count == 100
    with store.write() as conn:  # a late fee update a few days back: replay from the checkpoint
        conn.execute("UPDATE fills SET fee = '0.1' WHERE created_at = ?", (at("2024-01-20 00:00"),))
    entry = one(summarize(store))
    assert (entry.buy_count, entry.fee_total, entry.realized_pnl) == (100, "0.1", "30")
    insert(store, fill("BTC-USD", "buy", "1", "1", "2023-06-01 00:00"))  # older than the checkpoint: rebuild
    assert one(summarize(store)).buy_count == 3
    rebuild_cache(store)
    assert one(summarize(store)).realized_pnl == "134"  # 1 @1 sold at 120, 0.5 @100 at 130


def test_a_fill_exactly_at_the_checkpoint_is_replayed_once(store: TradeStore) -> None:
    insert(
        store,
        fill("BTC-USD", "buy", "100", "1", "2024-01-01 00:00"),
        fill("BTC-USD", "buy", "200", "1", "2024-01-13 00:00"),  # the checkpoint: 7 days before the last day
        fill("BTC-USD", "sell", "300", "2", "2024-01-20 00:00"),
    )
    summarize(store)
    (checkpoint_at,) = store.conn.execute("SELECT checkpoint_at FROM analytics_book").fetchone()
    assert checkpoint_at == at("2024-01-13 00:00")
    with store.write() as conn:  # replays from the checkpoint
        conn.execute("UPDATE fills SET fee = '1' WHERE side = 'sell'")
    assert one(summarize(store)).realized_pnl == "300"
    insert(store, fill("BTC-USD", "sell", "400", "1", "2024-01-21 00:00"))  # nothing is left to match
    entry = one(summarize(store))
    assert (entry.realized_pnl, entry.unmatched_sell_size, entry.open_size, entry.cost_basis) == ("300", "1", "0", "0")


# --------------------------------------------------------------------------- a plain second implementation


def fifo_by_prefix_cost(fills: list[tuple[str, Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    """FIFO realized PnL and unmatched size, computed differently: sells consume a prefix of all units bought.

    With C(q) the cost of the first q units bought, a sell matching m units after M were consumed
    costs C(M + m) − C(M), and m = min(size, bought so far − M).
    """
    bought: list[tuple[Decimal, Decimal]] = []  # (price, size), in order

    def cost_of_first(q: Decimal) -> Decimal:
        total, left = Decimal(0), q
        for price, size in bought:
            take = min(size, left)
            total, left = total + take * price, left - take
        return total

    consumed = realized = unmatched = Decimal(0)
    for side, price, size in fills:
        if side == "buy":
            bought.append((price, size))
            continue
        matched = min(size, sum((s for _, s in bought), Decimal(0)) - consumed)
        realized += price * matched - (cost_of_first(consumed + matched) - cost_of_first(consumed))
        unmatched += size - matched
        consumed += matched
    return realized, unmatched


prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
sizes = st.decimals(min_value=D("0.00000001"), max_value=D("50"), places=8)
sequences = st.lists(st.tuples(st.sampled_from(["buy", "sell"]), prices, sizes), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(sequences)
def test_fifo_matches_the_prefix_cost_implementation(seq: list[tuple[str, Decimal, Decimal]]) -> None:
    with TradeStore(":memory:") as trade_store:
        insert(
            trade_store,
            *(
                ("BTC-USD", i, "o", side, f"{price:f}", f"{size:f}", "0", f"2024-01-01T00:00:00.{i:06d}Z", "m")
                for i, (side, price, size) in enumerate(seq)
            ),
        )
        entry = one(summarize(trade_store))
    with localcontext(_PLAIN):
        realized, unmatched = fifo_by_prefix_cost(seq)
    assert D(entry.realized_pnl) == realized
    assert D(entry.unmatched_sell_size) == unmatched


def reference(
    rows: list[tuple], since: str | None, until: str | None, method: str
) -> dict[str, dict[str, Decimal | int]]:
    """Every figure of a plain full recomputation from the fill rows, per product (window inclusive)."""
    with localcontext(_PLAIN):
        return _reference(rows, since, until, method)


def _reference(rows: list[tuple], since: str | None, until: str | None, method: str) -> dict[str, dict]:
    books: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        books.setdefault((row[8], row[0]), []).append(row)
    out: dict[str, dict[str, Decimal | int]] = {}
    for (_, product), book in books.items():
        book.sort(key=lambda r: (r[7], r[1]))
        lots: list[list[Decimal]] = []
        held = avg_cost = Decimal(0)
        fig = out.setdefault(product, dict.fromkeys(("buy_count", "sell_count", "any"), 0))
        for key in ("base_volume", "quote_volume", "fee_total", "realized_pnl", "unmatched_sell_size"):
            fig.setdefault(key, Decimal(0))
        for key in ("position", "open_size", "cost_basis"):
            fig.setdefault(key, Decimal(0))
        for _, _, _, side, price_t, size_t, fee_t, created, _ in book:
            if until is not None and created > until:
                break
            price, size, fee = D(price_t), D(size_t), D(fee_t)
            inside = since is None or created >= since
            realized = Decimal(0)
            if side == "buy":
                lots.append([price, size])
                held, avg_cost = held + size, avg_cost + price * size
                fig["position"] += size
            else:
                matched = min(size, held)
                if method == "average":
                    removed = avg_cost
                    if matched != held:
                        removed = _PLAIN.divide(avg_cost * matched, held).quantize(D("1e-18"), ROUND_HALF_EVEN)
                    realized = price * matched - removed
                    avg_cost -= removed
                left = matched
                while left:
                    take = min(left, lots[0][1])
                    if method == "fifo":
                        realized += take * (price - lots[0][0])
                    lots[0][1] -= take
                    left -= take
                    if not lots[0][1]:
                        lots.pop(0)
                held -= matched
                fig["position"] -= size
                if inside:
                    fig["unmatched_sell_size"] += size - matched
                    fig["realized_pnl"] += realized
            if inside:
                fig["any"] = 1
                fig[f"{side}_count"] += 1
                fig["base_volume"] += size
                fig["quote_volume"] += price * size
                fig["fee_total"] += fee
        fig["open_size"] += held
        fig["cost_basis"] += sum((p * s for p, s in lots), Decimal(0)) if method == "fifo" else avg_cost
    return {product: fig for product, fig in out.items() if fig.pop("any")}


def assert_matches_reference(trade_store: TradeStore, since: str | None, until: str | None, method: str) -> None:
    rows = trade_store.conn.execute(
        "SELECT product_id, trade_id, order_id, side, price, size, fee, created_at, label FROM fills"
    ).fetchall()
    expected = reference(rows, since, until, method)
    summary = summarize(trade_store, Filters.of(since=since, until=until), method=method)  # type: ignore[arg-type]
    got = {e.product_id: e.model_dump() for e in summary.products}
    assert set(got) == set(expected)
    for product, figures in expected.items():
        for key, value in figures.items():
            assert D(got[product][key]) == value, (product, key)


fill_rows = st.lists(
    st.tuples(
        st.sampled_from(["BTC-USD", "ETH-BTC"]),
        st.sampled_from(["buy", "buy", "sell"]),
        prices,
        sizes,
        st.integers(0, 8 * 24 - 1) | st.integers(0, 7).map(lambda day: day * 24),  # hours; midnights often
        st.sampled_from(["a", "b"]),
        st.decimals(min_value=0, max_value=10, places=4),
    ),
    min_size=1,
    max_size=40,
)


def book_states(trade_store: TradeStore) -> dict[tuple[str, str], tuple]:
    """The cached open lots of every book, as numbers."""
    rows = trade_store.conn.execute("SELECT label, product_id, state FROM analytics_book").fetchall()
    states = {(label, product): json.loads(state) for label, product, state in rows}
    return {key: (D(s["held"]), D(s["avg_cost"]), [(D(p), D(q)) for p, q in s["lots"]]) for key, s in states.items()}


def march(hour: int, minute: int = 30) -> str:
    """A created_at in March 2024, ``hour`` hours after its start."""
    return f"2024-03-{1 + hour // 24:02d}T{hour % 24:02d}:{minute:02d}:00.000000Z"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fill_rows, st.data())
def test_incremental_cache_equals_full_recomputation(rows: list[tuple], data: st.DataObject) -> None:
    fills = [  # equal created_at happen (trade_id orders them), and midnights (checkpoints) often
        (product, i + 1, "o", side, f"{price:f}", f"{size:f}", f"{fee:f}", march(hour, i % 3 * bool(hour % 24)), label)
        for i, (product, side, price, size, hour, label, fee) in enumerate(rows)
    ]
    order = data.draw(st.permutations(fills)) if data.draw(st.booleans()) else sorted(fills, key=lambda f: f[7])
    cuts = sorted(data.draw(st.lists(st.integers(0, len(order)), max_size=4)))
    hours = st.integers(0, 9 * 24).map(march)
    late_changes = (
        "UPDATE fills SET fee = '1' WHERE created_at >= (SELECT substr(max(created_at), 1, 10) FROM fills)",
        "DELETE FROM fills WHERE trade_id = (SELECT max(trade_id) FROM fills WHERE side = 'buy')",
        "UPDATE fills SET size = '0.5' WHERE trade_id = (SELECT min(trade_id) FROM fills)",
        "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, created_at, label, fill_key) "
        "VALUES ('BTC-USD', 999, 'o', 'sell', '7', '0.25', '0', '2024-03-09T00:00:00.000000Z', 'a', 'BTC-USD:999')",
    )

    def check() -> None:
        since, until = sorted([data.draw(hours), data.draw(hours)])
        window = data.draw(st.none() | st.just(since)), data.draw(st.none() | st.just(until))
        assert_matches_reference(trade_store, *window, data.draw(st.sampled_from(["fifo", "average"])))

    lag, analytics_cache.CHECKPOINT_LAG_DAYS = analytics_cache.CHECKPOINT_LAG_DAYS, data.draw(st.sampled_from([0, 1]))
    try:
        with TradeStore(":memory:") as trade_store:
            for start, end in itertools.pairwise([0, *cuts, len(order)]):
                insert(trade_store, *order[start:end])
                check()
            for change in data.draw(st.lists(st.sampled_from(late_changes), max_size=3, unique=True)):
                with trade_store.write() as conn:
                    conn.execute(change)
                check()
            before, books = summarize(trade_store, group_by="day"), book_states(trade_store)
            rebuild_cache(trade_store)
            after = summarize(trade_store, group_by="day")
            assert before.model_dump(exclude={"generated_at"}) == after.model_dump(exclude={"generated_at"})
            assert books == book_states(trade_store)
    finally:
        analytics_cache.CHECKPOINT_LAG_DAYS = lag


def test_a_damaged_cache_is_rebuilt_from_the_fills(store: TradeStore) -> None:
    """The cache is a disposable copy: if a sell's row goes missing, summarize rebuilds it, same answer."""
    insert(
        store,
        fill("BTC-USD", "buy", "100", "2", "2024-01-01 10:00", fee="1"),
        fill("BTC-USD", "sell", "300", "1", "2024-01-05 12:00", fee="3"),
    )
    expected = summarize(store, Filters.of(since="2024-01-05T11:00:00Z")).model_dump(exclude={"generated_at"})
    with store.write("damaging the cache") as conn:
        conn.execute("DELETE FROM analytics_sell")
    again = summarize(store, Filters.of(since="2024-01-05T11:00:00Z")).model_dump(exclude={"generated_at"})
    assert again == expected
    assert one(summarize(store)).realized_pnl == "200"
