"""Coinbase Exchange's request parameters: its order statuses, its fills page size and its trade-id cursors.

Kept apart from ``client.py`` (and free of httpx). The venue-neutral checks (product id, order id)
live in :mod:`trade_tracker.formats`.
"""

from __future__ import annotations

from trade_tracker.errors import InvalidArgument

__all__ = ["MAX_FILLS_LIMIT", "ORDER_STATUSES", "check_cursor"]

ORDER_STATUSES = frozenset({"open", "pending", "rejected", "done", "active", "received", "all"})
MAX_FILLS_LIMIT = 100


def check_cursor(name: str, value: int | str | None) -> str | None:
    """A ``before``/``after`` fills cursor must be a trade_id (ASCII digits); return it as text."""
    if value is None:
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise InvalidArgument(f"{name} must be a trade_id (a whole number), got {text[:40]!r}")
    return text
