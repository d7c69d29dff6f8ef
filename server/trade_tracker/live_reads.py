"""The live reads of :class:`~trade_tracker.app.TradeTracker`: products, ticker, balances, orders and fills,
for a label of any venue.

Why apart from ``app.py``: each read goes through the label's :class:`~trade_tracker.venues.base.Venue`
(found from its client through ``venues.registry``) and checks its arguments against that venue's facts
(``VenueInfo.fill_scope``, its ``VenueInfo.order_statuses`` through ``live_views``); ``app.py`` keeps
opening and caching the clients. A mixin, not used alone: it needs ``client_for``, ``public_client`` and ``store``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import CredentialError, InvalidArgument, NotFound
from .formats import check_product_id, parse_timestamp
from .live_views import account_values, order_statuses, product_values, ticker_values

if TYPE_CHECKING:
    from .venues.base import Venue, VenueClient, VenueInfo

__all__ = ["LiveReads"]


class LiveReads:
    """Live reads of Coinbase for a label (or, public, for a venue)."""

    if TYPE_CHECKING:  # TradeTracker's (app.py)

        def client_for(self, label: str | None) -> tuple[str, Any]: ...
        def public_client(self, venue: str = "exchange") -> VenueClient: ...

    def venue_of(self, label: str | None) -> VenueInfo:
        """The facts of ``label``'s venue (from its credential, the client cached for it): a face shapes
        its answer with them."""
        from .venues.registry import venue_named

        return venue_named(self.client_for(label)[1].venue_id).info

    def _venue_for(self, label: str | None) -> tuple[str, Venue]:
        """``label`` resolved, and its client driven as its :class:`~trade_tracker.venues.base.Venue`."""
        from .venues.registry import venue_of_client

        resolved, client = self.client_for(label)
        return resolved, venue_of_client(client)

    async def list_products(
        self,
        quote_currency: str | None = None,
        status: str | None = None,
        query: str | None = None,
        venue: str = "exchange",
    ) -> list[Any]:
        """``venue``'s products, filtered by quote currency, status and a substring of id or name (the
        filters read ``live_views.product_values``, the same for every venue)."""
        from .venues.registry import venue_of_client

        found = await venue_of_client(self.public_client(venue)).list_products()
        products = [(product_values(venue, p), p) for p in found]
        if quote_currency:
            products = [(v, p) for v, p in products if (v["quote_currency"] or "").upper() == quote_currency.upper()]
        if status:
            products = [(v, p) for v, p in products if (v["status"] or "").lower() == status.lower()]
        if query:
            needle = query.lower()
            products = [
                (v, p) for v, p in products if needle in v["id"].lower() or needle in (v["display_name"] or "").lower()
            ]
        return [p for _, p in sorted(products, key=lambda vp: vp[0]["id"])]

    async def get_ticker(self, product_id: str, venue: str = "exchange") -> dict[str, Any]:
        """The last trade and best bid/ask of one of ``venue``'s products (``live_views.ticker_values``)."""
        from .venues.registry import venue_of_client

        ticker = await venue_of_client(self.public_client(venue)).get_ticker(product_id)
        return ticker_values(venue, product_id, ticker)

    async def list_accounts(self, label: str | None = None, hide_zero: bool = True) -> tuple[str, list[Any]]:
        resolved, venue = self._venue_for(label)
        accounts = await venue.list_balances()
        if hide_zero:
            accounts = [a for a in accounts if not account_values(venue.info.id, a)["zero"]]
        return resolved, sorted(accounts, key=lambda a: a.currency)

    async def list_orders(
        self,
        label: str | None = None,
        status: Sequence[str] | None = None,
        product_id: str | None = None,
        limit: int = 100,
    ) -> tuple[str, list[Any]]:
        """Recent orders; ``status`` in the venue-neutral words (``live_views.order_statuses``), checked
        against the label's venue before any request."""
        resolved, venue = self._venue_for(label)
        asked = order_statuses(venue.info.id, venue.info.title, status)
        return resolved, await venue.list_orders(status=asked, product_id=product_id, limit=limit)

    async def list_fills(
        self,
        label: str | None = None,
        product_id: str | None = None,
        order_id: str | None = None,
        limit: int = 25,
        after: str | None = None,
    ) -> tuple[str, Any]:
        """One page of fills live from Coinbase, older than the cursor ``after`` (a page's ``next_after``);
        checked before any request is made. A venue whose fills are per product (Coinbase Exchange,
        ``VenueInfo.fill_scope``) needs a product or an order; one whose fills are the account's does not."""
        if product_id is not None:
            product_id = check_product_id(product_id)
        if product_id is None and order_id is None and self.needs_product(label):
            raise InvalidArgument("list_fills needs product_id or order_id (Coinbase refuses a request with neither)")
        resolved, venue = self._venue_for(label)
        cursor = None if after is None else str(after)
        return resolved, await venue.fill_page(product_id=product_id, order_id=order_id, limit=limit, cursor=cursor)

    def needs_product(self, label: str | None) -> bool:
        """Whether ``label``'s venue reads fills per product; a label without a credential answers as
        Coinbase Exchange (the default venue), so the argument error comes before the missing key's."""
        try:
            return self.venue_of(label).fill_scope == "product"
        except CredentialError:
            return True

    async def ticker_prices(
        self, product_ids: Sequence[str], venues: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[dict[str, Decimal], datetime]:
        """Live price per product (calls Coinbase), and the newest ticker time among them. ``venues``: the
        venues of each product's fills (``TradeStore.fill_venues``); a product is priced at the first of
        them (Advanced Trade before Exchange: its prices are production's), Exchange when none is named.

        A product the exchange no longer knows (delisted, 404) is left out rather than failing the
        whole answer; the summary then leaves it unpriced.
        """

        async def one(product_id: str) -> dict[str, Any] | None:
            venue = min((venues or {}).get(product_id) or ["exchange"])
            try:
                return await self.get_ticker(product_id, venue)
            except NotFound:
                return None

        # Concurrently: the shared public bucket paces them (burst 15), so N products are not N round trips.
        tickers = await asyncio.gather(*(one(p) for p in product_ids))
        found = {p: t for p, t in zip(product_ids, tickers, strict=True) if t is not None}
        prices = {p: Decimal(t["price"]) for p, t in found.items()}
        times = [parse_timestamp(t["time"]) for t in found.values()]
        return prices, max(times, default=datetime.now(UTC))
