"""The Coinbase Exchange fills walk: one (label, product) copied into the trade store, resumably.

``/fills`` pages newest→oldest by descending ``trade_id``; ``after=X`` returns the page of
fills just older than X and ``before=X`` the page just newer than X (the ``limit`` fills
immediately above X, still sorted descending), so every page is contiguous with the
cursor it was asked from. A sync of one (label, product) runs up to three walks:

1. **Backfill** (first sync, an unfinished one, or ``full_history``): newest page first,
   then ``after=<oldest trade_id so far>`` until an empty page.
2. **Resettle**: fills stored while unsettled are read again, so that ``settled`` and
   ``fee`` changes reach the store. Either by re-reading newer from just below the
   oldest unsettled fill (which then runs on as step 3), or, when the unsettled fills
   belong to a few orders far back, by reading those orders' fills: whichever costs
   fewer requests.
3. **Incremental**: ``before=<newest_synced>`` until an empty page.

Crash safety: each page is committed in ONE transaction with the ``sync_state`` cursors
it justifies (``PageSink.commit``, the engine's sink on ``TradeStore.commit_page``). The
invariants, never false at any commit:

- every fill with ``trade_id <= newest_synced`` is stored;
- while a backward walk runs, every fill in ``[backfill_cursor, backfill_top]`` is stored.

``newest_synced`` only becomes valid when a backward walk reaches the empty page (the
range below it is then complete), and an incremental page moves it to the page's newest
trade_id, which is safe because that page is contiguous with the old mark. So a kill at
any instant leaves no hole (cursors never pass unstored fills), no duplicate (the primary
key plus upsert), and the next run resumes from the cursors: ``after=backfill_cursor``
for an unfinished walk, ``before=newest_synced`` otherwise. Every cursor change is
decided inside the transaction against the state *as stored*, so two processes syncing
the same product at once only repeat work, never break an invariant.

The walk sees the store only through the :class:`~trade_tracker.venues.base.PageSink` the engine
hands it (the cursor as stored, commit, the unsettled summary, the label's account), and reports each
page to it: the sink counts, reports progress and is where a cancellation stops the walk (after the
page being stored). Task cancellation (``CancelledError``) may land during a request, and then the
page in flight is simply never stored. No ``await`` happens inside a transaction.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from trade_tracker.errors import CredentialError, ExchangeProtocolError
from trade_tracker.formats import decimal_text, iso_utc
from trade_tracker.store.fills import FillRow
from trade_tracker.store.sync_state import SyncState

from .discovery import discover_products

if TYPE_CHECKING:
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.sync.results import Phase

    from ..base import PageSink
    from .client import CoinbaseClient
    from .models import Fill, FillPage

__all__ = ["ExchangeCursor", "ProductSync", "check_fill_profiles", "fill_row", "products_to_sync"]

#: Event-loop turns httpx takes from ``list_fills()`` to the request's bytes on the socket
#: (3 measured with a warm connection); one more for slack. Each turn costs microseconds.
_PREFETCH_YIELDS = 4


class ExchangeCursor(BaseModel):
    """Exchange's cursor of one (label, product), held as JSON in ``SyncState.cursor`` (see the invariants
    above): ``newest_synced`` (every fill at or below it is stored), ``oldest_reached``, and the range
    ``[backfill_cursor, backfill_top]`` of a backward walk in progress (both None when none is)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    newest_synced: int | None = None
    oldest_reached: int | None = None
    backfill_top: int | None = None
    backfill_cursor: int | None = None

    @classmethod
    def of(cls, state: SyncState | None) -> ExchangeCursor:
        """The cursor a stored state holds (all None when the state is None or has none yet)."""
        return cls() if state is None or state.cursor is None else cls.model_validate(state.cursor)


def _moved(state: SyncState, cursor: ExchangeCursor, update: dict[str, int | None], **changes: object) -> SyncState:
    """``state`` with ``cursor`` changed by ``update`` (and any other ``changes``: ``full_history_complete``)."""
    return state.model_copy(update={"cursor": cursor.model_copy(update=update).model_dump(), **changes})


def fill_row(fill: Fill, label: str) -> FillRow:
    """A fill as a store row: money as the exact API strings, created_at fixed-width ISO UTC."""
    return FillRow(
        product_id=fill.product_id,
        trade_id=fill.trade_id,
        order_id=fill.order_id,
        side=fill.side,
        price=decimal_text(fill.price),
        size=decimal_text(fill.size),
        fee=decimal_text(fill.fee),
        usd_volume=None if fill.usd_volume is None else decimal_text(fill.usd_volume),
        liquidity=fill.liquidity,
        settled=1 if fill.settled else 0,
        created_at=iso_utc(fill.created_at),
        profile_id=fill.profile_id,
        user_id=fill.user_id,
        funding_currency=fill.funding_currency,
        market_type=fill.market_type,
        label=label,
        fill_key=f"{fill.product_id}:{fill.trade_id}",
    )


async def products_to_sync(store: TradeStore, client: CoinbaseClient, label: str) -> list[str]:
    """The products a sync without an explicit list covers, sorted: every product the account ever
    traded (found from its orders, closed positions included) and every product with fills stored
    for ``label``. See ``discovery.py`` for how, and what it costs (one request when nothing is new).
    """
    products, _ = await discover_products(store, client, label)
    return products


class ProductSync:
    """One (label, product) sync run into ``sink``: the three walks, page by page, one page ahead."""

    def __init__(self, sink: PageSink, client: CoinbaseClient, product_id: str, limit: int) -> None:
        self.sink, self.client, self.label, self.product_id = sink, client, sink.label, product_id
        self.limit = limit
        self.profile = sink.stored_account()  # a page of another account's fills is refused

    # -- plumbing ------------------------------------------------------------------------------

    def _fetch(
        self, *, before: int | None = None, after: int | None = None, order_id: str | None = None
    ) -> asyncio.Task[FillPage]:
        return asyncio.ensure_future(
            self.client.list_fills(self.product_id, order_id, self.limit, before=before, after=after)
        )

    async def _prefetch(self, *, before: int | None = None, after: int | None = None) -> asyncio.Task[FillPage]:
        """Start the next page's request and let it reach the wire before this page is stored.

        Storing a page is synchronous (no ``await`` inside a transaction), so without these
        few yields the request would only be sent after the commit; with them, the
        exchange prepares page N+1 while page N is validated and committed.
        """
        task = self._fetch(before=before, after=after)
        try:
            for _ in range(_PREFETCH_YIELDS):
                await asyncio.sleep(0)
        except BaseException:
            _discard(task)
            raise
        return task

    def _rows(self, page: FillPage) -> list[FillRow]:
        label, product_id = self.label, self.product_id
        rows = [fill_row(f, label) for f in page.fills]
        check_fill_profiles(label, self.profile, (f.profile_id for f in page.fills))
        for row in rows:
            if row.product_id != product_id:
                raise ExchangeProtocolError(
                    f"/fills for {product_id} returned a fill of {row.product_id}; refusing to store it"
                )
        return rows

    def _store(self, rows: list[FillRow], advance: Callable[[SyncState], SyncState | None]) -> None:
        self.sink.commit(rows, advance)

    async def _after_page(self, phase: Phase, fills: int) -> None:
        await self.sink.page_done(phase, fills)  # progress; raises the engine's stop when cancelled

    # -- the walks -----------------------------------------------------------------------------

    async def run(self, full_history: bool) -> None:
        state = self.sink.cursor()
        mark = ExchangeCursor.of(state)
        fresh_walk = full_history or state is None or (mark.backfill_top is None and mark.newest_synced is None)
        walked_back = fresh_walk or mark.backfill_top is not None
        if walked_back:
            resume = None if fresh_walk else mark.backfill_cursor
            top = None if fresh_walk else mark.backfill_top
            self.sink.resumed_from("start" if resume is None else f"after={resume}")
            await self._walk_back(resume, top, overwrite=full_history)
            mark = ExchangeCursor.of(self.sink.cursor())
        if mark.newest_synced is None:
            return  # another process's walk is in progress; it will set the mark
        start, resettle_until = mark.newest_synced, mark.newest_synced
        if not fresh_walk:
            start = await self._plan_resettle(mark.newest_synced)
        if not walked_back:
            self.sink.resumed_from(f"before={start}")
        await self._walk_forward(start, resettle_until)
        self.sink.completed()

    async def _walk_back(self, cursor: int | None, top: int | None, *, overwrite: bool) -> None:
        """Backfill: pages older from ``cursor`` (None: the newest page) down to the empty page.

        ``top`` is the newest trade_id of the walk being resumed (None for a new walk).
        """
        pending = self._fetch(after=cursor)
        try:
            while True:
                page = await pending
                if not page.fills:
                    self._store([], partial(_end_walk, asked_after=cursor))
                    await self._after_page("backfill", 0)
                    return
                rows = self._rows(page)
                low, high = _id_range(page)
                if cursor is not None and high >= cursor:
                    raise ExchangeProtocolError(
                        f"/fills?after={cursor} for {self.product_id} returned trade {high}, not older"
                    )
                pending = await self._prefetch(after=low)  # on the wire while this page is stored
                superseded: list[bool] = []
                if cursor is None:
                    top = high
                    self._store(rows, partial(_start_walk, low=low, high=high, overwrite=overwrite))
                else:
                    self._store(
                        rows,
                        partial(_continue_walk, asked_after=cursor, low=low, top=top, superseded=superseded),
                    )
                await self._after_page("backfill", len(rows))
                if superseded:
                    return  # another process finished this walk and set the mark above our top
                cursor = low
        finally:
            _discard(pending)

    async def _plan_resettle(self, newest_synced: int) -> int:
        """Re-read unsettled fills the cheaper way; return where the incremental walk starts."""
        summary = self.sink.not_final()
        if summary is None or summary.oldest_trade_id > newest_synced:
            return newest_synced
        range_requests = math.ceil(summary.fills_from_oldest / self.limit)
        order_requests = 2 * len(summary.order_ids)  # each order: its page(s), then the empty one
        if range_requests <= order_requests:
            return summary.oldest_trade_id - 1
        for order_id in summary.order_ids:
            await self._walk_order(order_id)
        return newest_synced

    async def _walk_order(self, order_id: str) -> None:
        """Re-read one order's fills (older pages until the empty one); cursors stay as they are."""
        cursor: int | None = None
        while True:
            page = await self._fetch(order_id=order_id, after=cursor)
            if not page.fills:
                await self._after_page("resettle", 0)
                return
            rows = self._rows(page)
            low, high = _id_range(page)
            if cursor is not None and high >= cursor:
                raise ExchangeProtocolError(f"/fills?order_id={order_id}&after={cursor} returned a newer trade")
            self._store(rows, _keep)
            await self._after_page("resettle", len(rows))
            cursor = low

    async def _walk_forward(self, cursor: int, resettle_until: int) -> None:
        """Pages newer with ``before=cursor`` until the empty page, moving the mark with each page."""
        pending = self._fetch(before=cursor)
        try:
            while True:
                page = await pending
                phase: Phase = "resettle" if cursor < resettle_until else "incremental"
                if not page.fills:
                    await self._after_page(phase, 0)
                    return
                rows = self._rows(page)
                low, high = _id_range(page)
                if low <= cursor:
                    raise ExchangeProtocolError(
                        f"/fills?before={cursor} for {self.product_id} returned trade {low}, not newer"
                    )
                pending = await self._prefetch(before=high)
                self._store(rows, partial(_advance_mark, asked_before=cursor, high=high))
                await self._after_page(phase, len(rows))
                cursor = high
        finally:
            _discard(pending)


# -- state transitions: pure functions of the state as stored, run inside the page's transaction --


def _keep(state: SyncState) -> None:
    return None


def _lowest(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)


def _id_range(page: FillPage) -> tuple[int, int]:
    """The lowest and highest trade_id of a non-empty page."""
    ids = [f.trade_id for f in page.fills]
    return min(ids), max(ids)


def _start_walk(state: SyncState, low: int, high: int, *, overwrite: bool) -> SyncState:
    """The newest page opened a backward walk covering [low, high]."""
    c = ExchangeCursor.of(state)
    oldest = _lowest(c.oldest_reached, low)
    recorded_top, recorded_cursor = c.backfill_top, c.backfill_cursor
    if overwrite or recorded_top is None or recorded_cursor is None or low > recorded_top or high < recorded_cursor:
        return _moved(state, c, {"backfill_top": high, "backfill_cursor": low, "oldest_reached": oldest})
    # Another walk is recorded and overlaps ours: their union is one stored range.
    top, bottom = max(recorded_top, high), min(recorded_cursor, low)
    return _moved(state, c, {"backfill_top": top, "backfill_cursor": bottom, "oldest_reached": oldest})


def _continue_walk(
    state: SyncState, asked_after: int, low: int, top: int | None, superseded: list[bool]
) -> SyncState | None:
    """A page [low, asked_after) joins the recorded range if that range reaches down to asked_after."""
    c = ExchangeCursor.of(state)
    if c.backfill_top is None or c.backfill_cursor is None or c.backfill_cursor > asked_after:
        if c.backfill_top is None and c.newest_synced is not None and top is not None:
            if c.newest_synced >= top:
                superseded.append(True)
        return None
    oldest = _lowest(c.oldest_reached, low)
    return _moved(state, c, {"backfill_cursor": min(c.backfill_cursor, low), "oldest_reached": oldest})


def _end_walk(state: SyncState, asked_after: int | None) -> SyncState | None:
    """An empty page: nothing is older than ``asked_after``, so the recorded range is the whole history."""
    c = ExchangeCursor.of(state)
    if asked_after is None:  # no fills at all (yet)
        if c.backfill_top is not None:
            return None
        return _moved(state, c, {"newest_synced": max(c.newest_synced or 0, 0)}, full_history_complete=True)
    if c.backfill_top is None or c.backfill_cursor is None or c.backfill_cursor > asked_after:
        return None
    mark = max(c.newest_synced or 0, c.backfill_top)
    return _moved(
        state, c, {"newest_synced": mark, "backfill_top": None, "backfill_cursor": None}, full_history_complete=True
    )


def _advance_mark(state: SyncState, asked_before: int, high: int) -> SyncState | None:
    """A page (asked_before, high] is contiguous with the mark if the mark is at or above asked_before."""
    c = ExchangeCursor.of(state)
    if c.newest_synced is None or c.newest_synced < asked_before:
        return None
    return _moved(state, c, {"newest_synced": max(c.newest_synced, high)})


def _discard(task: asyncio.Task[FillPage]) -> None:
    """Cancel a prefetched page nobody will store, and keep its outcome from being logged."""
    if not task.done():
        task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def check_fill_profiles(label: str, expected: str | None, profiles: Iterable[str | None]) -> None:
    """The sync's last line of defence (an Exchange API key reads one profile): refuse a page of fills of
    another profile than ``label``'s stored ones (an ``env`` key pointed at another exchange, or a store
    changed behind our back)."""
    if expected is None:
        return
    other = sorted({p for p in profiles if p and p != expected})
    if other:
        raise CredentialError(
            f"refusing to store fills of profile {', '.join(other)} under '{label}', which holds fills of profile "
            f"{expected}: this key reads another account. Nothing of that page was stored; store this key under a "
            "new label (`trade-tracker credentials add --label=NEW`) and sync that"
        )
