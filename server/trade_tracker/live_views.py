"""The venue-neutral view of a venue's live reads: products, ticker, balances, orders and fills as plain values.

Why: each venue's client answers in its own wire models, but a tool or verb answers in ONE shape whatever
the label's venue. Each venue turns its own answers into that shape (its ``views``, a
:class:`~trade_tracker.venues.views.LiveViews`: ``coinbase_exchange/views.py``, ``coinbase_advanced/views.py``);
this module finds the venue by its id (``VenueInfo.id``) in ``venues.registry`` and asks it, so the faces
and the core name no venue and no wire attribute.

Also here, because both faces and the core need it: the order-status vocabulary of ``list_orders`` (lower
case, the union of every venue's ``VenueInfo.order_statuses``) and what each status asks of each venue
(:func:`order_statuses`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument
from .venues.registry import VENUES

if TYPE_CHECKING:
    from .venues.base import LiveVenue
    from .venues.views import LiveViews

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

#: Every status word any venue takes (the tool's schema lists these).
ORDER_STATUS_WORDS: tuple[str, ...] = tuple(
    dict.fromkeys(word for venue in VENUES.values() for word in venue.info.order_statuses)
)


def _venue(venue: str) -> type[LiveVenue]:
    found = next((v for name, v in VENUES.items() if name == venue), None)
    if found is None:
        raise InvalidArgument(f"no live view for the venue {venue[:40]!r}")
    return found


def _views(venue: str) -> LiveViews:
    return _venue(venue).views


def statuses_of(venue: str) -> tuple[str, ...]:
    """The status words ``list_orders`` takes for ``venue``."""
    return _venue(venue).info.order_statuses


def order_statuses(venue: str, title: str, statuses: Sequence[str] | None) -> list[str] | None:
    """What ``statuses`` (lower-case words, None: open orders only) ask of ``venue`` (its view's
    ``order_filter``: Exchange takes its words as they are; Advanced Trade gets its ``order_status``
    values). A word the venue does not know is an :class:`InvalidArgument`."""
    known = statuses_of(venue)
    wanted = [s.lower() for s in statuses or []]
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise InvalidArgument(
            f"{title} has no order status {unknown[0][:30]!r}; use one of {', '.join(known)} (or none, for open orders)"
        )
    return _views(venue).order_filter(wanted)


def product_values(venue: str, p: Any) -> Values:
    """One product: id, base/quote currency, status, increments, the smallest order in quote, whether it
    trades, and its display name."""
    return _views(venue).product(p)


def ticker_values(venue: str, product_id: str, t: Any) -> Values:
    """The last trade (price, size, time, trade id), best bid/ask and 24h base volume (None where the venue
    has none). A ticker without a trade yet is :class:`~trade_tracker.errors.NotFound` (a summary then
    leaves the product unpriced)."""
    return _views(venue).ticker(product_id, t)


def account_values(venue: str, a: Any) -> Values:
    """One currency's balance, hold and available, and whether all are zero."""
    return _views(venue).account(a)


def order_values(venue: str, o: Any) -> Values:
    """One order: id, product, side, type, status (lower case), price, size, filled size and fees, times."""
    return _views(venue).order(o)


def fill_columns(venue: str) -> list[str]:
    """A live fill row's columns: the common ones, then the venue's own (Advanced Trade: ``entry_id``,
    ``trade_type`` and ``size_in_quote``)."""
    return list(_views(venue).fill_columns)


def fill_values(venue: str, f: Any) -> Values:
    """One live fill in :func:`fill_columns` order."""
    return _views(venue).fill(f)


def next_fill_cursor(venue: str, page: Any) -> str | None:
    """The cursor of the next (older) page, as text; None at the end."""
    return _views(venue).next_cursor(page)
