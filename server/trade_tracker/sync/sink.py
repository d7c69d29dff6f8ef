"""``StoreSink``: the :class:`~trade_tracker.venues.base.PageSink` the sync engine hands a venue's walk.

Why its own module: it is the one place where a venue's walk meets the store, so the crash-safety
contract sits here, venue-neutral: ``commit`` is ``TradeStore.commit_page`` (a page's rows and its cursor
change in ONE transaction, the change decided against the cursor as stored), and ``page_done`` is the
progress and cancellation checkpoint. It also keeps the scope's counts (:class:`ProductSyncResult`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from ..store.label_history import label_profile
from .results import ProductSyncResult

if TYPE_CHECKING:
    from ..store.connection import TradeStore
    from ..store.fills import FillRow, PageCounts, UnsettledSummary
    from ..store.sync_state import SyncState
    from .results import Phase

__all__ = ["Stopped", "StoreSink"]


class Stopped(Exception):
    """The cancel event was set: the walk stops after the page just stored (raised by ``page_done``)."""


class StoreSink:
    """One scope's sink: ``label``'s ``scope`` (a product, for Exchange) of ``venue`` on ``store``."""

    def __init__(
        self,
        store: TradeStore,
        label: str,
        scope: str,
        report: Callable[[str, Phase, int, int], Awaitable[None]],
        cancel: asyncio.Event | None,
        *,
        venue: str = "exchange",
    ) -> None:
        self.store, self.label, self.scope, self.venue = store, label, scope, venue
        self.report, self.cancel = report, cancel
        self.result = ProductSyncResult(product_id=scope)
        self.fills_seen = 0

    def cursor(self) -> SyncState | None:
        return self.store.get_sync_state(self.label, self.scope, venue=self.venue)

    def commit(self, rows: Sequence[FillRow], advance: Callable[[SyncState], SyncState | None]) -> PageCounts:
        counts = self.store.commit_page(self.label, self.scope, rows, advance, venue=self.venue)
        r = self.result
        r.inserted += counts.inserted
        r.updated += counts.updated
        r.unchanged += counts.unchanged
        return counts

    def not_final(self) -> UnsettledSummary | None:
        return self.store.unsettled_summary(self.label, self.scope)

    def stored_account(self) -> str | None:
        return label_profile(self.store, self.label)

    def resumed_from(self, where: str) -> None:
        self.result.resumed_from = where

    def completed(self) -> None:
        self.result.complete = True

    def record_run(self) -> None:
        """Note the end of this scope's run in its sync state (the counts, and whether it reached the newest
        fill); the engine calls it, not the walk."""
        r = self.result
        self.store.record_run(
            self.label,
            self.scope,
            inserted=r.inserted,
            updated=r.updated,
            pages=r.pages,
            complete=r.complete,
            venue=self.venue,
        )

    async def page_done(self, phase: Phase, fills: int) -> None:
        self.result.pages += 1
        if phase == "resettle":
            self.result.resettle_pages += 1
        self.fills_seen += fills
        await self.report(self.scope, phase, self.result.pages, self.fills_seen)
        if self.cancel is not None and self.cancel.is_set():
            raise Stopped
