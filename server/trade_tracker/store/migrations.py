"""The trade store's schema, as migrations: plain functions registered in order with ``@migration``.

The llm pattern: ``TradeStore.migrate`` applies each one not yet recorded in ``_migrations``, by
name, in the order defined here. Users' databases record those names, so add a new migration at
the end and never rename or edit an old one.
"""

# pyright: reportUnknownMemberType=false
# (sqlite-utils' ``Database.execute`` types its parameters as a bare ``Iterable``; the migrations pass none)

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import StoreError
from .rebuild import rebuild_table
from .usd_prices import m013_usd_prices

if TYPE_CHECKING:
    import sqlite_utils  # only for annotations: the store imports it on first use

__all__ = [
    "MIGRATIONS",
    "m001_fills",
    "m002_credentials",
    "m003_sync_state",
    "m004_fill_query_indexes",
    "m005_analytics_cache",
    "m006_fills_key_with_label",
    "m007_discovery_state",
    "m008_sync_runs",
    "m009_fills_venue",
    "m010_sync_state_cursor",
    "m011_credentials_venue",
    "m012_analytics_fill_key",
    "migration",
]

MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    """Register a migration; they run once each, in the order they are defined."""
    MIGRATIONS.append(fn)
    return fn


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


#: The credentials table's first six columns, the same in m002 and in m011's rebuild (this exact text: a
#: released migration's SQL must not change, tests/store/test_migrations.py pins it).
_CREDENTIAL_KEY_COLUMNS = """\
            label             TEXT PRIMARY KEY,
            exchange          TEXT NOT NULL DEFAULT 'coinbase-exchange',
            base_url          TEXT,
            key_fingerprint   TEXT NOT NULL,
            key_ct            TEXT NOT NULL,
            secret_ct         TEXT NOT NULL,
"""


@migration
def m002_credentials(db: sqlite_utils.Database) -> None:
    """Encrypted API credentials by label. Only Fernet ciphertext of key, secret and passphrase."""
    db.execute(
        f"""
        CREATE TABLE credentials (
{_CREDENTIAL_KEY_COLUMNS}            passphrase_ct     TEXT NOT NULL,
            created_at        TEXT NOT NULL,
            last_verified_at  TEXT,
            verify_status     TEXT,
            permissions       TEXT
        )
        """
    )


#: The sync state's counter columns, the same in m003 and in m010's rebuild (this exact text: a migration's
#: SQL must not change, tests/store/test_migrations.py pins it).
_SYNC_COUNTERS = """\
            full_history_complete INTEGER NOT NULL DEFAULT 0,
            inserted_total        INTEGER NOT NULL DEFAULT 0,
            updated_total         INTEGER NOT NULL DEFAULT 0,
            pages_total           INTEGER NOT NULL DEFAULT 0,
            last_page_at          TEXT,
            last_run_at           TEXT,
            last_run_inserted     INTEGER,
            last_run_updated      INTEGER,
            last_run_pages        INTEGER,
            last_run_complete     INTEGER,
            last_complete_at      TEXT,
"""


@migration
def m003_sync_state(db: sqlite_utils.Database) -> None:
    """Fills-sync progress per (credential label, product); see ``sync.py`` for the invariants.

    ``newest_synced``: every fill with a trade_id at or below it is stored (NULL until the
    first backward walk has reached the oldest fill). ``backfill_top``/``backfill_cursor``:
    a backward walk in progress has stored every fill in [cursor, top]; NULL when none is.
    """
    db.execute(
        f"""
        CREATE TABLE sync_state (
            label                 TEXT NOT NULL,
            product_id            TEXT NOT NULL,
            newest_synced         INTEGER,
            oldest_reached        INTEGER,
            backfill_top          INTEGER,
            backfill_cursor       INTEGER,
{_SYNC_COUNTERS}            PRIMARY KEY (label, product_id)
        )
        """
    )


@migration
def m004_fill_query_indexes(db: sqlite_utils.Database) -> None:
    """Indexes that match the store's keyset order exactly, plus a small one for unsettled fills.

    ``query_fills`` orders by (created_at, product_id, trade_id) descending; m001's
    indexes end at created_at, which left SQLite a sort for the tie-breakers. The partial
    index holds only unsettled fills (few), so a sync finds the oldest one without a scan.
    """
    db.execute("DROP INDEX IF EXISTS fills_by_product_time")
    db.execute("DROP INDEX IF EXISTS fills_by_time")
    db.execute("CREATE INDEX fills_by_product_time_id ON fills (product_id, created_at, trade_id)")
    db.execute("CREATE INDEX fills_by_time_key ON fills (created_at, product_id, trade_id)")
    db.execute("CREATE INDEX fills_unsettled ON fills (product_id, label, trade_id) WHERE settled = 0")


@migration
def m005_analytics_cache(db: sqlite_utils.Database) -> None:
    """Analytics-owned derived data (see ``analytics.py``): disposable, rebuilt from ``fills`` on demand.

    Triggers on ``fills`` record, per (label, product), the oldest ``created_at`` whose fill was
    inserted, deleted or changed in a way analytics sees (``settled`` alone does not count), so
    the cache is brought up to date before any read and never serves stale figures.
    ``analytics_book``: open lots at the last fill and at a checkpoint; ``analytics_day``: exact
    per-UTC-day sums as decimal text; ``analytics_sell``: each sell's matched cost and PnL.
    """
    db.execute(
        "CREATE TABLE analytics_dirty (label TEXT NOT NULL, product_id TEXT NOT NULL, from_at TEXT NOT NULL, "
        "PRIMARY KEY (label, product_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE analytics_book (label TEXT NOT NULL, product_id TEXT NOT NULL, last_at TEXT NOT NULL, "
        "state TEXT NOT NULL, checkpoint_at TEXT, checkpoint TEXT, PRIMARY KEY (label, product_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE analytics_day (label TEXT NOT NULL, product_id TEXT NOT NULL, day TEXT NOT NULL, "
        "buy_count INTEGER NOT NULL, sell_count INTEGER NOT NULL, buy_size TEXT NOT NULL, sell_size TEXT NOT NULL, "
        "buy_quote TEXT NOT NULL, sell_quote TEXT NOT NULL, fees TEXT NOT NULL, unmatched TEXT NOT NULL, "
        "fifo_realized TEXT NOT NULL, fifo_cost TEXT NOT NULL, avg_realized TEXT NOT NULL, avg_cost TEXT NOT NULL, "
        "first_at TEXT, last_at TEXT, PRIMARY KEY (label, product_id, day)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE analytics_sell (label TEXT NOT NULL, product_id TEXT NOT NULL, created_at TEXT NOT NULL, "
        "trade_id INTEGER NOT NULL, unmatched TEXT NOT NULL, fifo_realized TEXT NOT NULL, fifo_cost TEXT NOT NULL, "
        "avg_realized TEXT NOT NULL, avg_cost TEXT NOT NULL, "
        "PRIMARY KEY (label, product_id, created_at, trade_id)) WITHOUT ROWID"
    )
    mark = (
        "INSERT INTO analytics_dirty (label, product_id, from_at) VALUES ({0}.label, {0}.product_id, {0}.created_at) "
        "ON CONFLICT (label, product_id) DO UPDATE SET from_at = min(from_at, excluded.from_at);"
    )
    seen = ("label", "product_id", "trade_id", "created_at", "side", "price", "size", "fee")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in seen)
    db.execute(f"CREATE TRIGGER analytics_fill_inserted AFTER INSERT ON fills BEGIN {mark.format('NEW')} END")
    db.execute(f"CREATE TRIGGER analytics_fill_deleted AFTER DELETE ON fills BEGIN {mark.format('OLD')} END")
    db.execute(
        f"CREATE TRIGGER analytics_fill_changed AFTER UPDATE ON fills WHEN {changed} "
        f"BEGIN {mark.format('OLD')} {mark.format('NEW')} END"
    )
    db.execute(
        "INSERT INTO analytics_dirty (label, product_id, from_at) "
        "SELECT label, product_id, min(created_at) FROM fills GROUP BY label, product_id"
    )


_OLD_FILLS_KEY = re.compile(r"PRIMARY KEY\s*\(\s*product_id\s*,\s*trade_id\s*\)", re.IGNORECASE)
_FILLS_TABLE_NAME = re.compile(r"^\s*CREATE\s+TABLE\s+(\"fills\"|fills)\b", re.IGNORECASE)
#: The keyset-order indexes gain ``label`` as their last column, the tie-breaker of query_fills' order.
_KEY_INDEXES = {
    "fills_by_product_time_id": (
        "CREATE INDEX fills_by_product_time_id ON fills (product_id, created_at, trade_id, label)"
    ),
    "fills_by_time_key": "CREATE INDEX fills_by_time_key ON fills (created_at, product_id, trade_id, label)",
}


def _fills_sql_with(db: sqlite_utils.Database, *changes: tuple[re.Pattern[str], str]) -> str:
    """The stored ``CREATE TABLE fills`` text with each pattern replaced exactly once (else StoreError)."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'fills'").fetchone()
    for pattern, replacement in changes:
        sql, found = pattern.subn(replacement, sql)
        if found != 1:
            raise StoreError("the fills table of this trade store has an unexpected schema; it was not migrated")
    return sql


@migration
def m006_fills_key_with_label(db: sqlite_utils.Database) -> None:
    """Key fills by (product_id, label, trade_id): a trade_id names the *market* trade, whose maker and
    taker may both be accounts in this store, so each credential label keeps its own side of it.

    Rebuilt in place (``rebuild.rebuild_table``: one transaction, rowids kept). The new table is the stored
    ``CREATE TABLE`` text with only the key changed, so every column (one added by any earlier migration
    too) keeps its type, default and NOT NULL; every other index and trigger on ``fills`` is re-created
    from its own stored SQL, and the two keyset-order indexes gain ``label`` as their tie-breaker. The
    analytics cache is keyed by (label, product) already and no row changes, so it stays valid as it is.
    """
    new_sql = _fills_sql_with(
        db,
        (_OLD_FILLS_KEY, "PRIMARY KEY (product_id, label, trade_id)"),
        (_FILLS_TABLE_NAME, "CREATE TABLE fills_m006"),
    )
    rebuild_table(db, "fills", new_sql, "fills_m006", replacements=_KEY_INDEXES)


@migration
def m007_discovery_state(db: sqlite_utils.Database) -> None:
    """Product discovery per label (``discovery.py``): every product found, and the newest order seen.

    The SQL lives with the queries that use it, in ``discovery_state.py``.
    """
    from .discovery_state import DISCOVERY_SCHEMA

    for statement in DISCOVERY_SCHEMA:
        db.execute(statement)


@migration
def m008_sync_runs(db: sqlite_utils.Database) -> None:
    """One row per sync run of a credential label (started, finished, outcome, error, counts); see
    ``sync_runs.py``. A row with no ``finished_at`` is a run whose process died (or still runs)."""
    from .sync_runs import SYNC_RUNS_SQL  # here, not at the top: sync_runs imports the store, which imports us

    for statement in SYNC_RUNS_SQL:
        db.execute(statement)


_M006_FILLS_KEY = re.compile(r"PRIMARY KEY\s*\(\s*product_id\s*,\s*label\s*,\s*trade_id\s*\)", re.IGNORECASE)
#: After m006's rename SQLite stores the name quoted (``CREATE TABLE "fills"``).
_FILLS_NAME_M009 = re.compile(r'^\s*CREATE\s+TABLE\s+(?:"fills"|fills\b)', re.IGNORECASE)
_TYPED_TRADE_ID = re.compile(r"\btrade_id\s+INTEGER\s+NOT\s+NULL\b", re.IGNORECASE)
#: The columns m009 adds: the venue, the key within it, and Advanced Trade's own fields (NULL for Exchange).
_VENUE_COLUMNS = (
    "venue TEXT NOT NULL DEFAULT 'exchange', fill_key TEXT NOT NULL, entry_id TEXT, trade_type TEXT, "
    "sequence_timestamp TEXT, trade_time TEXT, size_in_quote INTEGER, commission TEXT, liquidity_indicator TEXT, "
    "retail_portfolio_id TEXT"
)
#: The keyset-order indexes gain ``fill_key`` as the last tie-breaker (trade_ids may repeat across venues).
_VENUE_KEY_INDEXES = {
    "fills_by_product_time_id": (
        "CREATE INDEX fills_by_product_time_id ON fills (product_id, created_at, trade_id, label, fill_key)"
    ),
    "fills_by_time_key": "CREATE INDEX fills_by_time_key ON fills (created_at, product_id, trade_id, label, fill_key)",
}


@migration
def m009_fills_venue(db: sqlite_utils.Database) -> None:
    """Key fills by (label, venue, fill_key), so a second venue's fills live beside Exchange's.

    Rebuilt in place like m006 (one transaction, rowids kept, the other indexes and the analytics
    triggers re-created from their stored SQL). ``trade_id`` loses its declared type: with no affinity,
    Exchange's integers stay INTEGER and Advanced Trade's string ids stay TEXT exactly. ``fill_key`` is
    ``product_id:trade_id`` for Exchange (every existing row), Advanced Trade's ``entry_id`` otherwise;
    the Advanced Trade columns stay NULL for Exchange rows. No stored value changes, so the analytics
    cache stays valid as it is (its triggers watch the same columns).
    """
    new_sql = _fills_sql_with(
        db,
        (_M006_FILLS_KEY, f"{_VENUE_COLUMNS}, PRIMARY KEY (label, venue, fill_key)"),
        (_TYPED_TRADE_ID, "trade_id NOT NULL"),
        (_FILLS_NAME_M009, "CREATE TABLE fills_m009"),
    )
    computed = {"fill_key": "product_id || ':' || trade_id"}
    rebuild_table(db, "fills", new_sql, "fills_m009", computed=computed, replacements=_VENUE_KEY_INDEXES)


@migration
def m010_sync_state_cursor(db: sqlite_utils.Database) -> None:
    """Key sync state by (label, venue, scope) with the venue's cursor as JSON text.

    ``scope`` is the old ``product_id`` for Exchange (``*`` for an Advanced Trade account walk). Exchange's
    four integer cursor columns move, unchanged, into its JSON cursor ``{"newest_synced", "oldest_reached",
    "backfill_top", "backfill_cursor"}``; ``full_history_complete`` and every counter stay columns. One
    transaction (``migrate``'s), the rows copied in key order.
    """
    db.execute(
        f"""
        CREATE TABLE sync_state_m010 (
            label                 TEXT NOT NULL,
            venue                 TEXT NOT NULL DEFAULT 'exchange',
            scope                 TEXT NOT NULL,
            cursor                TEXT,
{_SYNC_COUNTERS}            PRIMARY KEY (label, venue, scope)
        )
        """
    )
    kept = (
        "full_history_complete, inserted_total, updated_total, pages_total, last_page_at, last_run_at, "
        "last_run_inserted, last_run_updated, last_run_pages, last_run_complete, last_complete_at"
    )
    db.execute(
        f"INSERT INTO sync_state_m010 (label, venue, scope, cursor, {kept}) "
        "SELECT label, 'exchange', product_id, json_object('newest_synced', newest_synced, 'oldest_reached', "
        f"oldest_reached, 'backfill_top', backfill_top, 'backfill_cursor', backfill_cursor), {kept} "
        "FROM sync_state ORDER BY label, product_id"
    )
    db.execute("DROP TABLE sync_state")
    db.execute("ALTER TABLE sync_state_m010 RENAME TO sync_state")


_CREDENTIALS_M011 = f"""
        CREATE TABLE credentials_m011 (
{_CREDENTIAL_KEY_COLUMNS}            passphrase_ct     TEXT,
            created_at        TEXT NOT NULL,
            last_verified_at  TEXT,
            verify_status     TEXT,
            permissions       TEXT,
            portfolio         TEXT
        )
        """


@migration
def m011_credentials_venue(db: sqlite_utils.Database) -> None:
    """Credentials of any venue: ``passphrase_ct`` nullable (an Advanced Trade key has none: its key name is in
    ``key_ct``, its private key in ``secret_ct``) and a new ``portfolio`` (the key's portfolio uuid, as the
    venue's key check reports it). ``exchange`` stays the venue column (``VenueInfo.stored_as``).

    Rebuilt in place like m006, inside ``migrate``'s transaction: every row copied with its rowid and its
    ciphertexts byte for byte (plain column copies, no conversion); any index or trigger on the table is
    re-created from its stored SQL.
    """
    rebuild_table(db, "credentials", _CREDENTIALS_M011, "credentials_m011")


@migration
def m012_analytics_fill_key(db: sqlite_utils.Database) -> None:
    """Key each cached sell by its fill's ``fill_key``, not its trade_id (an Advanced Trade reversal or
    correction shares its fill's trade_id, and ids may repeat across venues), and let the triggers see
    Advanced Trade's adjustments.

    The cache is disposable: emptied (``analytics_sell`` re-created), every book marked dirty from its first
    fill, rebuilt from ``fills`` on the next read. The update trigger also watches m009's columns; deleting or
    changing a reversal or correction marks its book from the fill it adjusted (inserts: ``replay_start``).
    The partial index ``fills_adjustments`` holds only adjustments; analytics queries use exactly its WHERE.
    """
    from .analytics_schema import ANALYTICS_FILL_KEY_SQL

    for statement in ANALYTICS_FILL_KEY_SQL:
        db.execute(statement)


migration(m013_usd_prices)  # the table's schema lives with its queries, in store/usd_prices.py
