"""The cache of USD prices: one-minute candle closes of ``ASSET-USD`` products, fetched once, kept for good.

A crypto-for-crypto fill (ETH-BTC) is valued in USD at the close of its quote asset's USD product
(BTC-USD) in the fill's minute (``analytics.lots``). Those closes come from the venue's public candles
and are stored here (table ``usd_prices``, store migration ``m013_usd_prices``), so a tax report runs
offline after the first time. ``close`` is the exact decimal text the venue sent; NULL records that the
venue had no candle for that minute (asked, nothing traded), so it is not asked again.

``minute`` is fixed-width UTC text ``YYYY-MM-DDTHH:MM:00Z`` (:func:`minute_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from sqlite3 import Connection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["USD_PRICES_SCHEMA", "m013_usd_prices", "minute_of", "read_usd_prices", "write_usd_prices"]

#: The table, as migration ``m013_usd_prices`` creates it.
USD_PRICES_SCHEMA = """
    CREATE TABLE usd_prices (
        product_id  TEXT NOT NULL,
        minute      TEXT NOT NULL,
        close       TEXT,
        venue       TEXT NOT NULL,
        fetched_at  TEXT NOT NULL,
        PRIMARY KEY (product_id, minute)
    )
"""


def m013_usd_prices(db: sqlite_utils.Database) -> None:
    """Migration ``m013_usd_prices``: create the table (registered in ``store.migrations``, in order)."""
    db.execute(USD_PRICES_SCHEMA)  # pyright: ignore[reportUnknownMemberType]


def minute_of(created_at: str) -> str:
    """The minute of a stored ``created_at`` (``2025-03-01T12:34:56.789000Z`` → ``2025-03-01T12:34:00Z``)."""
    return created_at[:16] + ":00Z"


def read_usd_prices(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """The stored closes of the wanted (product_id, minute) keys; a key never fetched is absent,
    one fetched without a candle maps to None."""
    wanted = set(keys)
    if not wanted:
        return {}
    products = sorted({product for product, _ in wanted})
    found: dict[tuple[str, str], str | None] = {}
    for product in products:
        minutes = sorted(minute for p, minute in wanted if p == product)
        rows = conn.execute(
            "SELECT minute, close FROM usd_prices WHERE product_id = ? AND minute >= ? AND minute <= ?",
            (product, minutes[0], minutes[-1]),
        )
        for minute, close in rows:
            if (product, minute) in wanted:
                found[(product, minute)] = close
    return found


def write_usd_prices(conn: Connection, rows: Iterable[tuple[str, str, str | None]], venue: str, fetched_at: str) -> int:
    """Store (product_id, minute, close or None) rows; an existing key is replaced. Returns how many."""
    batch = [(product, minute, close, venue, fetched_at) for product, minute, close in rows]
    conn.executemany(
        "INSERT OR REPLACE INTO usd_prices (product_id, minute, close, venue, fetched_at) VALUES (?, ?, ?, ?, ?)",
        batch,
    )
    return len(batch)
