"""Checks on request parameters, made before any request goes out.

Kept apart from ``client.py`` (and free of httpx) so that modules which only need to
validate a product id, such as ``sync.py`` and ``app.py``, load without the HTTP stack.
"""

from __future__ import annotations

import re

from ..errors import InvalidArgument

__all__ = [
    "MAX_FILLS_LIMIT",
    "ORDER_ID_PATTERN",
    "ORDER_STATUSES",
    "PRODUCT_ID_PATTERN",
    "check_cursor",
    "check_order_id",
    "check_product_id",
]

ORDER_STATUSES = frozenset({"open", "pending", "rejected", "done", "active", "received", "all"})
MAX_FILLS_LIMIT = 100
#: What a product id and an order id look like (the MCP tools' input schemas use the same text).
PRODUCT_ID_PATTERN = r"[A-Za-z0-9]{1,20}-[A-Za-z0-9]{1,20}"
ORDER_ID_PATTERN = r"[0-9A-Fa-f-]{32,36}"
_PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)
_ORDER_ID = re.compile(ORDER_ID_PATTERN)


def check_product_id(product_id: str) -> str:
    """Validate a ``BASE-QUOTE`` product id before it goes into a URL; return it upper-cased."""
    if not isinstance(product_id, str) or not _PRODUCT_ID.fullmatch(product_id):
        raise InvalidArgument(
            f"product_id must look like BASE-QUOTE, e.g. BTC-USD (got {str(product_id)[:40]!r})"
        )
    return product_id.upper()


def check_order_id(order_id: str) -> str:
    """Validate an order UUID before it goes into a query string."""
    if not isinstance(order_id, str) or not _ORDER_ID.fullmatch(order_id):
        raise InvalidArgument(f"order_id must be a UUID (got {str(order_id)[:40]!r})")
    return order_id


def check_cursor(name: str, value: int | str | None) -> str | None:
    """A ``before``/``after`` fills cursor must be a trade_id (ASCII digits); return it as text."""
    if value is None:
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise InvalidArgument(f"{name} must be a trade_id (a whole number), got {text[:40]!r}")
    return text
