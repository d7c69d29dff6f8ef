"""The order-status words of ``list_orders``, once: both venues' words as one ``Literal`` (the tool's schema
and the CLI's choices), and each venue's own share of them (``VenueInfo.order_statuses``).

Why a module of its own: the CLI's ``--status`` choices are built at import time and ``--help`` must stay
light, so this imports nothing but ``typing``.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ADVANCED_ORDER_STATUSES", "EXCHANGE_ORDER_STATUSES", "ORDER_STATUS_WORDS", "OrderStatusWord"]

#: Every word: Coinbase Exchange's seven first, then Advanced Trade's own ``order_status`` values (lower case).
OrderStatusWord = Literal[
    "open",
    "pending",
    "rejected",
    "done",
    "active",
    "received",
    "all",
    "queued",
    "cancel_queued",
    "filled",
    "cancelled",
    "expired",
    "failed",
    "unknown_order_status",
]
ORDER_STATUS_WORDS: tuple[str, ...] = get_args(OrderStatusWord)
#: Coinbase Exchange's statuses as it names them (``done`` and ``all`` included).
EXCHANGE_ORDER_STATUSES: tuple[str, ...] = ORDER_STATUS_WORDS[:7]
#: Advanced Trade's ``order_status`` values, plus ``done`` (every finished order) and ``all`` as on Exchange.
ADVANCED_ORDER_STATUSES: tuple[str, ...] = ("open", "pending", *ORDER_STATUS_WORDS[7:], "done", "all")
