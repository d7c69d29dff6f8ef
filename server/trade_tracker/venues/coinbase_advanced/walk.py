"""The Coinbase Advanced Trade fills walk: one account (or one set of products) copied into the store, resumably.

``/orders/historical/fills`` pages the whole account newest first by ``sequence_timestamp`` (INFERENCE,
see ``advanced-trade-api.md``), through an opaque ``cursor`` bound to the query's filters. A fill is
unique by ``entry_id``; REVERSAL / CORRECTION / SYNTHETIC entries are posted later than the fill they
adjust and carry a later ``sequence_timestamp``. So one walk is a **window**: every entry with
``sequence_timestamp >= window_start`` (the first run: no start, the whole history), read from the newest
page down to the end (an empty cursor or an empty page).

The cursor (:class:`AdvancedCursor`, JSON in ``SyncState.cursor``):

- ``mark``: the newest ``sequence_timestamp`` fully stored, as the API sent it. Invariant, never false at
  any commit: every entry with ``sequence_timestamp <= mark`` is stored;
- ``window_start``: the start of the window being walked (None: the whole history);
- ``page``: the API's cursor of the window's next page (None: no window open);
- ``window_top``: the newest ``sequence_timestamp`` of the window's pages stored so far (pages come newest
  first, so it is the first page's). An addition to SPEC-15's three fields: a run killed mid-window must
  still know, when a later run stores the window's last page, how far the mark may move.

Each page is committed with its cursor change in ONE transaction (``PageSink.commit``), so a kill -9 at any
instant loses nothing (the page cursor is saved only with the page it follows) and duplicates nothing
(insert-or-ignore by ``(label, venue, entry_id)``). The next run resumes the open window from ``page``, then
walks one incremental window more (what was posted since the window opened lies above its top); a
cursor the server no longer accepts (expired: 400) restarts that window from its newest page. ``mark``
moves to ``max(mark, window_top)`` only when the window's last page is stored, and only when the window
starts at or below the mark (so the stored range stays contiguous). Timestamps are compared parsed to the
nanosecond (6 and 9 fractional digits both occur); the exact strings stay in the cursor.

Incremental runs open the window at ``mark - OVERLAP``: INFERENCE, an entry may be posted with a
``sequence_timestamp`` a little before the newest one already seen, and re-reading a few minutes costs one
page. Adjustments come with a later ``sequence_timestamp``, so the window picks them up. If the server's
``start_sequence_timestamp`` filters on trade time instead (the doc text says so; UNVERIFIED), a window
still returns only entries we may store, but an adjustment of a fill traded before the window would be
missed: ``full_history`` (``sync --full``) re-walks the whole account and brings it (nothing is written
twice). A repeated cursor stops the walk with the client's error, after storing the pages before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from trade_tracker.errors import BadRequest, CredentialError, ExchangeProtocolError
from trade_tracker.formats import iso_utc, parse_timestamp
from trade_tracker.store.sync_state import SyncState

from .answers import CursorGuard

if TYPE_CHECKING:
    from trade_tracker.store.fills import FillRow
    from trade_tracker.sync.results import Phase

    from ..base import PageSink
    from .client import AdvancedTradeClient
    from .models import AdvancedFill, FillPage

__all__ = ["OVERLAP", "AdvancedCursor", "AccountWalk", "instant_ns"]

#: How far before the mark an incremental window starts (INFERENCE: late posts, clock steps).
OVERLAP = timedelta(minutes=10)
_FRACTION = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2})?\.(\d+)")


def instant_ns(text: str) -> int:
    """An RFC 3339 timestamp as integer nanoseconds since the epoch, every fractional digit kept (up to 9):
    ``...38.0925Z`` and ``...38.092500000Z`` are the same instant. Raises ValueError when it does not parse."""
    seconds = parse_timestamp(text).replace(microsecond=0)
    match = _FRACTION.search(text)
    fraction = int(match[1][:9].ljust(9, "0")) if match else 0
    return int(seconds.timestamp()) * 1_000_000_000 + fraction


def newest(a: str | None, b: str | None) -> str | None:
    """The later of two timestamps (compared parsed; None is the earliest), as its exact text."""
    if a is None or b is None:
        return b if a is None else a
    return b if instant_ns(b) > instant_ns(a) else a


class AdvancedCursor(BaseModel):
    """Advanced Trade's cursor of one (label, scope), held as JSON in ``SyncState.cursor`` (see above)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mark: str | None = None
    window_start: str | None = None
    page: str | None = None
    window_top: str | None = None

    @classmethod
    def of(cls, state: SyncState | None) -> AdvancedCursor:
        """The cursor a stored state holds (all None when the state is None or has none yet)."""
        return cls() if state is None or state.cursor is None else cls.model_validate(state.cursor)

    def incremental_start(self) -> str | None:
        """Where the next incremental window starts: ``mark - OVERLAP`` (None before a first full walk)."""
        if self.mark is None:
            return None
        return iso_utc(parse_timestamp(self.mark) - OVERLAP)


def _moved(state: SyncState, cursor: AdvancedCursor, **changes: object) -> SyncState:
    return state.model_copy(update={"cursor": cursor.model_copy(update=changes).model_dump()})


# -- state transitions: pure functions of the state as stored, run inside the page's transaction --


def open_window(state: SyncState, window_start: str | None, next_page: str, top: str | None) -> SyncState:
    """The window's newest page is stored: record the window (replacing any other one recorded)."""
    c = AdvancedCursor.of(state)
    return _moved(state, c, window_start=window_start, page=next_page, window_top=top)


def next_page(state: SyncState, asked: str, next_cursor: str, top: str | None) -> SyncState | None:
    """A page asked with ``asked`` is stored: the window moves on, if it is still the one recorded."""
    c = AdvancedCursor.of(state)
    if c.page != asked:
        return None  # another process moved or closed this window; our page is stored all the same
    return _moved(state, c, page=next_cursor, window_top=newest(c.window_top, top))


def close_window(state: SyncState, window_start: str | None, top: str | None) -> SyncState:
    """The window's last page is stored: every entry in ``[window_start, top]`` is, so the mark moves to
    ``top`` when the window reaches down to the mark (or is the whole history). The recorded window is
    closed whoever opened it: the mark alone keeps the invariant, so a window another process had open
    costs at most a re-read."""
    c = AdvancedCursor.of(state)
    contiguous = window_start is None or (c.mark is not None and instant_ns(window_start) <= instant_ns(c.mark))
    mark = newest(c.mark, top) if contiguous else c.mark
    moved = _moved(state, c, mark=mark, window_start=None, page=None, window_top=None)
    if contiguous and window_start is None:
        moved = moved.model_copy(update={"full_history_complete": True})
    return moved


def keep_cursor(state: SyncState) -> None:
    return None


# -- the walk ----------------------------------------------------------------------------------


class AccountWalk:
    """One sync run of one scope: the whole account (``product_ids`` None) or a set of products."""

    def __init__(
        self, sink: PageSink, client: AdvancedTradeClient, product_ids: Sequence[str] | None, limit: int
    ) -> None:
        self.sink, self.client, self.label = sink, client, sink.label
        self.product_ids = list(product_ids) if product_ids else None
        self.limit = limit
        self.account = sink.stored_account()  # a page of another portfolio's fills is refused

    async def run(self, full: bool) -> None:
        c = AdvancedCursor.of(self.sink.cursor())
        if full or (c.mark is None and c.page is None):
            start, cursor, top = None, None, None
            phase: Phase = "backfill"
            self.sink.resumed_from("start")
        elif c.page is not None:  # a window left open by a killed or stopped run
            start, cursor, top = c.window_start, c.page, c.window_top
            phase = "backfill" if c.mark is None else "incremental"
            self.sink.resumed_from(f"cursor (window since {start or 'the start'})")
        else:
            start, cursor, top = c.incremental_start(), None, None
            phase = "incremental"
            self.sink.resumed_from(f"since={start}")
        await self._walk(start, cursor, top, phase)
        if cursor is not None:
            # The window resumed was opened by an earlier run: what was posted since lies above its top, so
            # one incremental window from the new mark brings this run up to now.
            fresh = AdvancedCursor.of(self.sink.cursor())
            await self._walk(fresh.incremental_start(), None, None, "incremental")
        self.sink.completed()

    async def _page(self, start: str | None, cursor: str | None) -> tuple[FillPage, str | None]:
        """One page from ``cursor``; a saved cursor the server refuses (expired) restarts the window."""
        try:
            page = await self.client.fill_page(
                product_ids=self.product_ids, start=start, limit=self.limit, cursor=cursor
            )
        except BadRequest:
            if cursor is None:
                raise
            self.sink.resumed_from(f"start of the window since {start or 'the start'} (the saved cursor expired)")
            return await self._page(start, None)
        return page, cursor

    async def _walk(self, start: str | None, cursor: str | None, top: str | None, phase: Phase) -> None:
        guard = CursorGuard("/orders/historical/fills", cursor)
        first_request = True
        while True:
            if first_request:
                page, cursor = await self._page(start, cursor)
                first_request = False
            else:
                page = await self.client.fill_page(
                    product_ids=self.product_ids, start=start, limit=self.limit, cursor=cursor
                )
            rows = self._rows(page.fills)
            page_top = _newest_of(page.fills)
            top = newest(top, page_top)
            try:
                following = guard.next(page.cursor, len(page.fills))
            except ExchangeProtocolError:
                self.sink.commit(rows, keep_cursor)  # what came before (and this page) stays stored
                raise
            if following is None:
                self.sink.commit(rows, partial(close_window, window_start=start, top=top))
                await self.sink.page_done(phase, len(rows))
                return
            if cursor is None:
                self.sink.commit(rows, partial(open_window, window_start=start, next_page=following, top=top))
            else:
                self.sink.commit(rows, partial(next_page, asked=cursor, next_cursor=following, top=page_top))
            await self.sink.page_done(phase, len(rows))
            cursor = following

    def _rows(self, fills: Sequence[AdvancedFill]) -> list[FillRow]:
        """The page as store rows, after the checks that keep a label one portfolio's and a scope its products'."""
        wanted = set(self.product_ids or ())
        for fill in fills:
            if wanted and fill.product_id not in wanted:
                raise ExchangeProtocolError(
                    f"/orders/historical/fills for {', '.join(sorted(wanted))} returned a fill of "
                    f"{fill.product_id[:40]}; refusing to store that page"
                )
            try:
                instant_ns(fill.sequence_timestamp)
            except ValueError:
                raise ExchangeProtocolError("a fill's sequence_timestamp does not parse; refusing that page") from None
        others = sorted({f.retail_portfolio_id for f in fills if f.retail_portfolio_id} - {self.account or ""})
        if self.account is not None and others:
            raise CredentialError(
                f"refusing to store fills of portfolio {', '.join(others)} under '{self.label}', which holds fills "
                f"of portfolio {self.account}: this key reads another portfolio. Nothing of that page was stored; "
                "store this key under a new label and sync that"
            )
        return [fill.to_row(self.label) for fill in fills]


def _newest_of(fills: Sequence[AdvancedFill]) -> str | None:
    """The newest sequence_timestamp of a page (compared parsed), as sent; None for an empty page."""
    found: str | None = None
    for fill in fills:
        found = newest(found, fill.sequence_timestamp)
    return found
