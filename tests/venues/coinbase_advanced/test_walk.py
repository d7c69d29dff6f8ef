"""The Advanced Trade fills walk: its pure cursor transitions and the walk over a scripted client.

The transitions run inside a page's transaction, so each is checked as a function of the state as stored:
the mark moves only when a window's last page is stored, only over a contiguous range, and timestamps are
compared parsed (6 and 9 fractional digits, none). The walk is driven on a real store through the real
``StoreSink``, with a client that answers scripted pages: the page cursor is saved after each page, a
killed run resumes mid-window, an expired cursor restarts the window, a repeated cursor stops with the
client's error after storing what came before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trade_tracker.errors import BadRequest, ExchangeProtocolError
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters
from trade_tracker.store.sync_state import SyncState
from trade_tracker.sync.sink import Stopped, StoreSink
from trade_tracker.venues.coinbase_advanced.models import AdvancedFill, FillPage
from trade_tracker.venues.coinbase_advanced.walk import (
    OVERLAP,
    AccountWalk,
    AdvancedCursor,
    close_window,
    instant_ns,
    newest,
    next_page,
    open_window,
)

LABEL = "adv"


def state(**cursor: Any) -> SyncState:
    return SyncState(label=LABEL, venue="advanced", scope="*", cursor=AdvancedCursor(**cursor).model_dump())


# -- timestamps ---------------------------------------------------------------------------------


def test_timestamps_compare_parsed_not_as_text() -> None:
    assert instant_ns("2026-01-18T01:37:38.092520Z") == instant_ns("2026-01-18T01:37:38.092520000Z")
    assert instant_ns("2026-01-18T01:37:38.000000001Z") - instant_ns("2026-01-18T01:37:38Z") == 1
    # As text, "...:01Z" sorts after "...:01.5Z" and "...000000Z" after "...000000001Z": both wrong.
    assert newest("2026-01-01T00:00:01Z", "2026-01-01T00:00:01.5Z") == "2026-01-01T00:00:01.5Z"
    assert newest("2026-01-01T00:00:01.000000001Z", "2026-01-01T00:00:01.000000Z") == "2026-01-01T00:00:01.000000001Z"
    assert newest(None, "2026-01-01T00:00:01Z") == "2026-01-01T00:00:01Z" and newest(None, None) is None


def test_the_incremental_window_starts_an_overlap_before_the_mark() -> None:
    cursor = AdvancedCursor(mark="2026-03-01T12:00:00.123456789Z")
    start = cursor.incremental_start()
    assert start is not None
    assert instant_ns(cursor.mark or "") - instant_ns(start) == OVERLAP.total_seconds() * 1e9 + 789
    assert AdvancedCursor().incremental_start() is None


# -- transitions --------------------------------------------------------------------------------


def test_the_mark_moves_only_when_the_window_closes() -> None:
    opened = open_window(state(mark="2026-01-01T00:00:00Z"), "2025-12-31T23:50:00Z", "c1", "2026-01-02T00:00:00.5Z")
    c = AdvancedCursor.of(opened)
    assert (c.mark, c.window_start, c.page, c.window_top) == (
        "2026-01-01T00:00:00Z",
        "2025-12-31T23:50:00Z",
        "c1",
        "2026-01-02T00:00:00.5Z",
    )
    moved = next_page(opened, "c1", "c2", "2026-01-01T10:00:00Z")
    assert moved is not None and AdvancedCursor.of(moved).page == "c2"
    assert AdvancedCursor.of(moved).mark == "2026-01-01T00:00:00Z"  # still: the window is not read to its end
    closed = AdvancedCursor.of(close_window(moved, "2025-12-31T23:50:00Z", "2026-01-02T00:00:00.5Z"))
    assert closed == AdvancedCursor(mark="2026-01-02T00:00:00.5Z")


def test_a_page_of_a_window_another_process_moved_leaves_the_cursor() -> None:
    assert next_page(state(mark=None, page="theirs"), "ours", "next", "2026-01-01T00:00:00Z") is None


def test_a_window_above_the_mark_never_moves_it() -> None:
    """[window_start, top] stored does not make everything below top stored when it starts above the mark."""
    closed = close_window(state(mark="2026-01-01T00:00:00Z"), "2026-01-05T00:00:00Z", "2026-01-09T00:00:00Z")
    assert AdvancedCursor.of(closed).mark == "2026-01-01T00:00:00Z"
    never = close_window(state(), "2026-01-05T00:00:00Z", "2026-01-09T00:00:00Z")
    assert AdvancedCursor.of(never).mark is None


def test_the_whole_history_closed_completes_it_and_an_older_top_keeps_the_mark() -> None:
    whole = close_window(state(), None, "2026-01-09T00:00:00.000000001Z")
    assert whole.full_history_complete and AdvancedCursor.of(whole).mark == "2026-01-09T00:00:00.000000001Z"
    older = close_window(state(mark="2026-01-09T00:00:00.5Z"), None, "2026-01-09T00:00:00.4999Z")
    assert AdvancedCursor.of(older).mark == "2026-01-09T00:00:00.5Z"


# -- the walk on a scripted client ----------------------------------------------------------------


def fill(n: int, seq: str) -> AdvancedFill:
    return AdvancedFill.model_validate(
        {
            "entry_id": f"{n:064x}",
            "trade_id": f"trade-{n}",
            "order_id": "0b0b0b0b-0000-4000-8000-000000000000",
            "trade_time": "2026-01-01T00:00:00.000001Z",
            "trade_type": "FILL",
            "price": "100.00",
            "size": "0.5",
            "commission": "0.0000000000000001",
            "product_id": "BTC-USD",
            "sequence_timestamp": seq,
            "liquidity_indicator": "MAKER",
            "size_in_quote": False,
            "user_id": "u",
            "side": "BUY",
            "retail_portfolio_id": "p",
        }
    )


class ScriptedClient:
    """Answers ``fill_page`` from ``pages`` (cursor asked -> (page, next cursor)); records what was asked."""

    def __init__(self, pages: dict[str | None, tuple[list[AdvancedFill], str | None]]) -> None:
        self.pages = pages
        self.asked: list[tuple[str | None, str | None]] = []
        self.refuse: set[str] = set()

    async def fill_page(self, *, cursor: str | None = None, start: str | None = None, **_: Any) -> FillPage:
        self.asked.append((start, cursor))
        if cursor in self.refuse:
            raise BadRequest("Coinbase rejected the cursor (cursor is invalid)", status_code=400)
        fills, following = self.pages[cursor]
        return FillPage(fills=fills, cursor=following)


THREE_PAGES: dict[str | None, tuple[list[AdvancedFill], str | None]] = {
    None: ([fill(9, "2026-01-03T00:00:00.900000000Z"), fill(8, "2026-01-03T00:00:00.8Z")], "c1"),
    "c1": ([fill(7, "2026-01-02T00:00:00Z"), fill(6, "2026-01-01T23:00:00.123456Z")], "c2"),
    "c2": ([fill(5, "2026-01-01T00:00:00Z")], None),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TradeStore]:
    with TradeStore(tmp_path / "trades.db") as opened:
        yield opened


def sink(store: TradeStore, cancel_after: int | None = None) -> StoreSink:
    pages = [0]
    cancel = asyncio.Event()

    async def report(scope: str, phase: str, n: int, fills: int) -> None:
        pages[0] += 1
        if cancel_after is not None and pages[0] >= cancel_after:
            cancel.set()

    return StoreSink(store, LABEL, "*", report, cancel, venue="advanced")


def cursor_of(store: TradeStore) -> AdvancedCursor:
    return AdvancedCursor.of(store.get_sync_state(LABEL, "*", venue="advanced"))


def count(store: TradeStore) -> int:
    return store.count_fills(Filters.of(label=LABEL))


async def test_a_stopped_walk_saves_its_page_and_the_next_run_resumes_it(store: TradeStore) -> None:
    client = ScriptedClient(THREE_PAGES)
    with pytest.raises(Stopped):
        await AccountWalk(sink(store, cancel_after=1), client, None, 2).run(False)  # type: ignore[arg-type]
    saved = cursor_of(store)
    assert (saved.mark, saved.page, saved.window_top) == (None, "c1", "2026-01-03T00:00:00.900000000Z")
    assert count(store) == 2

    resumed = sink(store)
    await AccountWalk(resumed, client, None, 2).run(False)  # type: ignore[arg-type]
    assert client.asked[1:3] == [(None, "c1"), (None, "c2")]  # from the saved cursor, not from the start
    # then one incremental window, for what was posted since the resumed window opened
    assert client.asked[3] == (AdvancedCursor(mark="2026-01-03T00:00:00.900000000Z").incremental_start(), None)
    assert resumed.result.resumed_from is not None and "cursor" in resumed.result.resumed_from
    assert cursor_of(store) == AdvancedCursor(mark="2026-01-03T00:00:00.900000000Z")  # the window's newest, as sent
    assert count(store) == 5


async def test_an_incremental_run_reads_from_the_mark_minus_the_overlap(store: TradeStore) -> None:
    await AccountWalk(sink(store), ScriptedClient(THREE_PAGES), None, 2).run(False)  # type: ignore[arg-type]
    later = ScriptedClient({None: ([fill(10, "2026-01-04T00:00:00Z"), fill(9, "2026-01-03T00:00:00.9Z")], None)})
    second = sink(store)
    await AccountWalk(second, later, None, 2).run(False)  # type: ignore[arg-type]
    start = later.asked[0][0]
    assert start is not None
    assert instant_ns("2026-01-03T00:00:00.9Z") - instant_ns(start) == OVERLAP.total_seconds() * 1e9
    assert (second.result.inserted, second.result.unchanged) == (1, 1)
    assert cursor_of(store).mark == "2026-01-04T00:00:00Z"


async def test_an_expired_saved_cursor_restarts_the_window(store: TradeStore) -> None:
    client = ScriptedClient(THREE_PAGES)
    with pytest.raises(Stopped):
        await AccountWalk(sink(store, cancel_after=1), client, None, 2).run(False)  # type: ignore[arg-type]
    client.refuse.add("c1")
    client.pages = {**THREE_PAGES, None: (THREE_PAGES[None][0], "c1b"), "c1b": THREE_PAGES["c1"][:1] + ("c2",)}
    resumed = sink(store)
    await AccountWalk(resumed, client, None, 2).run(False)  # type: ignore[arg-type]
    assert [c for _, c in client.asked[1:5]] == ["c1", None, "c1b", "c2"]
    assert "expired" in (resumed.result.resumed_from or "")
    assert count(store) == 5 and cursor_of(store).mark == "2026-01-03T00:00:00.900000000Z"


async def test_a_repeated_cursor_stops_after_storing_what_came_before(store: TradeStore) -> None:
    looping = {**THREE_PAGES, "c1": (THREE_PAGES["c1"][0], "c1")}
    with pytest.raises(ExchangeProtocolError, match="repeated cursor"):
        await AccountWalk(sink(store), ScriptedClient(looping), None, 2).run(False)  # type: ignore[arg-type]
    assert count(store) == 4
    assert cursor_of(store).mark is None  # the window never closed: nothing claims the history is stored


async def test_a_page_of_another_product_than_asked_is_refused(store: TradeStore) -> None:
    with pytest.raises(ExchangeProtocolError, match="ETH-USD"):
        await AccountWalk(sink(store), ScriptedClient(THREE_PAGES), ["ETH-USD"], 2).run(False)  # type: ignore[arg-type]
    assert count(store) == 0
