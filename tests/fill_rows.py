"""Fill rows for the analytics tests, inserted straight into the store's fills table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from trade_tracker.store.connection import TradeStore

_IDS = itertools.count(1)
_INSERT = (
    "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, created_at, label) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)



def at(text: str) -> str:
    """'2024-01-02 10:00' or '2024-01-02 10:00:05' → fixed-width ISO UTC, as the store holds created_at."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fill(product: str, side: str, price: str, size: str, when: str, fee: str = "0", label: str = "main") -> tuple:
    return (product, next(_IDS), "order", side, price, size, fee, at(when), label)


def insert(store: TradeStore, *fills: tuple) -> None:
    with store.write() as conn:
        conn.executemany(_INSERT, fills)
