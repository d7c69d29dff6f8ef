"""The SQLite trade store: schema, migrations, connections and transactions.

One file, ``$TRADE_TRACKER_HOME/trades.db``, that opens in Datasette as it is.
Money columns hold the exact decimal strings the API sent (TEXT, never REAL).

Connections use WAL (readers never block the one writer) and a busy timeout; every
write runs in ``BEGIN IMMEDIATE`` so two processes never deadlock on a read→write
upgrade. ``synchronous=NORMAL`` under WAL keeps every committed transaction across
an application crash (kill -9); after an OS crash or power loss the last commits
may roll back, which a sync simply fetches again (the cursor commits with the rows).

Migrations are plain functions registered in order with ``@migration`` and recorded
in ``_migrations`` (the llm pattern). Add a new one at the end; never edit an old one.

This module is the boundary where sqlite3 errors become ``StoreError``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from .errors import InsecurePermissions, StoreBusy, StoreError

__all__ = ["MIGRATIONS", "TradeStore", "migration", "utc_now"]

BUSY_TIMEOUT_MS = 15_000

MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    """Register a migration; they run once each, in the order they are defined."""
    MIGRATIONS.append(fn)
    return fn


def utc_now() -> str:
    """Now as fixed-width ISO UTC text (sorts as time)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@migration
def m001_fills(db: sqlite_utils.Database) -> None:
    """One row per fill, unique on (product_id, trade_id): trade_id is unique only per product."""
    db.execute(
        """
        CREATE TABLE fills (
            product_id       TEXT NOT NULL,
            trade_id         INTEGER NOT NULL,
            order_id         TEXT NOT NULL,
            side             TEXT NOT NULL,
            price            TEXT NOT NULL,
            size             TEXT NOT NULL,
            fee              TEXT NOT NULL,
            usd_volume       TEXT,
            liquidity        TEXT,
            settled          INTEGER NOT NULL DEFAULT 0,
            created_at       TEXT NOT NULL,
            profile_id       TEXT,
            user_id          TEXT,
            funding_currency TEXT,
            market_type      TEXT,
            label            TEXT NOT NULL,
            PRIMARY KEY (product_id, trade_id)
        )
        """
    )
    db.execute("CREATE INDEX fills_by_product_time ON fills (product_id, created_at)")
    db.execute("CREATE INDEX fills_by_time ON fills (created_at)")
    db.execute("CREATE INDEX fills_by_order ON fills (order_id)")


@migration
def m002_credentials(db: sqlite_utils.Database) -> None:
    """Encrypted API credentials by label. Only Fernet ciphertext of key, secret and passphrase."""
    db.execute(
        """
        CREATE TABLE credentials (
            label             TEXT PRIMARY KEY,
            exchange          TEXT NOT NULL DEFAULT 'coinbase-exchange',
            base_url          TEXT,
            key_fingerprint   TEXT NOT NULL,
            key_ct            TEXT NOT NULL,
            secret_ct         TEXT NOT NULL,
            passphrase_ct     TEXT NOT NULL,
            created_at        TEXT NOT NULL,
            last_verified_at  TEXT,
            verify_status     TEXT,
            permissions       TEXT
        )
        """
    )


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecurePermissions(
            f"{path} can be read by other users (mode {stat.filemode(mode)}); "
            f"fix it with: chmod 600 {path}"
        )


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
        self.db = sqlite_utils.Database(conn)
        self.migrate()

    @staticmethod
    def _prepare_file(path: Path, check_permissions: bool) -> None:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
        elif check_permissions:
            _check_private(path)

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
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.execute("ROLLBACK")
            raise self._translate(exc, doing) from exc

    @contextmanager
    def reading(self, doing: str = "reading") -> Iterator[sqlite3.Connection]:
        """Translate sqlite3 errors raised while reading."""
        try:
            yield self.conn
        except sqlite3.Error as exc:
            raise self._translate(exc, doing) from exc

    def migrate(self) -> list[str]:
        """Apply every migration not yet recorded; return the names applied."""
        applied: list[str] = []
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
