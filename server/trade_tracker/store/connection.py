"""The SQLite trade store: the connection, its transactions, and migrating the schema.

One file, ``$TRADE_TRACKER_HOME/trades.db``, that opens in Datasette as it is.
Money columns hold the exact decimal strings the API sent (TEXT, never REAL).

Connections use WAL (readers never block the one writer) and a busy timeout; every
write runs in ``BEGIN IMMEDIATE`` so two processes never deadlock on a read→write
upgrade. ``synchronous=NORMAL`` under WAL keeps every committed transaction across
an application crash (kill -9); after an OS crash or power loss the last commits
may roll back, which a sync simply fetches again (the cursor commits with the rows).

The schema is the migrations in ``migrations.py``; :meth:`TradeStore.migrate` applies the
ones a database has not recorded yet.

The fill reads and writes are :class:`~trade_tracker.store.fills.FillQueries` and the sync state's
:class:`~trade_tracker.store.sync_state.SyncStateQueries`; ``TradeStore`` is the three together.

This module is the boundary where sqlite3 errors become ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreBusy, StoreError
from ..formats import utc_now
from ..private_files import prepare_store_file
from .fills import FillQueries
from .migrations import MIGRATIONS
from .sync_state import SyncStateQueries

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["BUSY_TIMEOUT_MS", "TradeStore"]

BUSY_TIMEOUT_MS = 15_000


class TradeStore(FillQueries, SyncStateQueries):
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
    def write(self, doing: str = "writing") -> Generator[sqlite3.Connection, None, None]:
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
    def reading(self, doing: str = "reading") -> Generator[sqlite3.Connection, None, None]:
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
                self.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (fn.__name__, utc_now()))
                applied.append(fn.__name__)
        return applied
