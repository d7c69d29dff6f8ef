"""Fill rows for the tests, inserted straight into the store's fills table: short analytics rows (:func:`fill`)
and whole store rows, every column (:func:`row`), Exchange's: ``fill_key`` is ``product_id:trade_id``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from trade_tracker.store.connection import TradeStore

_IDS = itertools.count(1)
_INSERT = (
    "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, created_at, label, fill_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?1 || ':' || ?2)"
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


def row(
    trade_id: int,
    product_id: str = "BTC-USD",
    *,
    created_at: str = "2024-03-01T12:00:00.000000Z",
    side: str = "buy",
    settled: int = 1,
    fee: str = "0.2433492642000000",
    label: str = "main",
    order_id: str = "41473628-db2c-464e-b9f4-82df7e4fb4f4",
    size: str = "0.00601800",
) -> tuple[Any, ...]:
    return (
        product_id,
        trade_id,
        order_id,
        side,
        "8087.38000000",
        size,
        fee,
        "48.6698528400000000",
        "T",
        settled,
        created_at,
        "8058d771-2d88-4f0f-ab6e-299c153d4308",
        "5cf6e115aaf44503db300f1e",
        "USD",
        "spot",
        label,
        "exchange",
        f"{product_id}:{trade_id}",
        *(None,) * 8,  # the Advanced Trade fields
    )
