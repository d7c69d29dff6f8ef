"""Coinbase Exchange's live answers (its wire models, ``models.py``) as the venue-neutral values.

Why here: which attribute holds what (``Product.id``, ``Ticker.trade_id: int``, ``Fill.fee`` as a Decimal,
the ``CB-AFTER`` cursor) is this venue's knowledge; the core reaches it only as ``CoinbaseExchange.views``
(:class:`~trade_tracker.venues.views.LiveViews`). The values are exactly what the tools showed before a
second venue existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trade_tracker.formats import decimal_text

from ..views import COMMON_FILL_COLUMNS, Values, optional_exact, ticker_row, time_text

if TYPE_CHECKING:
    from .models import Account, Fill, FillPage, Order, Product, Ticker

__all__ = ["ExchangeViews"]


class ExchangeViews:
    """Coinbase Exchange's :class:`~trade_tracker.venues.views.LiveViews`."""

    fill_columns: tuple[str, ...] = COMMON_FILL_COLUMNS

    def product(self, product: Product) -> Values:
        p = product
        return {
            "id": p.id,
            "base_currency": p.base_currency,
            "quote_currency": p.quote_currency,
            "status": p.status,
            "base_increment": optional_exact(p.base_increment),
            "quote_increment": optional_exact(p.quote_increment),
            "min_market_funds": optional_exact(p.min_market_funds),
            "trading_disabled": p.trading_disabled,
            "display_name": p.display_name,
        }

    def ticker(self, product_id: str, ticker: Ticker) -> Values:
        t = ticker
        return ticker_row(product_id, (t.price, t.size, t.time, t.trade_id), t.bid, t.ask, t.volume)

    def account(self, account: Account) -> Values:
        a = account
        return {
            "currency": a.currency,
            "balance": decimal_text(a.balance),
            "hold": decimal_text(a.hold),
            "available": decimal_text(a.available),
            "zero": a.balance == 0 and a.hold == 0,
        }

    def order(self, order: Order) -> Values:
        o = order
        return {
            "id": o.id,
            "product_id": o.product_id,
            "side": o.side,
            "type": o.type,
            "status": o.status,
            "price": optional_exact(o.price),
            "size": optional_exact(o.size),
            "filled_size": optional_exact(o.filled_size),
            "fill_fees": optional_exact(o.fill_fees),
            "created_at": time_text(o.created_at),
            "done_at": time_text(o.done_at),
        }

    def fill(self, fill: Fill) -> Values:
        f = fill
        return {
            "trade_id": f.trade_id,
            "product_id": f.product_id,
            "side": f.side,
            "price": decimal_text(f.price),
            "size": decimal_text(f.size),
            "fee": decimal_text(f.fee),
            "created_at": time_text(f.created_at),
            "liquidity": f.liquidity,
            "settled": f.settled,
            "order_id": f.order_id,
        }

    def next_cursor(self, page: FillPage) -> str | None:
        """``CB-AFTER``'s trade id, when the page held fills."""
        return str(page.after) if page.after and page.fills else None

    def order_filter(self, wanted: Sequence[str]) -> list[str] | None:
        """Exchange takes its status words as they are (none: its default, open orders)."""
        return list(wanted) or None
