"""Which products a sync with no product list covers: every product the account ever traded.

``/fills`` needs a product_id, and Coinbase lists hundreds of products, so asking each one
would cost hundreds of mostly empty requests per sync. Balances do not tell either: a
position closed to exactly 0 before the first sync leaves no trace in ``/accounts``. The
orders do: every fill belongs to an order, and ``GET /orders?status=all`` lists the
profile's orders across all products, newest first, up to 1,000 per request.

The walk (``method: "orders"``):

- **First discovery** of a label (``mode: "full"``): every order, paging older with
  ``after=<CB-AFTER>`` until the empty page. Cost: ``ceil(orders / 1000) + 1`` requests,
  once (a fill sync of the same history costs ``fills / 100``, at least 10× more).
- **Later discoveries** (``mode: "incremental"``): only orders created after the
  watermark (``start_date`` = the newest ``created_at`` seen, plus 1 µs). With nothing new
  that is **one** request answering an empty page.

``status=all``, not ``done``: orders are listed by ``created_at``, so an order that was
still open at one discovery and fills later would never show up in a later window of done
orders. With ``all``, every order is seen once, in the window of its creation, whatever
its status then; its product is followed from then on (an order that never fills costs
one empty ``/fills`` request per sync).

Why not the ledger (``/accounts/{id}/ledger``, whose ``match`` entries name the product)?
It is per account, and a profile has an account per currency, so even a "nothing new"
check would cost one request per quote currency instead of one; and without
``start_date`` it answers only the past day. (The client has ``list_ledger`` for it.)

Products found are saved page by page (``discovery_state.py``); the watermark only when a
walk reached its empty page. A sync covers the discovered products, plus every product with
fills stored for the label (named once with ``--product-id``, or synced by an older release).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from trade_tracker.errors import ExchangeProtocolError, InvalidArgument
from trade_tracker.formats import check_product_id, iso_utc, parse_timestamp
from trade_tracker.store.discovery_state import add_discovered, discovered_products, discovery_state, save_discovery_run
from trade_tracker.sync.results import DiscoveryResult

if TYPE_CHECKING:
    from trade_tracker.store.connection import TradeStore

    from .client import CoinbaseClient

__all__ = ["ORDERS_PAGE", "discover_products"]

log = logging.getLogger("trade_tracker.discovery")

#: Orders per discovery request (the documented maximum).
ORDERS_PAGE = 1000


async def discover_products(
    store: TradeStore, client: CoinbaseClient, label: str, *, full: bool = False
) -> tuple[list[str], DiscoveryResult]:
    """The products a default sync of ``label`` covers, sorted, and how discovery found them.

    ``full``: walk every order again (``sync --full``), not only those after the watermark.
    """
    state = discovery_state(store, label)
    watermark = state.watermark if state is not None else None
    since = None if watermark is None or full else parse_timestamp(watermark) + timedelta(microseconds=1)
    result = DiscoveryResult(
        mode="full" if since is None else "incremental",
        since=None if since is None else iso_utc(since),
        watermark=watermark,
    )
    sent = client.requests_sent
    found: set[str] = set()
    newest = watermark
    cursor: str | None = None
    try:
        while True:
            page = await client.list_order_page(("all",), limit=ORDERS_PAGE, after=cursor, start_date=since)
            if not page.orders:
                break
            result.orders_seen += len(page.orders)
            products = {p for p in (order.product_id.upper() for order in page.orders) if _usable(p)}
            result.new_products += add_discovered(store, label, products - found)
            found |= products
            top = iso_utc(max(order.created_at for order in page.orders))
            newest = top if newest is None else max(newest, top)
            if page.after is None:
                break
            if cursor is not None and parse_timestamp(page.after) >= parse_timestamp(cursor):
                raise ExchangeProtocolError(
                    f"/orders paging did not move older (after={cursor} then {page.after}); stopping to avoid a loop"
                )
            cursor = page.after
    finally:
        result.requests = client.requests_sent - sent
    save_discovery_run(
        store, label, method=result.method, watermark=newest, requests=result.requests, orders=result.orders_seen
    )
    result.watermark = newest
    result.products_found = sorted(found)
    result.new_products = sorted(result.new_products)
    followed = sorted(set(discovered_products(store, label)) | set(store.fill_products(label)))
    result.followed = len(followed)
    return followed, result


def _usable(product_id: str) -> bool:
    """Whether ``/fills`` can be asked for this product id; an id it cannot is logged and left out."""
    try:
        check_product_id(product_id)
    except InvalidArgument:
        log.warning("discovery: /orders named a product id /fills cannot take (%r); left out", product_id[:40])
        return False
    return True
