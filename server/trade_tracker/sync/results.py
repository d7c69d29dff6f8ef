"""What a fills sync reports: progress after every page, per-product and total results, discovery.

Venue-neutral models, shared by the engine (``engine.py``), each venue's walk, the jobs and both faces.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel

__all__ = [
    "DiscoveryResult",
    "Phase",
    "ProductSyncResult",
    "ProgressCallback",
    "SyncProgress",
    "SyncResult",
    "partial_result",
]

Phase = Literal["backfill", "incremental", "resettle"]


class DiscoveryResult(BaseModel):
    """What product discovery did in one sync (part of the sync result).

    mode: full (every order: the label's first discovery) or incremental (orders created since
    `since`). requests: exchange requests it made. orders_seen: orders read. products_found: the
    products of those orders; new_products: those not followed before. followed: how many products
    the sync covers. watermark: the newest order created_at seen (the next discovery starts after it).
    """

    method: Literal["orders"] = "orders"
    mode: Literal["full", "incremental"]
    since: str | None = None
    requests: int = 0
    orders_seen: int = 0
    products_found: list[str] = []
    new_products: list[str] = []
    followed: int = 0
    watermark: str | None = None


class SyncProgress(BaseModel):
    """Reported after every page: feeds MCP progress notifications and the CLI's progress bar."""

    product_id: str
    phase: Phase
    pages: int
    fills: int
    products_done: int
    products_total: int
    fills_total: int


class ProductSyncResult(BaseModel):
    """What a sync did for one product. No money, only counts.

    ``complete``: the walk reached the newest fill (the whole history is stored).
    ``resumed_from``: where this run began: ``start`` (a new backward walk),
    ``after=<trade_id>`` (an unfinished backward walk resumed) or ``before=<trade_id>``
    (an incremental walk, from the high-water mark or from just below an unsettled fill).
    ``error``: set when the exchange refused this product (unknown product, bad request).
    ``resettle_pages``: of ``pages``, those re-read to catch unsettled fills settling (or being
    corrected): why a sync with nothing new can cost more than one request per product.
    """

    product_id: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    pages: int = 0
    resettle_pages: int = 0
    requests: int = 0
    seconds: float = 0.0
    complete: bool = False
    resumed_from: str | None = None
    error: str | None = None


class SyncResult(BaseModel):
    """What a sync did: per product, and totals.

    ``failed``: the sync did not do what was asked: every requested product failed (each has its
    ``error``), or an error stopped it (``stopped_by``, our own secret-free message; this result is
    then the :func:`partial_result` of what was stored up to it). The CLI exits non-zero and the
    MCP tool answers ``isError``. A partial failure (some products refused, the others synced to
    the end) is not ``failed``; neither is a cancellation (``cancelled``). ``discovery``: how the
    products were chosen, when no product list was given (see ``discovery.py``).
    """

    label: str
    products: list[ProductSyncResult]
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    pages: int = 0
    requests: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    failed: bool = False
    stopped_by: str | None = None
    discovery: DiscoveryResult | None = None


ProgressCallback = Callable[[SyncProgress], Awaitable[None] | None]


def partial_result(exc: BaseException) -> SyncResult | None:
    """The result of what a sync stored before ``exc`` stopped it, or None (not a sync's error).

    A credential, network or exchange failure that is not one product's own stops the sync
    and propagates; every page stored so far is kept, and this says which and how many.
    """
    found = getattr(exc, "sync_result", None)
    return found if isinstance(found, SyncResult) else None
