"""Migrations on real stores written by earlier releases: 0.1.0 (``tests/fixtures/release_0_1_0``) and
main at a1e6306, the last before the second venue (``tests/fixtures/release_a1e6306``).

Each store migrates in place (m006 re-keys ``fills`` by label, m009 by venue and fill_key, m010 moves
the sync cursors into JSON), loses nothing, answers ``query_trades`` and ``trade_summary`` exactly as
its release did, migrates only once, and is migrated safely while other processes have it open.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trade_tracker.app import TradeTracker
from trade_tracker.errors import StoreError
from trade_tracker.faces.shapes import TradesOut
from trade_tracker.sim import RunningSim
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FillRow, PageCounts
from trade_tracker.store.filters import Filters, decode_cursor
from trade_tracker.store.migrations import MIGRATIONS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASE = FIXTURES / "release_0_1_0"
M006 = "m006_fills_key_with_label"
#: The triggers m012 re-creates (they see Advanced Trade's columns and adjustments).
M012_TRIGGERS = ("analytics_fill_deleted", "analytics_fill_changed")
M002_CREDENTIAL_COLUMNS = (
    "label, exchange, base_url, key_fingerprint, key_ct, secret_ct, passphrase_ct, created_at, last_verified_at, "
    "verify_status, permissions"
)
RELEASE_MIGRATIONS = [
    "m001_fills",
    "m002_credentials",
    "m003_sync_state",
    "m004_fill_query_indexes",
    "m005_analytics_cache",
]
#: The fill fields every release stored (m001's columns), in their order.
EXCHANGE_FIELDS = (
    "product_id, trade_id, order_id, side, price, size, fee, usd_volume, liquidity, settled, created_at, "
    "profile_id, user_id, funding_currency, market_type, label"
)
#: Exchange's integer cursor columns before m010, in the order of its JSON cursor after.
CURSOR_FIELDS = ("newest_synced", "oldest_reached", "backfill_top", "backfill_cursor")


@dataclass(frozen=True)
class Release:
    """A real store of an earlier release, and how that release answered from it."""

    name: str
    folder: Path
    label: str
    fills: int
    unsettled: int
    migrations: list[str]
    #: Answer fields added since that release, on purpose (checked on their own); the rest must be identical.
    added: frozenset[str]
    #: How its saved ``trades`` answer was made: the CLI does not hoist the product (0.1.0's did).
    hoist_product: bool
    #: The simulator it was synced from (``--fills``, ``--seed``), for a sync after migrating.
    sim: tuple[int, int]

    def answer(self, name: str) -> Any:
        return json.loads((self.folder / name).read_text())


RELEASES = {
    "0.1.0": Release(
        "0.1.0",
        RELEASE,
        "main",
        300,
        9,
        RELEASE_MIGRATIONS,
        # issue 13: the empty-store hint, per-period totals when grouped, the label of stored fills (hoisted)
        # issue 15: the venue of stored fills (hoisted when one, else a column; checked on its own)
        frozenset({"hint", "periods", "omitted_periods", "label", "venue"}),
        True,
        (300, 11),
    ),
    "a1e6306": Release(
        "a1e6306",
        FIXTURES / "release_a1e6306",
        "demo",
        400,
        9,
        [*RELEASE_MIGRATIONS, M006, "m007_discovery_state", "m008_sync_runs"],
        frozenset({"venue"}),
        False,
        (400, 15),
    ),
}


def copy_release(release: Release, home: Path) -> Path:
    """A release's store, copied to TRADE_TRACKER_HOME/trades.db with the 0600 mode git does not keep."""
    path = home / "trades.db"
    shutil.copyfile(release.folder / "trades.db", path)
    path.chmod(0o600)
    return path


@pytest.fixture
def old_store(home: Path) -> Path:
    """The 0.1.0 store, copied to TRADE_TRACKER_HOME/trades.db with the 0600 mode git does not keep."""
    return copy_release(RELEASES["0.1.0"], home)


@pytest.fixture(params=sorted(RELEASES))
def release(request: pytest.FixtureRequest) -> Release:
    return RELEASES[request.param]


@pytest.fixture
def release_store(home: Path, release: Release) -> Path:
    return copy_release(release, home)


def _sync_states(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every sync_state row as (label, venue, scope, the Exchange cursor's four values, the other columns),
    whichever schema the store has: before m010 the cursor was four integer columns, after it JSON."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(sync_state)")]
    rest = [c for c in columns if c not in {"label", "venue", "scope", "product_id", "cursor", *CURSOR_FIELDS}]
    if "cursor" not in columns:
        rows = conn.execute(
            f"SELECT label, 'exchange', product_id, {', '.join([*CURSOR_FIELDS, *rest])} FROM sync_state"
        )
        return sorted(rows)
    found = []
    for label, venue, scope, cursor, *others in conn.execute(
        f"SELECT label, venue, scope, cursor, {', '.join(rest)} FROM sync_state"
    ):
        parsed = json.loads(cursor)
        assert list(parsed) == list(CURSOR_FIELDS)  # exactly Exchange's four, nothing else
        found.append((label, venue, scope, *(parsed[c] for c in CURSOR_FIELDS), *others))
    return sorted(found)


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a migration must keep, read with plain sqlite3 (no trade-tracker code)."""
    conn = sqlite3.connect(path)
    try:
        tables = ("credentials", "analytics_book", "analytics_day", "analytics_sell", "analytics_dirty")
        data: dict[str, Any] = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
        data["sync_state"] = _sync_states(conn)
        data["fills"] = conn.execute(f"SELECT rowid, {EXCHANGE_FIELDS} FROM fills ORDER BY rowid").fetchall()
        data["credentials"] = conn.execute(f"SELECT {M002_CREDENTIAL_COLUMNS} FROM credentials ORDER BY 1").fetchall()
        data["fill_types"] = conn.execute(
            "SELECT typeof(trade_id), typeof(price), typeof(size), typeof(fee), typeof(settled), count(*) "
            "FROM fills GROUP BY 1, 2, 3, 4, 5"
        ).fetchall()
        data["ciphertext"] = conn.execute(
            "SELECT label, CAST(key_ct AS BLOB), CAST(secret_ct AS BLOB), CAST(passphrase_ct AS BLOB) FROM credentials"
        ).fetchall()
        data["indexes"] = sorted(
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fills' AND sql IS NOT NULL"
            )
        )
        data["triggers"] = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()
        data["migrations"] = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        data["other_tables"] = {  # tables later releases added: kept whole
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
            for t in ("discovery_state", "discovered_products", "sync_runs")
            if t in tables
        }
        return data
    finally:
        conn.close()


def test_the_fixtures_are_stores_of_their_releases(release_store: Path, release: Release) -> None:
    before = snapshot(release_store)
    assert before["migrations"] == release.migrations
    assert len(before["fills"]) == release.fills and len(before["credentials"]) == 1 and before["sync_state"]
    assert sum(1 for f in before["fills"] if f[10] == 0) == release.unsettled  # (rowid shifts columns by 1)
    if release.name == "a1e6306":  # discovery, sync runs and the analytics cache of a real sync
        assert all(before["other_tables"].values()) and before["analytics_book"] and before["analytics_day"]


def test_a_release_store_migrates_in_place_losing_nothing(release_store: Path, release: Release) -> None:
    before = snapshot(release_store)
    with TradeStore(release_store) as store:
        conn = store.conn
        assert [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")] == [
            fn.__name__ for fn in MIGRATIONS
        ]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        pk = sorted((r[5], r[1]) for r in conn.execute("PRAGMA table_info(fills)") if r[5])
        assert [name for _, name in pk] == ["label", "venue", "fill_key"]
        pk = sorted((r[5], r[1]) for r in conn.execute("PRAGMA table_info(sync_state)") if r[5])
        assert [name for _, name in pk] == ["label", "venue", "scope"]
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%_m0%'").fetchall()
        assert conn.execute(
            "SELECT count(*) FROM fills WHERE venue = 'exchange' AND fill_key = product_id || ':' || trade_id "
            "AND entry_id IS NULL AND trade_type IS NULL AND sequence_timestamp IS NULL AND trade_time IS NULL "
            "AND size_in_quote IS NULL AND commission IS NULL AND liquidity_indicator IS NULL "
            "AND retail_portfolio_id IS NULL"
        ).fetchone() == (release.fills,)
    after = snapshot(release_store)
    assert after["migrations"][: len(release.migrations)] == release.migrations
    for part in (
        "fills",  # every field of every fill, rowids too
        "fill_types",  # trade_id still INTEGER, money still TEXT
        "sync_state",  # the JSON cursors hold exactly the old integer columns
        "credentials",
        "ciphertext",  # byte for byte
    ):
        assert after[part] == before[part], part
    assert after["indexes"] == sorted([*before["indexes"], "fills_adjustments"])  # m012's partial index
    kept_triggers = [t for t in before["triggers"] if t[0] not in M012_TRIGGERS]
    assert [t for t in after["triggers"] if t[0] not in M012_TRIGGERS] == kept_triggers
    assert [t[0] for t in after["triggers"]] == [t[0] for t in before["triggers"]]  # the two m012 re-created
    # m012: the disposable cache emptied, every book dirty from its first fill (rebuilt on the next read)
    assert after["analytics_book"] == after["analytics_day"] == after["analytics_sell"] == []
    firsts: dict[tuple[str, str], str] = {}
    for f in after["fills"]:
        key = (f[16], f[1])  # (label, product_id); rowid shifts columns by 1
        firsts[key] = min(firsts.get(key, f[11]), f[11])
    assert after["analytics_dirty"] == sorted((*key, at) for key, at in firsts.items())
    for table, rows in before["other_tables"].items():
        assert after["other_tables"][table] == rows, table
    assert before["ciphertext"][0][0] == release.label and all(len(ct) > 50 for ct in before["ciphertext"][0][1:])


def test_the_migrated_store_answers_as_its_release_did(release_store: Path, release: Release) -> None:
    """The app-layer calls behind `trades --limit 500`, `summary` and `summary --group-by month`,
    compared with the answers the release's CLI printed from this very file."""
    import asyncio

    added = release.added

    def without_clock(summary: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in summary.items() if k != "generated_at" and k not in added}

    async def answers(app: TradeTracker) -> tuple[Any, Any, Any]:
        rows, cursor = app.store.query_fills(limit=500)
        trades = TradesOut.of(rows, cursor, hoist_product=release.hoist_product).model_dump(mode="json")
        if "venue" in trades["columns"]:  # issue 15: each row's venue, every one an Exchange fill here
            at = trades["columns"].index("venue")
            assert {row.pop(at) for row in trades["rows"]} == {"exchange"}
            trades["columns"].pop(at)
        else:
            assert trades["venue"] == "exchange"
        by_product = (await app.summary()).model_dump(mode="json")
        by_month = (await app.summary(group_by="month")).model_dump(mode="json")
        return trades, by_product, by_month

    async def run(rebuild: bool) -> tuple[Any, Any, Any]:
        app = TradeTracker.open()
        try:
            if rebuild:  # the cache carried over must agree with one recomputed from the migrated fills
                from trade_tracker.analytics.cache import rebuild_cache

                rebuild_cache(app.store)
            return await answers(app)
        finally:
            await app.aclose()

    for rebuild in (False, True):
        trades, by_product, by_month = asyncio.run(run(rebuild))
        for answer, name in ((trades, "trades.json"), (by_product, "summary.json"), (by_month, "summary_month.json")):
            saved = release.answer(name)
            assert set(answer) - set(saved) <= added, name
            assert without_clock(answer) == without_clock(saved), name
        assert trades["hint"] is None  # the store holds fills: no empty-store hint
        assert by_product["periods"] == [] and by_month["periods"]  # totals per period only when grouped
        if release.hoist_product:  # 0.1.0's answer, hoisted: one label, so it is hoisted too
            assert isinstance(trades["label"], str) and "label" not in trades["columns"]


def test_migrating_again_is_a_no_op(old_store: Path) -> None:
    with TradeStore(old_store) as first:
        assert first.migrate() == []
    schema = snapshot(old_store)
    with TradeStore(old_store) as again:
        assert again.migrate() == []
        assert again.conn.execute("SELECT count(*) FROM _migrations WHERE name = ?", (M006,)).fetchone() == (1,)
    assert snapshot(old_store) == schema


def test_two_labels_on_one_trade_after_migrating(old_store: Path) -> None:
    """The point of m006: after it, a second label's side of a stored trade is a row of its own."""
    with TradeStore(old_store) as store:
        (row,) = store.conn.execute(f"SELECT {EXCHANGE_FIELDS} FROM fills ORDER BY trade_id LIMIT 1").fetchall()
        other_side = (*row[:3], "sell" if row[3] == "buy" else "buy", *row[4:15], "second")
        assert store.upsert_fills([other_side]).inserted == 1
        assert store.count_fills() == 301 and store.count_fills(Filters.of(label="main")) == 300


async def test_a_sync_after_migrating_inserts_nothing(
    release_store: Path, release: Release, sim_factory: Callable[..., RunningSim]
) -> None:
    """The simulator the fixture was synced from (same fills, same seed): the migrated cursors resume
    where the release left them, so nothing is stored twice and nothing is missed."""
    from trade_tracker.sync.engine import sync_fills
    from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
    from trade_tracker.venues.ratelimit import RateLimits

    fills, seed = release.sim
    sim = sim_factory(fills=fills, seed=seed)
    c = sim.credential
    credential = ApiCredential(c.key, c.secret, c.passphrase, label=release.label)
    with TradeStore(release_store) as store:
        before = snapshot(release_store)["sync_state"]
        client = CoinbaseClient(sim.url, credential, rate_limits=RateLimits.disabled())
        try:
            result = await sync_fills(store, client, release.label)
        finally:
            await client.aclose()
        assert not result.failed and result.inserted == 0, result
        assert all(p.resumed_from and p.resumed_from.startswith("before=") for p in result.products)
        assert store.count_fills() == release.fills
        after = snapshot(release_store)["sync_state"]
    assert [r[:7] for r in after] == [r[:7] for r in before]  # the same cursors: nothing new to walk
    assert {(f[1], f[2]) for f in snapshot(release_store)["fills"]} == {(f[1], f[2]) for f in before_fills(release)}


def before_fills(release: Release) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{release.folder / 'trades.db'}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT rowid, {EXCHANGE_FIELDS} FROM fills ORDER BY rowid").fetchall()
    finally:
        conn.close()


def _advanced_row(trade_id: str, entry_id: str, trade_type: str, size: str) -> FillRow:
    """An Advanced Trade fill as the store keeps it (SPEC-15), newer than every stored fill."""
    newest = "2027-01-02T03:04:05.123456Z"
    return FillRow(
        *("BTC-USD", trade_id, "0f0e-order", "buy", "50000.01", size, "0.25", None, "T", 1, newest),
        *("portfolio-1", None, None, None, "demo", "advanced", entry_id, entry_id, trade_type),
        *("2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05.123456789Z", 0, "0.25", "TAKER", "portfolio-1"),
    )


def test_an_advanced_reversal_shares_a_trade_id_after_migrating(release_store: Path, release: Release) -> None:
    """Two rows differing only in venue/fill_key, sharing (product_id, label, trade_id), coexist: an Exchange
    fill and an Advanced Trade fill with the same numbers, and an Advanced reversal of that fill."""
    with TradeStore(release_store) as store:
        (exchange_row,) = store.conn.execute(f"SELECT {EXCHANGE_FIELDS} FROM fills ORDER BY rowid LIMIT 1").fetchall()
        twin = FillRow(*exchange_row)._replace(venue="advanced", fill_key="entry-twin", entry_id="entry-twin")
        fill = _advanced_row("7a1c-33", "entry-1", "FILL", "0.5")
        reversal = _advanced_row("7a1c-33", "entry-2", "REVERSAL", "-0.5")
        assert store.upsert_fills([twin, fill, reversal]) == PageCounts(3, 0, 0)
        assert store.count_fills() == release.fills + 3
        shared = (exchange_row[0], exchange_row[15], exchange_row[1])  # product_id, label, trade_id
        same_trade = "SELECT count(*) FROM fills WHERE product_id = ? AND label = ? AND trade_id = ?"
        assert store.conn.execute(same_trade, shared).fetchone() == (2,)
        with pytest.raises(StoreError, match="without its fill_key"):  # no key of its own: refused, not stored
            store.upsert_fills([fill._replace(fill_key="", entry_id="entry-9")])
        # Advanced fills never change once stored: a re-read is unchanged, even if a field differs
        assert store.upsert_fills([fill._replace(size="9"), reversal]) == PageCounts(0, 0, 2)
        assert store.conn.execute("SELECT size FROM fills WHERE fill_key = 'entry-1'").fetchone() == ("0.5",)
        # the Exchange row is untouched and the sync's unsettled view sees Exchange rows only
        assert (
            store.conn.execute(f"SELECT {EXCHANGE_FIELDS} FROM fills ORDER BY rowid LIMIT 1").fetchone() == exchange_row
        )
        summary = store.unsettled_summary(release.label, "BTC-USD")
        assert (
            summary is not None
            and summary.fills_from_oldest
            == store.conn.execute(
                "SELECT count(*) FROM fills WHERE product_id = 'BTC-USD' AND label = ? AND venue = 'exchange' "
                "AND trade_id >= ?",
                (release.label, summary.oldest_trade_id),
            ).fetchone()[0]
        )


def test_a_text_trade_id_round_trips_through_query_fills_and_its_cursor(release_store: Path) -> None:
    """An Advanced Trade id that looks like a number stays TEXT, exactly, and paging over it visits every row once."""
    with TradeStore(release_store) as store:
        rows = [_advanced_row(tid, f"entry-{tid}", "FILL", "0.1") for tid in ("0012", "12", "12.0", "abc")]
        store.upsert_fills(rows)
        assert store.conn.execute(
            "SELECT DISTINCT typeof(trade_id) FROM fills WHERE venue = 'advanced'"
        ).fetchall() == [("text",)]
        for product_id in (None, "BTC-USD"):
            seen: list[tuple[Any, str]] = []
            cursor = None
            while True:
                page, cursor = store.query_fills(Filters.of(product_id=product_id), limit=3, cursor=cursor)
                seen += [(r["trade_id"], r["fill_key"]) for r in page]
                if cursor is None:
                    break
            advanced = [tid for tid, key in seen if key.startswith("entry-")]
            assert sorted(advanced) == ["0012", "12", "12.0", "abc"]  # as sent: str, not 12
            assert len(seen) == len(set(seen)) == store.count_fills(Filters.of(product_id=product_id))
        newest, cursor = store.query_fills(limit=1)
        assert newest[0]["trade_id"] == "abc" and cursor is not None
        (created_at, product_id, trade_id, label, fill_key) = decode_cursor(cursor)
        assert (trade_id, fill_key) == ("abc", "entry-abc") and isinstance(trade_id, str)
        following, _ = store.query_fills(limit=1, cursor=cursor)
        assert following[0]["trade_id"] == "12.0"


# ---- migrating while other processes have the store open ----------------------------------------

_HOLD_WRITE_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""

_HOLD_A_READ = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
print(conn.execute("SELECT count(*) FROM fills").fetchone()[0], flush=True)
sys.stdin.readline()
print(conn.execute("SELECT count(*) FROM fills").fetchone()[0], flush=True)
conn.execute("COMMIT")
print(conn.execute("SELECT count(*) FROM fills WHERE label = 'main'").fetchone()[0], flush=True)
print("label" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'fills'").fetchone()[0].split("KEY")[1],
      flush=True)
"""

_OPEN_STORE = """
import sys
from trade_tracker.store import TradeStore
with TradeStore(sys.argv[1]) as store:
    print(store.count_fills(), flush=True)
"""


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_migrating_waits_for_another_process_holding_the_write_lock(old_store: Path) -> None:
    """A sync of 0.1.0 in another process holds the write lock: the migration (BEGIN IMMEDIATE) waits
    for it instead of failing or interleaving, then applies whole."""
    holder = _spawn(_HOLD_WRITE_LOCK, str(old_store), "1.5")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with TradeStore(old_store) as store:
            waited = time.monotonic() - started
            assert store.count_fills() == 300
            assert store.conn.execute("SELECT count(*) FROM _migrations WHERE name = ?", (M006,)).fetchone() == (1,)
        assert waited > 0.8
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0


def test_a_reader_open_during_the_migration_keeps_its_snapshot(old_store: Path) -> None:
    reader = _spawn(_HOLD_A_READ, str(old_store))
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "300"  # its read transaction is open
        with TradeStore(old_store) as store:  # WAL: the migration does not wait for readers
            assert store.count_fills() == 300
        reader.stdin.write("\n")
        reader.stdin.flush()
        out, err = reader.communicate(timeout=30)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    assert out.split() == ["300", "300", "True"]  # its snapshot still, then the migrated table, keyed by label


def test_processes_opening_the_old_store_at_once_migrate_it_once(old_store: Path) -> None:
    openers = [_spawn(_OPEN_STORE, str(old_store)) for _ in range(4)]
    results = [p.communicate(timeout=60) for p in openers]
    assert [p.returncode for p in openers] == [0] * 4, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["300"] * 4
    after = snapshot(old_store)
    assert after["migrations"].count(M006) == 1 and len(after["fills"]) == 300
    conn = sqlite3.connect(old_store)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


#: sha256 of the SQL the released migrations (m001-m008, release 0.1.0) execute on a new store, in order:
#: their text may be refactored (shared constants), never what they run.
RELEASED_SQL_SHA256 = "a13428c3350dd39026c553588892a37eeaea8cf0b91dc0802f9999b3679834be"


def test_the_released_migrations_run_the_sql_they_always_ran() -> None:
    import hashlib

    import sqlite_utils

    from trade_tracker.store.migrations import MIGRATIONS

    executed: list[str] = []

    class Recording(sqlite_utils.Database):
        def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> sqlite3.Cursor:
            executed.append(sql)
            return super().execute(sql, parameters)

    db = Recording(memory=True)
    for step in MIGRATIONS[:8]:
        executed.append(f"-- {step.__name__}")
        step(db)
    assert executed[-1:] and "-- m008_sync_runs" in executed
    assert hashlib.sha256("\n".join(executed).encode()).hexdigest() == RELEASED_SQL_SHA256
