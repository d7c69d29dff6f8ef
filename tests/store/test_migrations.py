"""Migrations on a real store written by release 0.1.0 (``tests/fixtures/release_0_1_0``).

The store migrates in place (m006 re-keys ``fills`` by label), loses nothing, answers
``query_trades`` and ``trade_summary`` exactly as 0.1.0 did, migrates only once, and is migrated
safely while other processes have it open.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from trade_tracker.app import TradeTracker
from trade_tracker.faces.shapes import TradesOut
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters
from trade_tracker.store.migrations import MIGRATIONS

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release_0_1_0"
M006 = "m006_fills_key_with_label"
RELEASE_MIGRATIONS = [
    "m001_fills",
    "m002_credentials",
    "m003_sync_state",
    "m004_fill_query_indexes",
    "m005_analytics_cache",
]


@pytest.fixture
def old_store(home: Path) -> Path:
    """The 0.1.0 store, copied to TRADE_TRACKER_HOME/trades.db with the 0600 mode git does not keep."""
    path = home / "trades.db"
    shutil.copyfile(RELEASE / "trades.db", path)
    path.chmod(0o600)
    return path


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a migration must keep, read with plain sqlite3 (no trade-tracker code)."""
    conn = sqlite3.connect(path)
    try:
        tables = ("sync_state", "credentials", "analytics_book", "analytics_day", "analytics_sell", "analytics_dirty")
        data: dict[str, Any] = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
        data["fills"] = conn.execute("SELECT rowid, * FROM fills ORDER BY rowid").fetchall()
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
        return data
    finally:
        conn.close()


def test_the_fixture_is_a_0_1_0_store(old_store: Path) -> None:
    before = snapshot(old_store)
    assert before["migrations"] == RELEASE_MIGRATIONS
    assert len(before["fills"]) == 300 and len(before["credentials"]) == 1 and before["sync_state"]
    assert sum(1 for f in before["fills"] if f[10] == 0) == 9  # the unsettled ones (rowid shifts columns by 1)


def test_the_0_1_0_store_migrates_in_place_losing_nothing(old_store: Path) -> None:
    before = snapshot(old_store)
    with TradeStore(old_store) as store:
        conn = store.conn
        assert [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")] == [
            fn.__name__ for fn in MIGRATIONS
        ]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        pk = sorted((r[5], r[1]) for r in conn.execute("PRAGMA table_info(fills)") if r[5])
        assert [name for _, name in pk] == ["product_id", "label", "trade_id"]
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'fills_m006%'").fetchall()
    after = snapshot(old_store)
    assert after["migrations"] == [*RELEASE_MIGRATIONS, M006, *after["migrations"][6:]]
    for part in (
        "fills",
        "fill_types",
        "sync_state",
        "credentials",
        "ciphertext",
        "indexes",
        "triggers",
        "analytics_book",
        "analytics_day",
        "analytics_sell",
        "analytics_dirty",
    ):
        assert after[part] == before[part], part
    assert before["ciphertext"][0][0] == "main" and all(len(ct) > 50 for ct in before["ciphertext"][0][1:])


def test_the_migrated_store_answers_as_0_1_0_did(old_store: Path) -> None:
    """The app-layer calls behind `trades --limit 500`, `summary` and `summary --group-by month`,
    compared with the answers the 0.1.0 CLI printed from this very file."""
    import asyncio

    def release_answer(name: str) -> Any:
        return json.loads((RELEASE / name).read_text())

    #: Fields added since 0.1.0, on purpose (issue 13): the empty-store hint, and per-period totals when
    #: grouped by month or day, and the label of stored fills (hoisted: this store has one label).
    #: Everything 0.1.0 answered must come back identical; these are the only new keys allowed, and
    #: they are checked on their own below.
    added = {"hint", "periods", "omitted_periods", "label"}

    def without_clock(summary: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in summary.items() if k != "generated_at" and k not in added}

    def release_fields(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in added}

    async def answers(app: TradeTracker) -> tuple[Any, Any, Any]:
        rows, cursor = app.store.query_fills(limit=500)
        trades = TradesOut.of(rows, cursor).model_dump(mode="json")
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
            release = release_answer(name)
            assert set(answer) - set(release) <= added, name
            assert without_clock(answer) == without_clock(release), name
        assert trades["hint"] is None  # the store holds fills: no empty-store hint
        assert isinstance(trades["label"], str) and "label" not in trades["columns"]  # one label: hoisted
        assert by_product["periods"] == [] and by_month["periods"]  # totals per period only when grouped


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
        (row,) = store.conn.execute("SELECT * FROM fills ORDER BY trade_id LIMIT 1").fetchall()
        other_side = (*row[:3], "sell" if row[3] == "buy" else "buy", *row[4:15], "second")
        assert store.upsert_fills([other_side]).inserted == 1
        assert store.count_fills() == 301 and store.count_fills(Filters.of(label="main")) == 300


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
