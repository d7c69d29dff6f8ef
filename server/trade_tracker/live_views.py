"""The venue-neutral view of a venue's live reads: products, ticker, balances, orders and fills as plain values.

Why: each venue's client answers in its own wire models (Exchange's ``Product.id`` and ``Ticker.trade_id: int``;
Advanced Trade's ``Product.product_id``, ``Ticker.trades[0]`` and string trade ids), but a tool or verb
answers in ONE shape whatever the label's venue. This module is where a venue's answer becomes that shape,
picked by the venue id (``VenueInfo.id``, from ``venues.registry``), read by attribute: it imports no venue
package, so the faces and the core stay behind the venue boundary. Exchange's values come out exactly as
the tools showed them before a second venue existed.

Also here, because both faces and the core need it: the order-status vocabulary of ``list_orders`` (lower
case, the union of both venues') and what each status asks of each venue (:func:`order_statuses`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .errors import InvalidArgument, NotFound
from .formats import decimal_text, iso_utc, parse_timestamp

__all__ = [
    "ORDER_STATUS_WORDS",
    "account_values",
    "fill_columns",
    "fill_values",
    "next_fill_cursor",
    "order_statuses",
    "order_values",
    "product_values",
    "statuses_of",
    "ticker_values",
]

Values = dict[str, Any]

#: ``list_orders``' status words, per venue: Exchange's own; Advanced Trade's ``order_status`` values in
#: lower case, plus ``done`` (every finished order) and ``all`` as on Exchange.
_EXCHANGE_STATUSES = ("open", "pending", "rejected", "done", "active", "received", "all")
_ADVANCED_STATUSES = (
    "open",
    "pending",
    "queued",
    "cancel_queued",
    "filled",
    "cancelled",
    "expired",
    "failed",
    "unknown_order_status",
    "done",
    "all",
)
_STATUSES = {"exchange": _EXCHANGE_STATUSES, "advanced": _ADVANCED_STATUSES}
#: Every status word any venue takes (the tool's schema lists these).
ORDER_STATUS_WORDS: tuple[str, ...] = tuple(dict.fromkeys((*_EXCHANGE_STATUSES, *_ADVANCED_STATUSES)))
_ADVANCED_DONE = ("FILLED", "CANCELLED", "EXPIRED", "FAILED")
_LIQUIDITY = {"MAKER": "M", "TAKER": "T"}
#: Advanced Trade's own fields a live fill row adds after the common ones.
_ADVANCED_FILL_EXTRA = ("entry_id", "trade_type", "size_in_quote")
_COMMON_FILL_COLUMNS = (
    "trade_id",
    "product_id",
    "side",
    "price",
    "size",
    "fee",
    "created_at",
    "liquidity",
    "settled",
    "order_id",
)


def _exact(value: Any) -> str:
    """A Decimal as its fixed-point text; a string (Advanced Trade's exact money) as sent."""
    return value if isinstance(value, str) else decimal_text(value)


def _dec(value: Any) -> str | None:
    return None if value is None or value == "" else _exact(value)


def _time(value: Any) -> str | None:
    """A datetime or an exact timestamp string as the store's fixed-width ISO UTC text."""
    if value is None:
        return None
    return iso_utc(parse_timestamp(value) if isinstance(value, str) else value)


def _is_advanced(venue: str) -> bool:
    if venue not in _STATUSES:
        raise InvalidArgument(f"no live view for the venue {venue[:40]!r}")
    return venue == "advanced"


def statuses_of(venue: str) -> tuple[str, ...]:
    """The status words ``list_orders`` takes for ``venue``."""
    return _STATUSES["advanced" if _is_advanced(venue) else "exchange"]


def order_statuses(venue: str, title: str, statuses: Sequence[str] | None) -> list[str] | None:
    """What ``statuses`` (lower-case words, None: open orders only) ask of ``venue``: Exchange takes its
    words as they are; Advanced Trade gets its ``order_status`` values (``done`` = filled, cancelled,
    expired or failed; ``all`` = no filter). A word the venue does not know is an :class:`InvalidArgument`."""
    known = statuses_of(venue)
    wanted = [s.lower() for s in statuses or []]
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise InvalidArgument(
            f"{title} has no order status {unknown[0][:30]!r}; use one of {', '.join(known)} (or none, for open orders)"
        )
    if venue == "exchange":
        return wanted or None
    if not wanted:
        return ["OPEN"]
    if "all" in wanted:
        return None
    asked = [word for s in wanted for word in (_ADVANCED_DONE if s == "done" else (s.upper(),))]
    return list(dict.fromkeys(asked))


def product_values(venue: str, p: Any) -> Values:
    """One product: id, base/quote currency, status, increments, the smallest order in quote, whether it
    trades, and its display name (Advanced Trade has none: the id)."""
    if _is_advanced(venue):
        return {
            "id": p.product_id,
            "base_currency": p.base_currency_id,
            "quote_currency": p.quote_currency_id,
            "status": (p.status or "").lower() or None,
            "base_increment": _dec(p.base_increment),
            "quote_increment": _dec(p.quote_increment),
            "min_market_funds": _dec(p.quote_min_size),
            "trading_disabled": p.trading_disabled,
            "display_name": p.product_id,
        }
    return {
        "id": p.id,
        "base_currency": p.base_currency,
        "quote_currency": p.quote_currency,
        "status": p.status,
        "base_increment": _dec(p.base_increment),
        "quote_increment": _dec(p.quote_increment),
        "min_market_funds": _dec(p.min_market_funds),
        "trading_disabled": p.trading_disabled,
        "display_name": p.display_name,
    }


def ticker_values(venue: str, product_id: str, t: Any) -> Values:
    """The last trade (price, size, time, trade id: an int on Exchange, a string on Advanced Trade), best
    bid/ask and 24h base volume (Advanced Trade's ticker has none: None). A ticker without a trade yet is
    :class:`NotFound` (a summary then leaves the product unpriced)."""
    if _is_advanced(venue):
        last = t.last
        if last is None:
            raise NotFound(f"no trade of {product_id} yet, so it has no price", status_code=404)
        price, size, time, trade_id = last.price, last.size, last.time, last.trade_id
        bid, ask, volume = t.best_bid, t.best_ask, None
    else:
        price, size, time, trade_id = t.price, t.size, t.time, t.trade_id
        bid, ask, volume = t.bid, t.ask, t.volume
    return {
        "product_id": product_id.upper(),
        "price": _exact(price),
        "size": _exact(size),
        "bid": _dec(bid),
        "ask": _dec(ask),
        "volume": _dec(volume),
        "time": _time(time),
        "trade_id": trade_id,
    }


def account_values(venue: str, a: Any) -> Values:
    """One currency's balance, hold and available (Advanced Trade: available + hold = balance, exact)."""
    if _is_advanced(venue):
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
    return {
        "currency": a.currency,
        "balance": decimal_text(a.balance),
        "hold": decimal_text(a.hold),
        "available": decimal_text(a.available),
        "zero": a.balance == 0 and a.hold == 0,
    }


def _configured(order: Any, name: str) -> Any:
    """A field of an Advanced Trade order's ``order_configuration`` (``{"limit_limit_gtc": {...}}``)."""
    for settings in (order.order_configuration or {}).values():
        if isinstance(settings, dict) and settings.get(name) not in (None, ""):
            return settings[name]  # pyright: ignore[reportUnknownVariableType]
    return None


def order_values(venue: str, o: Any) -> Values:
    """One order: id, product, side, type, status (lower case), price, size, filled size and fees, times."""
    if _is_advanced(venue):
        return {
            "id": o.order_id,
            "product_id": o.product_id,
            "side": o.side.lower(),
            "type": (o.order_type or "").lower() or None,
            "status": o.status.lower(),
            "price": _dec(_configured(o, "limit_price") or o.average_filled_price),
            "size": _dec(_configured(o, "base_size") or _configured(o, "quote_size")),
            "filled_size": _dec(o.filled_size),
            "fill_fees": _dec(o.total_fees),
            "created_at": _time(o.created_time),
            "done_at": None,
        }
    return {
        "id": o.id,
        "product_id": o.product_id,
        "side": o.side,
        "type": o.type,
        "status": o.status,
        "price": _dec(o.price),
        "size": _dec(o.size),
        "filled_size": _dec(o.filled_size),
        "fill_fees": _dec(o.fill_fees),
        "created_at": _time(o.created_at),
        "done_at": _time(o.done_at),
    }


def fill_columns(venue: str) -> list[str]:
    """A live fill row's columns: the common ones, then (Advanced Trade) ``entry_id``, ``trade_type`` and
    ``size_in_quote`` (when true, ``size`` is in the quote currency)."""
    extra = _ADVANCED_FILL_EXTRA if _is_advanced(venue) else ()
    return [*_COMMON_FILL_COLUMNS, *extra]


def fill_values(venue: str, f: Any) -> Values:
    """One live fill in :func:`fill_columns` order (Advanced Trade: ``fee`` is the commission, every
    entry settled, the liquidity indicator as M/T)."""
    if _is_advanced(venue):
        return {
            "trade_id": f.trade_id,
            "product_id": f.product_id,
            "side": f.side.lower(),
            "price": f.price,
            "size": f.size,
            "fee": f.commission,
            "created_at": _time(f.trade_time),
            "liquidity": _LIQUIDITY.get(f.liquidity_indicator or ""),
            "settled": True,
            "order_id": f.order_id,
            "entry_id": f.entry_id,
            "trade_type": f.trade_type,
            "size_in_quote": f.size_in_quote,
        }
    return {
        "trade_id": f.trade_id,
        "product_id": f.product_id,
        "side": f.side,
        "price": decimal_text(f.price),
        "size": decimal_text(f.size),
        "fee": decimal_text(f.fee),
        "created_at": _time(f.created_at),
        "liquidity": f.liquidity,
        "settled": f.settled,
        "order_id": f.order_id,
    }


def next_fill_cursor(venue: str, page: Any) -> str | None:
    """The cursor of the next (older) page, as text: Exchange's ``CB-AFTER`` trade id (when the page held
    fills), Advanced Trade's opaque cursor; None at the end."""
    if _is_advanced(venue):
        return page.cursor or None
    return str(page.after) if page.after and page.fills else None
