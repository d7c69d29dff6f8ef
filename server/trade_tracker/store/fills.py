"""The fills table: its row, the upsert that counts what changed, and the store's fill queries.

``upsert_rows`` inserts new fills, updates any that changed and counts both; ``FillQueries`` (a part of
:class:`~trade_tracker.store.connection.TradeStore`) answers ``query_fills`` with keyset paging,
``count_fills``, ``fill_products`` and the sync's ``unsettled_summary``. The filters and cursors are
built in ``filters.py``. All SQL takes values as parameters; only fixed column lists are formatted in.
"""

# pyright: reportUnnecessaryIsInstance=false
# (``query_fills`` checks ``limit`` at run time too: tools and the CLI pass values in from outside)

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..errors import StoreError
from ..formats import check_limit
from .filters import NO_FILTERS, Filters, decode_cursor, encode_cursor
from .transactions import Transactions

__all__ = [
    "FILL_COLUMNS",
    "FILL_KEY",
    "MAX_QUERY_LIMIT",
    "FillQueries",
    "FillRow",
    "PageCounts",
    "UnsettledSummary",
    "upsert_rows",
]


#: The columns of ``fills`` in the order a :data:`FillRow` holds them.
FILL_COLUMNS: tuple[str, ...] = (
    "product_id",
    "trade_id",
    "order_id",
    "side",
    "price",
    "size",
    "fee",
    "usd_volume",
    "liquidity",
    "settled",
    "created_at",
    "profile_id",
    "user_id",
    "funding_currency",
    "market_type",
    "label",
    "venue",
    "fill_key",
    "entry_id",
    "trade_type",
    "sequence_timestamp",
    "trade_time",
    "size_in_quote",
    "commission",
    "liquidity_indicator",
    "retail_portfolio_id",
)
#: The key of ``fills`` (migration m009): ``fill_key`` is unique within a (label, venue): Exchange's
#: ``product_id:trade_id`` (a trade_id names the market trade, and the labels on its two sides each keep
#: their own row), Advanced Trade's ``entry_id`` (a reversal shares its fill's trade_id).
FILL_KEY: tuple[str, ...] = ("label", "venue", "fill_key")
#: Where the key's columns sit in a row (any tuple in ``FILL_COLUMNS`` order; a :class:`FillRow` is one).
_KEY_AT = tuple(FILL_COLUMNS.index(c) for c in FILL_KEY)
_PRODUCT_AT, _TRADE_AT, _FILL_KEY_AT = (FILL_COLUMNS.index(c) for c in ("product_id", "trade_id", "fill_key"))
MAX_QUERY_LIMIT = 1000
_IN_CHUNK = 500

_INSERT_SQL = f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES ({', '.join('?' * len(FILL_COLUMNS))})"
#: Exchange rows: a later read may change a stored fill (``settled``, ``fee``), and every stored field
#: takes the newest read, as before the second venue.
_UPSERT_SQL = f"{_INSERT_SQL} ON CONFLICT ({', '.join(FILL_KEY)}) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in FILL_COLUMNS if c not in FILL_KEY
)
#: Venues whose stored fills never change (Advanced Trade: ``mutable_fill_columns=()``; a correction is
#: an entry of its own): insert or ignore.
_INSERT_NEW_SQL = f"{_INSERT_SQL} ON CONFLICT ({', '.join(FILL_KEY)}) DO NOTHING"
#: The venues whose stored fills a later read updates (the rest are insert-or-ignore).
_UPDATED_VENUES = frozenset({"exchange"})
_EXISTING_SQL = f"SELECT {', '.join(FILL_COLUMNS)} FROM fills WHERE label = ? AND venue = ? AND fill_key IN "


class FillRow(NamedTuple):
    """One fill as stored, in ``FILL_COLUMNS`` order: still a tuple, so ``executemany`` takes it as it is.

    Money as the API's exact strings, ``settled`` as 0/1, ``created_at`` as fixed-width ISO UTC text.
    """

    product_id: str
    trade_id: int | str  #: Exchange's integer, Advanced Trade's string id, stored exactly
    order_id: str
    side: str
    price: str
    size: str
    fee: str
    usd_volume: str | None
    liquidity: str | None
    settled: int
    created_at: str
    profile_id: str | None
    user_id: str | None
    funding_currency: str | None
    market_type: str | None
    label: str
    venue: str = "exchange"
    fill_key: str = ""  #: empty: the store fills in ``product_id:trade_id`` (Exchange rows only)
    entry_id: str | None = None
    trade_type: str | None = None
    sequence_timestamp: str | None = None
    trade_time: str | None = None
    size_in_quote: int | None = None
    commission: str | None = None
    liquidity_indicator: str | None = None
    retail_portfolio_id: str | None = None


class PageCounts(NamedTuple):
    """What storing one batch of fills did."""

    inserted: int
    updated: int
    unchanged: int


class UnsettledSummary(NamedTuple):
    """The unsettled fills of one (label, product): where they start and what re-reading costs."""

    oldest_trade_id: int
    order_ids: list[str]
    fills_from_oldest: int


class FillQueries(Transactions):
    """The fill reads and the plain fill write of :class:`TradeStore` (a part of it, not used alone)."""

    def upsert_fills(self, rows: Sequence[FillRow]) -> PageCounts:
        """Store fills (tuples in ``FILL_COLUMNS`` order) in one transaction; see :func:`upsert_rows`."""
        with self.write("storing fills") as conn:
            return upsert_rows(conn, rows)

    def unsettled_summary(self, label: str, product_id: str) -> UnsettledSummary | None:
        """What re-reading this (label, product)'s unsettled Exchange fills would cost; None if there are none.

        Served by the partial index ``fills_unsettled``, which holds unsettled fills only. Exchange's only:
        its trade_ids are integers ordered in time, and no other venue stores a fill as unsettled.
        """
        with self.reading("looking for unsettled fills") as conn:
            found = conn.execute(
                "SELECT trade_id, order_id FROM fills WHERE product_id = ? AND label = ? AND settled = 0"
                " AND venue = 'exchange'",
                (product_id, label),
            ).fetchall()
            if not found:
                return None
            oldest = min(tid for tid, _ in found)
            (newer,) = conn.execute(
                "SELECT count(*) FROM fills WHERE product_id = ? AND label = ? AND trade_id >= ?"
                " AND venue = 'exchange'",
                (product_id, label, oldest),
            ).fetchone()
        return UnsettledSummary(oldest, sorted({order for _, order in found}), newer)

    def fill_products(self, label: str | None = None) -> list[str]:
        """The products that have fills in the store (of one label, if given), sorted.

        A skip-scan over the primary key: one index seek per product, not a table scan.
        """
        sql = (
            "WITH RECURSIVE p(id) AS ("
            " SELECT min(product_id) FROM fills"
            " UNION ALL SELECT (SELECT min(product_id) FROM fills WHERE product_id > p.id) FROM p"
            " WHERE p.id IS NOT NULL"
            ") SELECT id FROM p WHERE id IS NOT NULL"
        )
        params: tuple[str, ...] = ()
        if label is not None:
            sql += " AND EXISTS (SELECT 1 FROM fills WHERE product_id = p.id AND label = ?)"
            params = (label,)
        with self.reading("listing the stored products") as conn:
            return [row[0] for row in conn.execute(sql, params)]

    def fill_venues(self, filters: Filters = NO_FILTERS) -> dict[str, list[str]]:
        """The venues of the stored fills per product (the same filters as :meth:`query_fills`), sorted:
        a summary entry names where its fills come from."""
        where, params = filters.where()
        sql = f"SELECT DISTINCT product_id, venue FROM fills{where} ORDER BY product_id, venue"
        found: dict[str, list[str]] = {}
        with self.reading("listing the venues of the stored fills") as conn:
            for product_id, venue in conn.execute(sql, params):
                found.setdefault(str(product_id), []).append(str(venue))
        return found

    def count_fills(self, filters: Filters = NO_FILTERS) -> int:
        """How many stored fills match the filters (the same filters as :meth:`query_fills`)."""
        where, params = filters.where()
        with self.reading("counting fills") as conn:
            (count,) = conn.execute(f"SELECT count(*) FROM fills{where}", params).fetchone()
        return int(count)

    def query_fills(
        self, filters: Filters = NO_FILTERS, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of stored fills, newest first, and the cursor of the next page (None at the end).

        Order: ``created_at``, then ``product_id``, then ``trade_id``, then ``label`` (two labels
        on the two sides of one trade), then ``fill_key`` (an Advanced Trade reversal shares its fill's
        trade_id), all descending; the
        cursor is an opaque string holding that key of the page's last row (keyset paging:
        page N costs the same as page 1, and rows added meanwhile do not shift pages).
        ``filters`` (built by the face) says which fills; see :class:`~trade_tracker.store.filters.Filters`.
        Money fields are the exact decimal strings the API sent.
        """
        check_limit(limit, MAX_QUERY_LIMIT, "limit")
        where, params = filters.where()
        if cursor is not None:
            created_at, cursor_product, trade_id, cursor_label, fill_key = decode_cursor(cursor)
            if filters.product_id is not None:  # the product is fixed: keep the key to what the index holds
                key = "(created_at, trade_id, label, fill_key) < (?, ?, ?, ?)"
                key_params = [created_at, trade_id, cursor_label, fill_key]
            else:
                key = "(created_at, product_id, trade_id, label, fill_key) < (?, ?, ?, ?, ?)"
                key_params = [created_at, cursor_product, trade_id, cursor_label, fill_key]
            where = f"{where} AND {key}" if where else f" WHERE {key}"
            params = [*params, *key_params]
        sql = (
            f"SELECT {', '.join(FILL_COLUMNS)} FROM fills{where}"
            " ORDER BY created_at DESC, product_id DESC, trade_id DESC, label DESC, fill_key DESC LIMIT ?"
        )
        with self.reading("querying fills") as conn:
            found = conn.execute(sql, [*params, limit + 1]).fetchall()
        rows = [_fill_dict(row) for row in found[:limit]]
        next_cursor = None
        if len(found) > limit:
            last = rows[-1]
            next_cursor = encode_cursor(
                last["created_at"], last["product_id"], last["trade_id"], last["label"], last["fill_key"]
            )
        return rows, next_cursor


def upsert_rows(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> PageCounts:
    """Insert new fills, update those where any stored field changed, and leave the rest.

    Runs inside the caller's write transaction. One indexed pre-select of the batch's keys
    (``FILL_KEY``) reads the stored rows whole, and one tuple compare per row (in C) classifies
    it, so the counts are exact and unchanged rows cost no write at all; the one
    ``executemany`` upsert then writes only new and changed rows. Rows with the same key
    collapse into one (the last wins). A row may stop after ``label`` (the fields before the
    second venue): the rest take :class:`FillRow`'s defaults. Only Exchange rows are updated;
    another venue's stored fill never changes (insert or ignore, counted unchanged).
    """
    unique: dict[tuple[Any, ...], FillRow] = {}
    lab, ven, key = _KEY_AT  # label, venue, fill_key
    for given in rows:
        row = _complete(given)
        unique[(row[lab], row[ven], row[key])] = row
    if not unique:
        return PageCounts(0, 0, 0)
    by_book: dict[tuple[str, str], list[str]] = {}
    for label, venue, fill_key in unique:
        by_book.setdefault((label, venue), []).append(fill_key)
    existing: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for (label, venue), fill_keys in by_book.items():
        for start in range(0, len(fill_keys), _IN_CHUNK):
            chunk = fill_keys[start : start + _IN_CHUNK]
            sql = f"{_EXISTING_SQL}({', '.join('?' * len(chunk))})"
            for old in conn.execute(sql, (label, venue, *chunk)):
                existing[(old[lab], old[ven], old[key])] = old
    updates: list[FillRow] = []
    inserts: list[FillRow] = []
    inserted = updated = 0
    for k, row in unique.items():
        old = existing.get(k)
        if old is None:
            inserted += 1
            inserts.append(row)
        elif old != tuple(row) and row[ven] in _UPDATED_VENUES:
            updated += 1
            updates.append(row)
    if updates:
        conn.executemany(_UPSERT_SQL, [*inserts, *updates])
    elif inserts:
        conn.executemany(_INSERT_NEW_SQL, inserts)
    return PageCounts(inserted, updated, len(unique) - inserted - updated)


def _complete(row: Sequence[Any]) -> FillRow:
    """``row`` as a whole :class:`FillRow`: missing trailing fields defaulted, an Exchange key filled in."""
    if not isinstance(row, FillRow):
        row = FillRow(*row)
    if not row[_FILL_KEY_AT]:
        if row.venue != "exchange":
            raise StoreError(f"a {row.venue} fill of {row.product_id} came without its fill_key; nothing was stored")
        row = row._replace(fill_key=f"{row[_PRODUCT_AT]}:{row[_TRADE_AT]}")
    return row


def _fill_dict(row: Sequence[Any]) -> dict[str, Any]:
    fill = dict(zip(FILL_COLUMNS, row, strict=True))
    fill["settled"] = bool(fill["settled"])
    return fill
