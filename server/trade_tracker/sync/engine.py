"""The fills sync engine: copy every fill of a credential's account into the trade store, resumably.

The engine chooses the products (the given list, or discovery), runs one walk per product
(``venues/coinbase_exchange/walk.py``: the pages, their cursors and why a kill never leaves a hole),
records each product's run, and adds up the result. A product the exchange does not know (404) or
refuses (400) is that product's ``error``; any other error stops the sync with every page so far kept.

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
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import BadRequest, InvalidArgument, NotFound, TradeTrackerError
from ..formats import check_product_id
from ..store.connection import TradeStore
from ..venues.coinbase_exchange.discovery import discover_products
from ..venues.coinbase_exchange.params import MAX_FILLS_LIMIT
from ..venues.coinbase_exchange.walk import ProductSync, Stopped
from .results import Phase, ProgressCallback, SyncProgress, SyncResult

if TYPE_CHECKING:
    from ..venues.coinbase_exchange.client import CoinbaseClient

__all__ = ["stop_reason", "sync_fills"]


async def sync_fills(
    store: TradeStore,
    client: CoinbaseClient,
    label: str,
    product_ids: Sequence[str] | None = None,
    *,
    full_history: bool = False,
    progress: ProgressCallback | None = None,
    cancel: asyncio.Event | None = None,
    limit: int = MAX_FILLS_LIMIT,
) -> SyncResult:
    """Sync the fills of ``label``'s account into ``store``; see the module docstring.

    Args:
        product_ids: the products to sync; None means :func:`products_to_sync`.
        full_history: re-walk every product's whole history (updates changed rows), and discover
            products from every order again.
        progress: called (sync or async) after every page.
        cancel: when set, the sync stops after the page being stored; ``cancelled`` is True.
        limit: fills per request (at most 100).

    A product the exchange does not know (404) or refuses (400) is reported in its
    ``error`` and the sync goes on; when every product failed so, ``failed`` is True. Any
    other error propagates, with every page stored so far kept and the cursors consistent;
    :func:`partial_result` of that exception is the result up to it.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_FILLS_LIMIT:
        raise InvalidArgument(f"limit must be a whole number from 1 to {MAX_FILLS_LIMIT}")
    started, sent = time.monotonic(), client.requests_sent
    result = SyncResult(label=label, products=[])
    try:
        if product_ids is None:
            products, result.discovery = await discover_products(store, client, label, full=full_history)
        else:
            products = list(dict.fromkeys(check_product_id(p) for p in product_ids))
        await _sync_products(store, client, label, products, result, full_history, progress, cancel, limit)
    except BaseException as exc:  # a task cancellation too: its run record keeps the partial counts
        if not isinstance(exc, InvalidArgument):
            if isinstance(exc, Exception):
                result.stopped_by = stop_reason(exc)
            _finish(result, client, sent, started)
            exc.sync_result = result  # pyright: ignore[reportAttributeAccessIssue]  # any exception takes it; see partial_result()
        raise
    return _finish(result, client, sent, started)


def stop_reason(exc: BaseException) -> str:
    """Why an error stopped a sync, in one secret-free sentence: our errors' own messages (secret-free by
    contract), anything else only its type (details go to the log)."""
    if isinstance(exc, TradeTrackerError):
        return str(exc)
    return f"unexpected {type(exc).__name__} (details in the log)"


async def _sync_products(
    store: TradeStore, client: CoinbaseClient, label: str, products: list[str], result: SyncResult,
    full_history: bool, progress: ProgressCallback | None, cancel: asyncio.Event | None, limit: int,
) -> None:
    """Sync each product in turn into ``result`` (a product's own 404/400 is its ``error``)."""
    fills_before = 0

    async def report(product_id: str, phase: Phase, pages: int, fills: int) -> None:
        if progress is not None:
            outcome = progress(
                SyncProgress(
                    product_id=product_id, phase=phase, pages=pages, fills=fills,
                    products_done=len(result.products), products_total=len(products),
                    fills_total=fills_before + fills,
                )
            )
            if inspect.isawaitable(outcome):
                await outcome

    for product_id in products:
        if cancel is not None and cancel.is_set():
            result.cancelled = True
            break
        worker = ProductSync(store, client, label, product_id, report, cancel, limit)
        try:
            product = await worker.run(full_history)
        except Stopped:
            product, result.cancelled = worker.result, True
        except (NotFound, BadRequest) as exc:
            product = worker.result
            product.error = str(exc)
        except BaseException as exc:
            if isinstance(exc, Exception):
                worker.result.error = str(exc)
            result.products.append(worker.result)
            raise
        fills_before += worker.fills_seen
        result.products.append(product)
        if product.error is None or product.pages:
            store.record_run(
                label, product_id, inserted=product.inserted, updated=product.updated,
                pages=product.pages, complete=product.complete,
            )
        if result.cancelled:
            break


def _finish(result: SyncResult, client: CoinbaseClient, sent: int, started: float) -> SyncResult:
    """Totals, and whether every requested product failed."""
    result.inserted = result.updated = result.unchanged = result.pages = 0
    for p in result.products:
        result.inserted += p.inserted
        result.updated += p.updated
        result.unchanged += p.unchanged
        result.pages += p.pages
    every_product_failed = bool(result.products) and all(p.error is not None for p in result.products)
    result.failed = result.stopped_by is not None or every_product_failed
    result.requests = client.requests_sent - sent
    result.seconds = round(time.monotonic() - started, 3)
    return result
