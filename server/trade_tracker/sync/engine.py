"""The fills sync engine: copy every fill of a credential's account into the trade store, resumably.

Venue-neutral: it drives any :class:`~trade_tracker.venues.base.Venue`. The venue names the scopes
(``sync_scopes``: for Coinbase Exchange the given products, or discovery's) and walks each one
(``sync_scope``: its pages, its cursors and why a kill never leaves a hole, e.g.
``venues/coinbase_exchange/walk.py``) into a :class:`~.sink.StoreSink`, which commits each page with its
cursor in one transaction and reports progress. The engine records each scope's run, and adds up the
result. A scope the venue does not know (404) or refuses (400) is that scope's ``error``; any other error
stops the sync with every page so far kept.

Cancellation: ``cancel`` (an ``asyncio.Event``) stops after the page being stored; task
cancellation (``CancelledError``) may land during a request, and then the page in flight
is simply never stored. No ``await`` happens inside a transaction.
"""

# pyright: reportUnnecessaryIsInstance=false
# (``sync_fills`` checks ``limit`` at run time too: tools and the CLI pass values in from outside)

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from ..errors import BadRequest, InvalidArgument, NotFound, TradeTrackerError
from ..formats import check_limit
from ..store.connection import TradeStore
from ..venues.base import Venue
from ..venues.registry import venue_of_client
from .results import Phase, ProductSyncResult, ProgressCallback, SyncProgress, SyncResult
from .sink import Stopped, StoreSink

if TYPE_CHECKING:
    from ..venues.base import VenueClient

__all__ = ["stop_reason", "sync_fills"]


async def sync_fills(
    store: TradeStore,
    client: Venue | VenueClient,
    label: str,
    product_ids: Sequence[str] | None = None,
    *,
    full_history: bool = False,
    progress: ProgressCallback | None = None,
    cancel: asyncio.Event | None = None,
    limit: int | None = None,
) -> SyncResult:
    """Sync the fills of ``label``'s account into ``store``; see the module docstring.

    Args:
        client: the venue, or a venue's client (e.g. ``CoinbaseClient``), which is driven as its venue.
        product_ids: the products to sync; None means the venue's choice (``sync_scopes``).
        full_history: re-walk every product's whole history (updates changed rows), and discover
            products from every order again.
        progress: called (sync or async) after every page.
        cancel: when set, the sync stops after the page being stored; ``cancelled`` is True.
        limit: fills per request (None: the venue's most, ``info.max_fill_page``).

    A product the exchange does not know (404) or refuses (400) is reported in its
    ``error`` and the sync goes on; when every product failed so, ``failed`` is True. Any
    other error propagates, with every page stored so far kept and the cursors consistent;
    :func:`partial_result` of that exception is the result up to it.
    """
    venue = client if isinstance(client, Venue) else venue_of_client(client)
    most = venue.info.max_fill_page
    if limit is None:
        limit = most
    check_limit(limit, most, "limit")
    started, sent = time.monotonic(), venue.requests_sent
    result = SyncResult(label=label, products=[])
    try:
        products, result.discovery = await venue.sync_scopes(store, label, product_ids, full=full_history)
        await _sync_products(store, venue, label, products, result, full_history, progress, cancel, limit)
    except BaseException as exc:  # a task cancellation too: its run record keeps the partial counts
        if not isinstance(exc, InvalidArgument):
            if isinstance(exc, Exception):
                result.stopped_by = stop_reason(exc)
            _finish(result, venue, sent, started)
            exc.sync_result = result  # pyright: ignore[reportAttributeAccessIssue]  # any exception takes it; see partial_result()
        raise
    return _finish(result, venue, sent, started)


def stop_reason(exc: BaseException) -> str:
    """Why an error stopped a sync, in one secret-free sentence: our errors' own messages (secret-free by
    contract), anything else only its type (details go to the log)."""
    if isinstance(exc, TradeTrackerError):
        return str(exc)
    return f"unexpected {type(exc).__name__} (details in the log)"


async def _sync_products(
    store: TradeStore,
    venue: Venue,
    label: str,
    products: list[str],
    result: SyncResult,
    full_history: bool,
    progress: ProgressCallback | None,
    cancel: asyncio.Event | None,
    limit: int,
) -> None:
    """Sync each product in turn into ``result`` (a product's own 404/400 is its ``error``)."""
    fills_before = 0

    async def report(product_id: str, phase: Phase, pages: int, fills: int) -> None:
        if progress is not None:
            outcome = progress(
                SyncProgress(
                    product_id=product_id,
                    phase=phase,
                    pages=pages,
                    fills=fills,
                    products_done=len(result.products),
                    products_total=len(products),
                    fills_total=fills_before + fills,
                )
            )
            if inspect.isawaitable(outcome):
                await outcome

    for product_id in products:
        if cancel is not None and cancel.is_set():
            result.cancelled = True
            break
        sink = StoreSink(store, label, product_id, report, cancel, venue=venue.info.id)
        product = sink.result
        try:
            await _timed(venue, product, venue.sync_scope(product_id, sink, full=full_history, limit=limit))
        except Stopped:
            result.cancelled = True
        except (NotFound, BadRequest) as exc:
            product.error = str(exc)
        except BaseException as exc:
            if isinstance(exc, Exception):
                product.error = str(exc)
            result.products.append(product)
            raise
        fills_before += sink.fills_seen
        result.products.append(product)
        if product.error is None or product.pages:
            sink.record_run()
        if result.cancelled:
            break


async def _timed(venue: Venue, product: ProductSyncResult, walk: Awaitable[None]) -> None:
    """Run one scope's walk, keeping its seconds and requests in ``product`` however it ends."""
    started, sent = time.monotonic(), venue.requests_sent
    try:
        await walk
    finally:
        product.seconds = round(time.monotonic() - started, 3)
        product.requests = venue.requests_sent - sent


def _finish(result: SyncResult, venue: Venue, sent: int, started: float) -> SyncResult:
    """Totals, and whether every requested product failed."""
    result.inserted = result.updated = result.unchanged = result.pages = 0
    for p in result.products:
        result.inserted += p.inserted
        result.updated += p.updated
        result.unchanged += p.unchanged
        result.pages += p.pages
    every_product_failed = bool(result.products) and all(p.error is not None for p in result.products)
    result.failed = result.stopped_by is not None or every_product_failed
    result.requests = venue.requests_sent - sent
    result.seconds = round(time.monotonic() - started, 3)
    return result
