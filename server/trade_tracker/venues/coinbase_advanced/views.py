"""Coinbase Advanced Trade's live answers (its wire models, ``models.py``) as the venue-neutral values.

Why here: which attribute holds what (``Product.product_id``, ``Ticker.trades[0]``, string trade ids, the
commission as the fee, ``Money`` balances, an order's price inside ``order_configuration``, the opaque
cursor) and what ``done`` means in ``order_status`` values are this venue's knowledge; the core reaches it
only as ``CoinbaseAdvanced.views`` (:class:`~trade_tracker.venues.views.LiveViews`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trade_tracker.errors import NotFound
from trade_tracker.formats import decimal_text

from ..views import COMMON_FILL_COLUMNS, Values, optional_exact, ticker_row, time_text

if TYPE_CHECKING:
    from .models import Account, AdvancedFill, FillPage, Order, Product, Ticker

__all__ = ["AdvancedViews"]

#: The ``order_status`` values of a finished order (the word ``done``).
_DONE = ("FILLED", "CANCELLED", "EXPIRED", "FAILED")
_LIQUIDITY = {"MAKER": "M", "TAKER": "T"}
#: Advanced Trade's own fields a live fill row adds after the common ones.
_FILL_EXTRA = ("entry_id", "trade_type", "size_in_quote")


def _configured(order: Order, name: str) -> Any:
    """A field of an order's ``order_configuration`` (``{"limit_limit_gtc": {...}}``)."""
    for settings in (order.order_configuration or {}).values():
        if isinstance(settings, dict) and settings.get(name) not in (None, ""):  # pyright: ignore[reportUnknownMemberType]
            return settings[name]  # pyright: ignore[reportUnknownVariableType]
    return None


class AdvancedViews:
    """Coinbase Advanced Trade's :class:`~trade_tracker.venues.views.LiveViews`."""

    #: The common columns, then ``entry_id``, ``trade_type`` and ``size_in_quote`` (when true, ``size`` is
    #: in the quote currency).
    fill_columns: tuple[str, ...] = (*COMMON_FILL_COLUMNS, *_FILL_EXTRA)

    def product(self, product: Product) -> Values:
        """Advanced Trade has no display name: the id."""
        p = product
        return {
            "id": p.product_id,
            "base_currency": p.base_currency_id,
            "quote_currency": p.quote_currency_id,
            "status": (p.status or "").lower() or None,
            "base_increment": optional_exact(p.base_increment),
            "quote_increment": optional_exact(p.quote_increment),
            "min_market_funds": optional_exact(p.quote_min_size),
            "trading_disabled": p.trading_disabled,
            "display_name": p.product_id,
        }

    def ticker(self, product_id: str, ticker: Ticker) -> Values:
        """The newest market trade (a string trade id); no 24h volume (None)."""
        last = ticker.last
        if last is None:
            raise NotFound(f"no trade of {product_id} yet, so it has no price", status_code=404)
        trade = (last.price, last.size, last.time, last.trade_id)
        return ticker_row(product_id, trade, ticker.best_bid, ticker.best_ask, None)

    def account(self, account: Account) -> Values:
        """available + hold = balance, exact."""
        a = account
        available = Decimal(a.available_balance.value)
        hold = Decimal(a.hold.value) if a.hold is not None else Decimal(0)
        balance = available + hold
        return {
            "currency": a.currency,
            "balance": decimal_text(balance),
            "hold": decimal_text(hold),
            "available": decimal_text(available),
            "zero": balance == 0 and hold == 0,
        }

    def order(self, order: Order) -> Values:
        o = order
        return {
            "id": o.order_id,
            "product_id": o.product_id,
            "side": o.side.lower(),
            "type": (o.order_type or "").lower() or None,
            "status": o.status.lower(),
            "price": optional_exact(_configured(o, "limit_price") or o.average_filled_price),
            "size": optional_exact(_configured(o, "base_size") or _configured(o, "quote_size")),
            "filled_size": optional_exact(o.filled_size),
            "fill_fees": optional_exact(o.total_fees),
            "created_at": time_text(o.created_time),
            "done_at": None,
        }

    def fill(self, fill: AdvancedFill) -> Values:
        """``fee`` is the commission, every entry settled, the liquidity indicator as M/T."""
        f = fill
        return {
            "trade_id": f.trade_id,
            "product_id": f.product_id,
            "side": f.side.lower(),
            "price": f.price,
            "size": f.size,
            "fee": f.commission,
            "created_at": time_text(f.trade_time),
            "liquidity": _LIQUIDITY.get(f.liquidity_indicator or ""),
            "settled": True,
            "order_id": f.order_id,
            "entry_id": f.entry_id,
            "trade_type": f.trade_type,
            "size_in_quote": f.size_in_quote,
        }

    def next_cursor(self, page: FillPage) -> str | None:
        """The opaque cursor of the next page."""
        return page.cursor or None

    def order_filter(self, wanted: Sequence[str]) -> list[str] | None:
        """Upper-case ``order_status`` values: none asked is ``OPEN``, ``done`` is filled, cancelled,
        expired or failed, ``all`` no filter."""
        if not wanted:
            return ["OPEN"]
        if "all" in wanted:
            return None
        asked = [word for s in wanted for word in (_DONE if s == "done" else (s.upper(),))]
        return list(dict.fromkeys(asked))
