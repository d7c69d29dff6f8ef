"""The SQLite trade store: connections, transactions, migrating the schema, and the fill reads and writes.

One file, ``$TRADE_TRACKER_HOME/trades.db``, that opens in Datasette as it is.
Money columns hold the exact decimal strings the API sent (TEXT, never REAL).

Connections use WAL (readers never block the one writer) and a busy timeout; every
write runs in ``BEGIN IMMEDIATE`` so two processes never deadlock on a read→write
upgrade. ``synchronous=NORMAL`` under WAL keeps every committed transaction across
an application crash (kill -9); after an OS crash or power loss the last commits
may roll back, which a sync simply fetches again (the cursor commits with the rows).

The schema is the migrations in ``migrations.py``; :meth:`TradeStore.migrate` applies the
ones a database has not recorded yet.

Besides that, this module holds the store's queries (``query_fills`` with keyset
paging, ``count_fills``, ``fill_products``; their filters and cursors are built in
``store_queries.py``) and the two writes the fills sync needs:
``upsert_rows`` (insert new fills, update any that changed, count both) and
``commit_page`` (a page of fills and its ``sync_state`` cursor in one transaction).
All SQL takes values as parameters; only fixed column lists are formatted in.

This module is the boundary where sqlite3 errors become ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from .errors import InvalidArgument, StoreBusy, StoreError
from .migrations import MIGRATIONS, migration
from .private_files import prepare_store_file
from .store_queries import decode_cursor, encode_cursor, fill_filter_sql, time_bound

if TYPE_CHECKING:
    import sqlite_utils

__all__ = [
    "FILL_COLUMNS",
    "FILL_KEY",
    "MIGRATIONS",
    "FillRow",
    "PageCounts",
    "SyncState",
    "TradeStore",
    "UnsettledSummary",
    "decode_cursor",
    "encode_cursor",
    "migration",
    "time_bound",
    "upsert_rows",
    "utc_now",
]

BUSY_TIMEOUT_MS = 15_000


def utc_now() -> str:
    """Now as fixed-width ISO UTC text (sorts as time)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TradeStore:
    """The trade store on one SQLite file.

    Args:
        path: the database file (created 0600, with its directory 0700, if missing),
            or ``":memory:"`` for tests.
        check_permissions: refuse a file that group or others can read.
    """

    def __init__(self, path: Path | str, *, check_permissions: bool = True) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        try:
            if self.path is not None:
                self._prepare_file(self.path, check_permissions)
            conn = sqlite3.connect(
                str(self.path) if self.path else ":memory:",
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit; write() issues BEGIN IMMEDIATE itself
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.path is not None:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise self._translate(exc, "opening the trade store") from exc
        self.conn = conn
        self._db: sqlite_utils.Database | None = None
        try:
            self.migrate()
        except BaseException:
            conn.close()
            raise

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' view of the connection, imported on first use (migrations; Datasette-style
        introspection). Not at start: an editor launches the server often and it costs ~20 ms."""
        if self._db is None:
            import sqlite_utils

            # Leave the connection as we set it up: no recursive triggers, no plugins.
            self._db = sqlite_utils.Database(self.conn, recursive_triggers=False, execute_plugins=False)
        return self._db

    @staticmethod
    def _prepare_file(path: Path, check_permissions: bool) -> None:
        # Created 0600; refused when it (or its -wal/-shm/-journal) is a link: SQLite would follow it.
        prepare_store_file(path, check_permissions)

    def __repr__(self) -> str:
        return f"TradeStore({str(self.path) if self.path else ':memory:'!r})"

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> TradeStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _translate(exc: sqlite3.Error, doing: str) -> StoreError:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
            return StoreBusy(
                f"the trade store stayed locked by another process for {BUSY_TIMEOUT_MS // 1000} s "
                f"while {doing}; try again when the other sync has finished"
            )
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
            return StoreError(f"the trade store is not an SQLite database ({doing}); check TRADE_TRACKER_HOME")
        return StoreError(f"trade store error while {doing}: {type(exc).__name__}: {text}")

    @contextmanager
    def write(self, doing: str = "writing") -> Iterator[sqlite3.Connection]:
        """One write transaction, ``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._translate(exc, doing) from exc
        try:
            yield self.conn
        except sqlite3.Error as exc:
            self._rollback()
            raise self._translate(exc, doing) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self._translate(exc, doing) from exc

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    @contextmanager
    def reading(self, doing: str = "reading") -> Iterator[sqlite3.Connection]:
        """Translate sqlite3 errors raised while reading."""
        try:
            yield self.conn
        except sqlite3.Error as exc:
            raise self._translate(exc, doing) from exc

    def _pending_migrations(self) -> bool:
        """Whether any migration is unrecorded: a plain read, so opening an up-to-date store never
        waits behind another process's write (a sync in progress)."""
        try:
            with self.reading("checking the trade store's schema") as conn:
                done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        except StoreError:
            return True  # no _migrations table yet: a new store
        return any(fn.__name__ not in done for fn in MIGRATIONS)

    def migrate(self) -> list[str]:
        """Apply every migration not yet recorded; return the names applied."""
        applied: list[str] = []
        if not self._pending_migrations():
            return applied
        with self.write("migrating the trade store"):
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in self.conn.execute("SELECT name FROM _migrations")}
            for fn in MIGRATIONS:
                if fn.__name__ in done:
                    continue
                fn(self.db)
                self.conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (fn.__name__, utc_now())
                )
                applied.append(fn.__name__)
        return applied

    # -- fills: writes ---------------------------------------------------------------------

    def upsert_fills(self, rows: Sequence[FillRow]) -> PageCounts:
        """Store fills (tuples in ``FILL_COLUMNS`` order) in one transaction; see :func:`upsert_rows`."""
        with self.write("storing fills") as conn:
            return upsert_rows(conn, rows)

    def commit_page(
        self,
        label: str,
        product_id: str,
        rows: Sequence[FillRow],
        advance: Callable[[SyncState], SyncState | None],
    ) -> PageCounts:
        """Store one page of fills and move the sync cursors in the same transaction.

        ``advance`` receives the sync state as it stands *inside* the transaction (another
        process may have moved it since the page was requested) and returns the new state,
        or None to leave the cursors alone. The page's counts are added either way. Since
        rows and cursors commit together, a kill at any instant leaves both or neither.
        """
        now = utc_now()
        with self.write(f"storing fills of {product_id}") as conn:
            counts = upsert_rows(conn, rows)
            state = _read_state(conn, label, product_id)
            moved = advance(state) or state
            _save_state(
                conn,
                moved.model_copy(
                    update={
                        "inserted_total": state.inserted_total + counts.inserted,
                        "updated_total": state.updated_total + counts.updated,
                        "pages_total": state.pages_total + 1,
                        "last_page_at": now,
                    }
                ),
            )
        return counts

    def record_run(
        self, label: str, product_id: str, *, inserted: int, updated: int, pages: int, complete: bool
    ) -> SyncState:
        """Note the end of one product's sync run (its counts, and whether it reached the newest fill)."""
        now = utc_now()
        with self.write(f"recording the sync of {product_id}") as conn:
            state = _read_state(conn, label, product_id)
            update: dict[str, object] = {
                "last_run_at": now,
                "last_run_inserted": inserted,
                "last_run_updated": updated,
                "last_run_pages": pages,
                "last_run_complete": complete,
            }
            if complete:
                update["last_complete_at"] = now
            state = state.model_copy(update=update)
            _save_state(conn, state)
        return state

    # -- sync state and the sync's own reads -------------------------------------------------

    def get_sync_state(self, label: str, product_id: str) -> SyncState | None:
        """The sync state of one (label, product), or None if it was never synced."""
        with self.reading("reading the sync state") as conn:
            row = conn.execute(_STATE_SELECT + " WHERE label = ? AND product_id = ?", (label, product_id)).fetchone()
        return _state_from_row(row) if row else None

    def sync_states(self, label: str | None = None) -> list[SyncState]:
        """Every sync state (of one label, if given), by label and product."""
        sql, params = _STATE_SELECT, ()
        if label is not None:
            sql, params = sql + " WHERE label = ?", (label,)
        with self.reading("reading the sync state") as conn:
            rows = conn.execute(sql + " ORDER BY label, product_id", params).fetchall()
        return [_state_from_row(row) for row in rows]

    def unsettled_summary(self, label: str, product_id: str) -> UnsettledSummary | None:
        """What re-reading this (label, product)'s unsettled fills would cost; None if there are none.

        Served by the partial index ``fills_unsettled``, which holds unsettled fills only.
        """
        with self.reading("looking for unsettled fills") as conn:
            found = conn.execute(
                "SELECT trade_id, order_id FROM fills WHERE product_id = ? AND label = ? AND settled = 0",
                (product_id, label),
            ).fetchall()
            if not found:
                return None
            oldest = min(tid for tid, _ in found)
            (newer,) = conn.execute(
                "SELECT count(*) FROM fills WHERE product_id = ? AND label = ? AND trade_id >= ?",
                (product_id, label, oldest),
            ).fetchone()
        return UnsettledSummary(oldest, sorted({order for _, order in found}), newer)

    # -- fills: queries ----------------------------------------------------------------------

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

    def count_fills(
        self,
        product_id: str | None = None,
        side: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        label: str | None = None,
    ) -> int:
        """How many stored fills match the filters (the same filters as :meth:`query_fills`)."""
        where, params = fill_filter_sql(product_id, side, since, until, label)
        with self.reading("counting fills") as conn:
            (count,) = conn.execute(f"SELECT count(*) FROM fills{where}", params).fetchone()
        return int(count)

    def query_fills(
        self,
        product_id: str | None = None,
        side: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        label: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of stored fills, newest first, and the cursor of the next page (None at the end).

        Order: ``created_at``, then ``product_id``, then ``trade_id``, then ``label`` (two labels
        on the two sides of one trade), all descending; the
        cursor is an opaque string holding that key of the page's last row (keyset paging:
        page N costs the same as page 1, and rows added meanwhile do not shift pages).
        ``since`` is inclusive; ``until`` is inclusive, and a bare date means that whole day.
        Money fields are the exact decimal strings the API sent.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUERY_LIMIT:
            raise InvalidArgument(f"limit must be a whole number from 1 to {MAX_QUERY_LIMIT}")
        where, params = fill_filter_sql(product_id, side, since, until, label)
        if cursor is not None:
            created_at, cursor_product, trade_id, cursor_label = decode_cursor(cursor)
            if product_id is not None:  # the product is fixed: keep the key to what the index holds
                key = "(created_at, trade_id, label) < (?, ?, ?)"
                key_params = [created_at, trade_id, cursor_label]
            else:
                key = "(created_at, product_id, trade_id, label) < (?, ?, ?, ?)"
                key_params = [created_at, cursor_product, trade_id, cursor_label]
            where = f"{where} AND {key}" if where else f" WHERE {key}"
            params = [*params, *key_params]
        sql = (
            f"SELECT {', '.join(FILL_COLUMNS)} FROM fills{where}"
            " ORDER BY created_at DESC, product_id DESC, trade_id DESC, label DESC LIMIT ?"
        )
        with self.reading("querying fills") as conn:
            found = conn.execute(sql, [*params, limit + 1]).fetchall()
        rows = [_fill_dict(row) for row in found[:limit]]
        next_cursor = None
        if len(found) > limit:
            last = rows[-1]
            next_cursor = encode_cursor(last["created_at"], last["product_id"], last["trade_id"], last["label"])
        return rows, next_cursor


# ---- rows and sync state ------------------------------------------------------------------------

#: The columns of ``fills`` in the order a :data:`FillRow` holds them.
FILL_COLUMNS: tuple[str, ...] = (
    "product_id", "trade_id", "order_id", "side", "price", "size", "fee", "usd_volume", "liquidity",
    "settled", "created_at", "profile_id", "user_id", "funding_currency", "market_type", "label",
)
#: One fill as stored: a tuple in ``FILL_COLUMNS`` order; money as the API's exact strings,
#: ``settled`` as 0/1, ``created_at`` as fixed-width ISO UTC text.
FillRow = tuple[Any, ...]
#: The key of ``fills`` (migration m006): a trade_id names the market trade, and the two labels on
#: its two sides (maker and taker) each keep their own row.
FILL_KEY: tuple[str, ...] = ("product_id", "label", "trade_id")
_KEY_AT = tuple(FILL_COLUMNS.index(c) for c in FILL_KEY)
MAX_QUERY_LIMIT = 1000
_IN_CHUNK = 500

_UPSERT_SQL = (
    f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES ({', '.join('?' * len(FILL_COLUMNS))}) "
    f"ON CONFLICT ({', '.join(FILL_KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in FILL_COLUMNS if c not in FILL_KEY)
)
_EXISTING_SQL = f"SELECT {', '.join(FILL_COLUMNS)} FROM fills WHERE product_id = ? AND label = ? AND trade_id IN "


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


class SyncState(BaseModel):
    """One row of ``sync_state``: the fills-sync cursors and counts of one (label, product).

    Invariants (kept by ``sync.py``, each change committed with the fills it covers):
    every fill with ``trade_id <= newest_synced`` is stored; while a backward walk runs,
    every fill in ``[backfill_cursor, backfill_top]`` is stored.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    product_id: str
    newest_synced: int | None = None
    oldest_reached: int | None = None
    backfill_top: int | None = None
    backfill_cursor: int | None = None
    full_history_complete: bool = False
    inserted_total: int = 0
    updated_total: int = 0
    pages_total: int = 0
    last_page_at: str | None = None
    last_run_at: str | None = None
    last_run_inserted: int | None = None
    last_run_updated: int | None = None
    last_run_pages: int | None = None
    last_run_complete: bool | None = None
    last_complete_at: str | None = None


_STATE_COLUMNS: tuple[str, ...] = tuple(SyncState.model_fields)
_STATE_SELECT = f"SELECT {', '.join(_STATE_COLUMNS)} FROM sync_state"
_SAVE_STATE_SQL = (
    f"INSERT INTO sync_state ({', '.join(_STATE_COLUMNS)}) VALUES ({', '.join('?' * len(_STATE_COLUMNS))}) "
    "ON CONFLICT (label, product_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[2:])
)


def upsert_rows(conn: sqlite3.Connection, rows: Sequence[FillRow]) -> PageCounts:
    """Insert new fills, update those where any stored field changed, and leave the rest.

    Runs inside the caller's write transaction. One indexed pre-select of the batch's keys
    (``FILL_KEY``) reads the stored rows whole, and one tuple compare per row (in C) classifies
    it, so the counts are exact and unchanged rows cost no write at all; the one
    ``executemany`` upsert then writes only new and changed rows. Rows with the same key
    collapse into one (the last wins).
    """
    unique: dict[tuple[Any, ...], FillRow] = {}
    p, lab, t = _KEY_AT
    for row in rows:
        unique[(row[p], row[lab], row[t])] = row
    if not unique:
        return PageCounts(0, 0, 0)
    by_book: dict[tuple[str, str], list[int]] = {}
    for product_id, label, trade_id in unique:
        by_book.setdefault((product_id, label), []).append(trade_id)
    existing: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for (product_id, label), trade_ids in by_book.items():
        for start in range(0, len(trade_ids), _IN_CHUNK):
            chunk = trade_ids[start : start + _IN_CHUNK]
            sql = f"{_EXISTING_SQL}({', '.join('?' * len(chunk))})"
            for old in conn.execute(sql, (product_id, label, *chunk)):
                existing[(old[p], old[lab], old[t])] = old
    changed: list[FillRow] = []
    inserted = updated = 0
    for key, row in unique.items():
        old = existing.get(key)
        if old is None:
            inserted += 1
        elif old != tuple(row):
            updated += 1
        else:
            continue
        changed.append(row)
    if changed:
        conn.executemany(_UPSERT_SQL, changed)
    return PageCounts(inserted, updated, len(unique) - inserted - updated)


def _state_from_row(row: Sequence[Any]) -> SyncState:
    return SyncState.model_validate(dict(zip(_STATE_COLUMNS, row, strict=True)))


def _read_state(conn: sqlite3.Connection, label: str, product_id: str) -> SyncState:
    row = conn.execute(_STATE_SELECT + " WHERE label = ? AND product_id = ?", (label, product_id)).fetchone()
    return _state_from_row(row) if row else SyncState(label=label, product_id=product_id)


def _save_state(conn: sqlite3.Connection, state: SyncState) -> None:
    conn.execute(_SAVE_STATE_SQL, tuple(getattr(state, c) for c in _STATE_COLUMNS))


def _fill_dict(row: Sequence[Any]) -> dict[str, Any]:
    fill = dict(zip(FILL_COLUMNS, row, strict=True))
    fill["settled"] = bool(fill["settled"])
    return fill
