"""Advanced Trade fills through the real store (migrated, rows via ``FillRow``/``upsert_fills``) to the app's
summary, against the independent FIFO oracle (``fifo_oracle.py``); and how m012's triggers and partial
index keep the analytics cache honest when adjustments arrive, change or go away.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from analytics.fifo_oracle import oracle
from fill_rows import at
from trade_tracker.analytics.book_fills import book_fills, orphaned_adjustments, replay_start
from trade_tracker.analytics.summary import summarize
from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FillRow
from trade_tracker.store.filters import Filters

LABEL, PRODUCT = "at", "BTC-USD"


def entry(
    entry_id: str,
    when: str,
    trade_id: str,
    side: str,
    price: str,
    size: str,
    fee: str = "0",
    trade_type: str = "FILL",
    size_in_quote: bool = False,
    seq: str | None = None,
) -> FillRow:
    """One Advanced Trade entry as the store keeps it (SPEC-15 m009): fee = commission, fill_key = entry_id."""
    created = at(when)
    return FillRow(
        *(PRODUCT, trade_id, "order-" + trade_id, side, price, size, fee, None, "M", 1, created),
        *("portfolio", None, None, None, LABEL, "advanced", entry_id, entry_id, trade_type),
        *(seq or created, created, int(size_in_quote), fee, "MAKER", "portfolio"),
    )


def raw(rows: list[FillRow]) -> list[dict[str, Any]]:
    """The oracle's input: the rows in posting order (sequence_timestamp)."""
    return [r._asdict() for r in sorted(rows, key=lambda r: r.sequence_timestamp or "")]


#: 1 BTC at 100, 100 USD worth at 8 (12.5 BTC, quote-sized), a self-trade (buy and sell sharing a trade_id
#: and created_at), and a second sell under the same trade_id and created_at (a SYNTHETIC entry): the
#: cache must key its sells by fill_key, never by (created_at, trade_id).
FILLS = [
    entry("e1", "2024-01-01 10:00", "a", "buy", "100", "1", fee="0.5"),
    entry("e2", "2024-01-02 10:00", "b", "buy", "8", "100", fee="0.2", size_in_quote=True),
    entry("e3", "2024-01-10 10:00", "x", "buy", "120", "2"),
    entry("e4", "2024-01-10 10:00", "x", "sell", "120", "2", fee="0.1"),
    entry("e5", "2024-01-20 10:00", "s", "sell", "150", "3", fee="0.3"),
    entry("e6", "2024-01-20 10:00", "s", "sell", "151", "1", trade_type="SYNTHETIC"),
]
#: Posted weeks later, after the cache was built: "a" reversed (size of either sign), "b" corrected.
ADJUSTMENTS = [
    entry("e7", "2024-02-15 10:00", "a", "buy", "100", "-1", trade_type="REVERSAL"),
    entry("e8", "2024-02-16 10:00", "b", "buy", "10", "50", fee="0.1", trade_type="CORRECTION", size_in_quote=True),
]
FIGURES = (
    "buy_count",
    "sell_count",
    "buy_size",
    "sell_size",
    "base_volume",
    "quote_volume",
    "fee_total",
    "realized_pnl",
    "net_realized_pnl",
    "unmatched_sell_size",
    "position",
    "open_size",
    "cost_basis",
)


def assert_oracle(summary: Any, rows: list[FillRow]) -> None:
    (expected,) = oracle(raw(rows)).values()
    (got,) = summary.products
    assert {k: Decimal(getattr(got, k)) for k in FIGURES} == {k: expected[k] for k in FIGURES}


def app_summary(**filters: Any) -> Any:
    async def run() -> Any:
        app = TradeTracker.open()
        try:
            return await app.summary(Filters.of(label=LABEL, **filters))
        finally:
            await app.aclose()

    return asyncio.run(run())


def summary_of(store: TradeStore) -> Any:
    """The label's summary through ``analytics.summarize`` (the one call of it here)."""
    return summarize(store, Filters.of(label=LABEL))


def upsert(rows: list[FillRow]) -> None:
    with TradeStore(load_settings().db_path) as store:
        assert store.upsert_fills(rows).inserted == len(rows)


def dirty(store: TradeStore) -> list[tuple[str, str, str]]:
    with store.reading() as conn:
        return conn.execute("SELECT label, product_id, from_at FROM analytics_dirty").fetchall()


def test_trade_summary_of_advanced_fills_equals_the_oracle_before_and_after_adjustments() -> None:
    upsert(FILLS)
    before = app_summary()
    assert_oracle(before, FILLS)
    (product,) = before.products
    assert (product.buy_size, product.sell_count, product.quote_volume) == ("15.5", 3, "1281")
    upsert(ADJUSTMENTS)  # the cache is built; the triggers mark the book from the adjustments' created_at
    after = app_summary()
    assert_oracle(after, FILLS + ADJUSTMENTS)
    (adjusted,) = after.products
    assert (adjusted.buy_count, adjusted.buy_size) == (2, "7")  # "a" gone, "b" is 50 USD at 10: 5 BTC
    assert adjusted.realized_pnl != product.realized_pnl and adjusted.fee_total == "0.5"
    # a day cut by the window reads the same adjusted fills, and each sell by its fill_key
    since = at("2024-01-20 09:00")
    (window,) = app_summary(since=since).products
    (earlier,) = oracle(raw([r for r in FILLS if r.created_at < since] + ADJUSTMENTS)).values()
    realized = Decimal(adjusted.realized_pnl) - earlier["realized_pnl"]  # FIFO: later fills change no earlier sell
    assert (window.sell_count, window.sell_size, Decimal(window.realized_pnl)) == (2, "4", realized)


def test_the_cache_keys_each_sell_by_its_fill_key() -> None:
    with TradeStore(":memory:") as store:
        store.upsert_fills(FILLS)
        summary_of(store)
        with store.reading() as conn:
            sells = conn.execute(
                "SELECT created_at, fill_key FROM analytics_sell ORDER BY created_at, fill_key"
            ).fetchall()
    assert sells == [(at("2024-01-10 10:00"), "e4"), (at("2024-01-20 10:00"), "e5"), (at("2024-01-20 10:00"), "e6")]


def test_an_inserted_adjustment_replays_from_its_fill() -> None:
    with TradeStore(":memory:") as store:
        store.upsert_fills(FILLS)
        summary_of(store)
        store.upsert_fills(ADJUSTMENTS[:1])
        assert dirty(store) == [(LABEL, PRODUCT, at("2024-02-15 10:00"))]  # the insert marks the adjustment
        with store.reading() as conn:
            assert replay_start(conn, LABEL, PRODUCT, at("2024-02-15 10:00")) == at("2024-01-01 10:00")
            assert replay_start(conn, LABEL, PRODUCT, at("2024-02-16 10:00")) == at("2024-02-16 10:00")
        assert_oracle(summary_of(store), FILLS + ADJUSTMENTS[:1])


@pytest.mark.parametrize("change", ["delete", "update"])
def test_deleting_or_changing_an_adjustment_marks_its_book_from_its_fill(change: str) -> None:
    with TradeStore(":memory:") as store:
        store.upsert_fills(FILLS + ADJUSTMENTS)
        assert_oracle(summary_of(store), FILLS + ADJUSTMENTS)
        assert dirty(store) == []
        with store.write() as conn:
            if change == "delete":
                conn.execute("DELETE FROM fills WHERE fill_key = 'e8'")
            else:
                conn.execute("UPDATE fills SET price = '4' WHERE fill_key = 'e8'")
        assert dirty(store) == [(LABEL, PRODUCT, at("2024-01-02 10:00"))]  # "b", not the correction's own day
        rows = FILLS + ADJUSTMENTS[:1]
        if change == "update":
            rows = [*rows, ADJUSTMENTS[1]._replace(price="4")]
        assert_oracle(summary_of(store), rows)


def test_deleting_an_orphaned_adjustment_marks_its_own_time() -> None:
    """No fill of its trade is stored: the mark falls back to the adjustment's created_at (never NULL)."""
    orphan = entry("e9", "2024-03-01 10:00", "zz", "buy", "1", "1", trade_type="REVERSAL")
    with TradeStore(":memory:") as store:
        store.upsert_fills([*FILLS, orphan])
        summary_of(store)
        with store.reading() as conn:
            assert orphaned_adjustments(conn, LABEL) == 1
        with store.write() as conn:
            conn.execute("DELETE FROM fills WHERE fill_key = 'e9'")
        assert dirty(store) == [(LABEL, PRODUCT, at("2024-03-01 10:00"))]


def test_a_change_analytics_sees_marks_the_book_and_settled_alone_does_not() -> None:
    with TradeStore(":memory:") as store:
        store.upsert_fills(FILLS)
        summary_of(store)
        for column, value in (("settled", "0"), ("trade_type", "'SYNTHETIC'"), ("size_in_quote", "1")):
            with store.write() as conn:
                conn.execute(f"UPDATE fills SET {column} = {value} WHERE fill_key = 'e3'")
            marked = dirty(store)
            assert marked == ([] if column == "settled" else [(LABEL, PRODUCT, at("2024-01-10 10:00"))]), column
            summary_of(store)


def test_the_adjustment_queries_use_the_partial_index() -> None:
    """book_fills, replay_start and orphaned_adjustments find adjustments through ``fills_adjustments``
    (it holds only reversals and corrections), never by scanning the book's fills."""
    with TradeStore(":memory:") as store:
        store.upsert_fills(FILLS + ADJUSTMENTS)
        with store.reading() as conn:
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
            try:
                list(book_fills(conn, LABEL, PRODUCT))
                replay_start(conn, LABEL, PRODUCT, at("2024-01-05 10:00"))
                orphaned_adjustments(conn, LABEL)
            finally:
                conn.set_trace_callback(None)
            adjustment_queries = [s for s in statements if "trade_type IN ('CORRECTION', 'REVERSAL')" in s]
            assert len(adjustment_queries) == 3
            for sql in adjustment_queries:
                plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
                assert "INDEX fills_adjustments" in plan, (sql, plan)
