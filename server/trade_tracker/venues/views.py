"""What every venue's live view shares: the :class:`LiveViews` protocol, the common fill columns and the
value formats (exact money text, ISO UTC times) a venue's wire values are shown in.

Why: a tool or verb answers in ONE shape whatever the label's venue, and each venue knows its own wire
models (``coinbase_exchange/views.py``, ``coinbase_advanced/views.py``); the core reaches a venue's view
only as ``LiveVenue.views`` (``venues.base``), so it names no venue and no wire attribute. Nothing here
does I/O or imports a venue package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from trade_tracker.formats import decimal_text, iso_utc, parse_timestamp

__all__ = ["COMMON_FILL_COLUMNS", "LiveViews", "Values", "exact_text", "optional_exact", "ticker_row", "time_text"]

#: One live answer (a product, a ticker, a balance, an order, a fill) as plain values.
Values = dict[str, Any]

#: The columns every venue's live fill row starts with (a venue may add its own after them).
COMMON_FILL_COLUMNS: tuple[str, ...] = (
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


class LiveViews(Protocol):
    """A venue's live answers (what its ``Venue`` live reads return) as the venue-neutral values."""

    #: A live fill row's columns: :data:`COMMON_FILL_COLUMNS`, then the venue's own.
    fill_columns: tuple[str, ...]

    def product(self, product: Any) -> Values:
        """id, base/quote currency, status, increments, smallest order in quote, trading_disabled, display_name."""
        ...

    def ticker(self, product_id: str, ticker: Any) -> Values:
        """The last trade, best bid/ask and 24h volume (:func:`ticker_row`); no trade yet is ``NotFound``."""
        ...

    def account(self, account: Any) -> Values:
        """currency, balance, hold, available (fixed-point text) and ``zero`` (nothing held at all)."""
        ...

    def order(self, order: Any) -> Values:
        """id, product, side, type, status (lower case), price, size, filled size and fees, times."""
        ...

    def fill(self, fill: Any) -> Values:
        """One live fill, in :attr:`fill_columns` order."""
        ...

    def next_cursor(self, page: Any) -> str | None:
        """The cursor of the next (older) page of a ``fill_page`` answer, as text; None at the end."""
        ...

    def order_filter(self, wanted: Sequence[str]) -> list[str] | None:
        """What ``wanted`` (checked lower-case words of ``VenueInfo.order_statuses``; empty: open orders
        only) asks of the venue's ``list_orders``; None: no status filter."""
        ...


def exact_text(value: Any) -> str:
    """A Decimal as its fixed-point text; a string (exact money as the API sent it) as it is."""
    return value if isinstance(value, str) else decimal_text(value)


def optional_exact(value: Any) -> str | None:
    """:func:`exact_text`, None for a missing (None or empty) value."""
    return None if value is None or value == "" else exact_text(value)


def time_text(value: Any) -> str | None:
    """A datetime or an exact timestamp string as the store's fixed-width ISO UTC text."""
    if value is None:
        return None
    return iso_utc(parse_timestamp(value) if isinstance(value, str) else value)


def ticker_row(product_id: str, last: tuple[Any, Any, Any, Any], bid: Any, ask: Any, volume: Any) -> Values:
    """A ticker's values: ``last`` is the last trade's (price, size, time, trade id)."""
    price, size, time, trade_id = last
    return {
        "product_id": product_id.upper(),
        "price": exact_text(price),
        "size": exact_text(size),
        "bid": optional_exact(bid),
        "ask": optional_exact(ask),
        "volume": optional_exact(volume),
        "time": time_text(time),
        "trade_id": trade_id,
    }
