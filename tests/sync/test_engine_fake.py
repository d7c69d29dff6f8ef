"""The sync engine against :class:`FakeVenue`: its venue-neutral promises, with no HTTP and no Coinbase ids.

Crash safety (a page and its cursor in one transaction, the next run completes), cancellation after the
current page, progress after every page, a scope's own error leaving the others syncing, and the counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_venue import Crash, FakeVenue
from trade_tracker.errors import InvalidArgument, NotFound
from trade_tracker.store.connection import TradeStore
from trade_tracker.sync.engine import sync_fills
from trade_tracker.sync.results import SyncProgress, partial_result
from trade_tracker.venues.base import Venue

LABEL = "main"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TradeStore]:
    with TradeStore(tmp_path / "trades.db") as s:
        yield s


def stored_ids(store: TradeStore, scope: str) -> list[int]:
    with store.reading("test") as conn:
        rows = conn.execute("SELECT trade_id FROM fills WHERE product_id = ? ORDER BY trade_id", (scope,))
        return [r[0] for r in rows]


def mark(store: TradeStore, scope: str) -> int | None:
    state = store.get_sync_state(LABEL, scope)
    return None if state is None or state.cursor is None else state.cursor["newest_synced"]


def test_the_fake_is_a_venue() -> None:
    assert isinstance(FakeVenue({}), Venue)


async def test_a_sync_stores_every_fill_and_counts_it(store: TradeStore) -> None:
    venue = FakeVenue({"AAA-USD": 25, "BBB-USD": 3})
    result = await sync_fills(store, venue, LABEL, limit=10)
    assert [p.product_id for p in result.products] == ["AAA-USD", "BBB-USD"]
    assert result.discovery is not None and result.discovery.followed == 2  # the venue chose the scopes
    aaa, bbb = result.products
    assert (aaa.inserted, aaa.pages, aaa.complete, aaa.resumed_from) == (25, 4, True, "after=0")  # 3 full + empty
    assert (bbb.inserted, bbb.pages) == (3, 2)
    assert (result.inserted, result.updated, result.unchanged, result.pages) == (28, 0, 0, 6)
    assert result.requests == 6 == venue.requests_sent and not result.failed
    assert stored_ids(store, "AAA-USD") == list(range(1, 26)) and mark(store, "AAA-USD") == 25

    venue.fills["AAA-USD"] = 27  # two new fills: the next run reads on from the stored cursor
    again = await sync_fills(store, venue, LABEL, ["AAA-USD"], limit=10)
    assert (again.inserted, again.pages, again.products[0].resumed_from) == (2, 2, "after=25")
    full = await sync_fills(store, venue, LABEL, ["AAA-USD"], full_history=True, limit=10)
    assert (full.inserted, full.unchanged) == (0, 27)


async def test_a_crash_inside_a_page_keeps_rows_and_cursor_together_and_the_next_run_completes(
    store: TradeStore,
) -> None:
    venue = FakeVenue({"AAA-USD": 35})
    venue.crash_at["AAA-USD"] = 3  # dies inside the third page's transaction
    with pytest.raises(Crash) as caught:
        await sync_fills(store, venue, LABEL, ["AAA-USD"], limit=10)
    # pages 1-2 landed with their cursor; page 3 landed not at all (no row without its cursor)
    assert stored_ids(store, "AAA-USD") == list(range(1, 21)) and mark(store, "AAA-USD") == 20
    partial = partial_result(caught.value)
    assert partial is not None and partial.failed and partial.inserted == 20
    assert partial.stopped_by == "unexpected Crash (details in the log)"

    del venue.crash_at["AAA-USD"]
    again = await sync_fills(store, venue, LABEL, ["AAA-USD"], limit=10)
    assert again.products[0].resumed_from == "after=20" and again.inserted == 15 and again.products[0].complete
    assert stored_ids(store, "AAA-USD") == list(range(1, 36)) and mark(store, "AAA-USD") == 35


async def test_a_cancel_stops_after_the_current_page(store: TradeStore) -> None:
    venue = FakeVenue({"AAA-USD": 50, "BBB-USD": 5})
    cancel = asyncio.Event()
    seen: list[SyncProgress] = []

    def progress(p: SyncProgress) -> None:
        seen.append(p)
        cancel.set()  # asked during the first page's report

    result = await sync_fills(store, venue, LABEL, limit=10, progress=progress, cancel=cancel)
    assert result.cancelled and not result.failed
    assert len(seen) == 1 and result.pages == 1 and result.inserted == 10
    assert stored_ids(store, "AAA-USD") == list(range(1, 11)) and mark(store, "AAA-USD") == 10
    assert venue.walked == ["AAA-USD"]  # the next scope never started
    assert store.get_sync_state(LABEL, "AAA-USD").last_run_pages == 1  # the partial run is recorded


async def test_progress_after_every_page(store: TradeStore) -> None:
    venue = FakeVenue({"AAA-USD": 12, "BBB-USD": 4})
    seen: list[SyncProgress] = []

    async def progress(p: SyncProgress) -> None:  # an async callback is awaited
        seen.append(p)

    await sync_fills(store, venue, LABEL, limit=5, progress=progress)
    assert [(p.product_id, p.pages, p.fills, p.products_done, p.fills_total) for p in seen] == [
        ("AAA-USD", 1, 5, 0, 5),
        ("AAA-USD", 2, 10, 0, 10),
        ("AAA-USD", 3, 12, 0, 12),
        ("AAA-USD", 4, 12, 0, 12),
        ("BBB-USD", 1, 4, 1, 16),
        ("BBB-USD", 2, 4, 1, 16),
    ]
    assert {p.products_total for p in seen} == {2}
    assert [p.phase for p in seen[:4]] == ["backfill", "backfill", "backfill", "incremental"]


async def test_a_scopes_own_error_leaves_the_others_syncing(store: TradeStore) -> None:
    venue = FakeVenue({"AAA-USD": 3, "BAD-USD": 3, "CCC-USD": 3})
    venue.errors["BAD-USD"] = NotFound("Coinbase does not know product BAD-USD", status_code=404)
    result = await sync_fills(store, venue, LABEL, limit=10)
    errors = {p.product_id: p.error for p in result.products}
    assert errors == {"AAA-USD": None, "BAD-USD": "Coinbase does not know product BAD-USD", "CCC-USD": None}
    assert result.inserted == 6 and not result.failed
    assert store.get_sync_state(LABEL, "BAD-USD") is None  # nothing recorded for a scope that did nothing

    venue.errors["AAA-USD"] = venue.errors["CCC-USD"] = NotFound("gone", status_code=404)
    assert (await sync_fills(store, venue, LABEL, limit=10)).failed  # every scope failed


async def test_the_page_size_is_bounded_by_the_venue(store: TradeStore) -> None:
    venue = FakeVenue({"AAA-USD": 1})
    with pytest.raises(InvalidArgument, match="from 1 to 50"):
        await sync_fills(store, venue, LABEL, limit=51)
    result = await sync_fills(store, venue, LABEL)  # None: the venue's most
    assert result.inserted == 1
