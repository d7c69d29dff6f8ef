"""The trade store: schema, pragmas, migrations, upsert exactness and counts, queries and paging."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fill_rows import row
from trade_tracker.errors import InsecurePermissions, InvalidArgument, StoreBusy, StoreError
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FILL_COLUMNS, PageCounts
from trade_tracker.store.filters import Filters, decode_cursor, encode_cursor, time_bound
from trade_tracker.store.migrations import MIGRATIONS
from trade_tracker.store.sync_state import SyncState


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TradeStore]:
    with TradeStore(tmp_path / "trades.db") as s:
        yield s


def all_rows(store: TradeStore) -> list[tuple[Any, ...]]:
    return store.conn.execute(f"SELECT {', '.join(FILL_COLUMNS)} FROM fills ORDER BY product_id, trade_id").fetchall()


# ---- schema, pragmas, migrations --------------------------------------------------------------


def test_fills_schema(store: TradeStore) -> None:
    columns = {r[1]: (r[2], r[3], r[5]) for r in store.conn.execute("PRAGMA table_info(fills)")}
    assert tuple(columns) == FILL_COLUMNS
    for money in ("price", "size", "fee", "usd_volume"):
        assert columns[money][0] == "TEXT"  # exact decimal strings, never REAL
    # PRIMARY KEY (label, venue, fill_key): both sides of one market trade can be ours, and a venue's
    # fills never collide with another's
    assert (columns["label"][2], columns["venue"][2], columns["fill_key"][2]) == (1, 2, 3)
    assert columns["trade_id"][0] == ""  # no affinity: an int stays an int, a string id a string
    indexes = {
        r[1]: [c[2] for c in store.conn.execute(f"PRAGMA index_info({r[1]})")]
        for r in store.conn.execute("PRAGMA index_list(fills)")
    }
    assert indexes["fills_by_product_time_id"] == ["product_id", "created_at", "trade_id", "label", "fill_key"]
    assert indexes["fills_by_time_key"] == ["created_at", "product_id", "trade_id", "label", "fill_key"]
    assert indexes["fills_by_order"] == ["order_id"]
    assert indexes["fills_unsettled"] == ["product_id", "label", "trade_id"]
    assert "fills_by_time" not in indexes and "fills_by_product_time" not in indexes


def test_sync_state_schema(store: TradeStore) -> None:
    columns = [r[1] for r in store.conn.execute("PRAGMA table_info(sync_state)")]
    assert tuple(columns) == tuple(SyncState.model_fields)
    pk = [r[1] for r in sorted(store.conn.execute("PRAGMA table_info(sync_state)"), key=lambda r: r[5]) if r[5]]
    assert pk == ["label", "venue", "scope"]


def test_pragmas(store: TradeStore) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "trades.db"
    TradeStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    with pytest.raises(InsecurePermissions):
        TradeStore(path)


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "trades.db"
    with TradeStore(path) as first:
        names = [r[0] for r in first.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
        assert names == [fn.__name__ for fn in MIGRATIONS]
        assert first.migrate() == []
    with TradeStore(path) as again:
        assert again.migrate() == []
        assert again.conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_a_store_made_before_the_new_migrations_is_upgraded(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "trades.db"
    first_two = MIGRATIONS[:2]
    monkeypatch.setattr("trade_tracker.store.connection.MIGRATIONS", first_two)
    with TradeStore(path) as old:
        old.conn.execute("INSERT INTO fills VALUES (" + ", ".join("?" * 16) + ")", row(1)[:16])  # m001's columns
    monkeypatch.undo()
    with TradeStore(path) as new:
        assert new.query_fills()[0][0]["trade_id"] == 1
        assert new.get_sync_state("main", "BTC-USD") is None


def test_sqlite_errors_become_store_errors(store: TradeStore) -> None:
    with pytest.raises(StoreError), store.write() as conn:
        conn.execute("INSERT INTO no_such_table VALUES (1)")
    assert not store.conn.in_transaction


def test_a_held_write_lock_is_store_busy(store: TradeStore) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        store.conn.execute("PRAGMA busy_timeout = 50")
        with pytest.raises(StoreBusy, match="locked by another process"):
            store.upsert_fills([row(1)])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.upsert_fills([row(1)]) == PageCounts(1, 0, 0)


def test_a_non_database_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "trades.db"
    path.write_bytes(b"this is not sqlite" * 100)
    path.chmod(0o600)
    with pytest.raises(StoreError, match="not an SQLite database"):
        TradeStore(path)


# ---- upsert: exact strings, counts, dedup ---------------------------------------------------


def test_decimal_strings_are_stored_byte_for_byte(store: TradeStore) -> None:
    store.upsert_fills([row(1, size="0.00000010", fee="0.0000000000000001"), row(2, fee="12.3456789012345600")])
    got = store.conn.execute("SELECT size, fee, typeof(fee) FROM fills ORDER BY trade_id").fetchall()
    assert got == [("0.00000010", "0.0000000000000001", "text"), ("0.00601800", "12.3456789012345600", "text")]


def test_upsert_counts_and_updates_changed_rows(store: TradeStore) -> None:
    assert store.upsert_fills([row(1, settled=0), row(2), row(3)]) == PageCounts(3, 0, 0)
    assert store.upsert_fills([row(1, settled=0), row(2), row(3)]) == PageCounts(0, 0, 3)
    changed = [row(1, settled=1), row(2, fee="9.9"), row(3, side="sell"), row(4)]
    assert store.upsert_fills(changed) == PageCounts(1, 3, 0)
    stored = {r[1]: r for r in all_rows(store)}
    assert stored[1][9] == 1 and stored[2][6] == "9.9"
    assert stored[3][3] == "sell"


_NOT_KEY = [c for c in FILL_COLUMNS if c not in ("product_id", "label", "trade_id", "venue", "fill_key")]


@pytest.mark.parametrize("column", _NOT_KEY)
def test_a_change_to_any_stored_field_is_an_update(store: TradeStore, column: str) -> None:
    """Not only settled and fee: whatever the exchange corrects in a fill reaches the store, and is counted."""
    original = row(1, settled=0)
    store.upsert_fills([original, row(2)])
    at = FILL_COLUMNS.index(column)
    new_value = {"settled": 1, "created_at": "2024-03-02T00:00:00.000000Z"}.get(column, f"{original[at]}9")
    edited = (*original[:at], new_value, *original[at + 1 :])
    assert store.upsert_fills([edited, row(2)]) == PageCounts(0, 1, 1)
    assert all_rows(store)[0] == edited
    assert store.upsert_fills([edited, row(2)]) == PageCounts(0, 0, 2)


def test_a_field_that_became_null_is_an_update(store: TradeStore) -> None:
    original = row(1)
    store.upsert_fills([original])
    at = FILL_COLUMNS.index("usd_volume")
    edited = (*original[:at], None, *original[at + 1 :])
    assert store.upsert_fills([edited]) == PageCounts(0, 1, 0)
    assert all_rows(store)[0][at] is None


def test_two_labels_on_opposite_sides_of_one_trade_keep_two_rows(store: TradeStore) -> None:
    """One market trade, a maker and a taker: both are accounts here, each keeps its own side."""
    maker = row(77, side="sell", label="alice", order_id="order-of-alice", fee="0")
    taker = row(77, side="buy", label="bob", order_id="order-of-bob")
    assert store.upsert_fills([maker]) == PageCounts(1, 0, 0)
    assert store.upsert_fills([taker]) == PageCounts(1, 0, 0)  # was: (0, 0, 1), bob's side lost
    assert sorted(all_rows(store)) == sorted([maker, taker])
    assert store.upsert_fills([maker, taker]) == PageCounts(0, 0, 2)
    assert [r["side"] for r in store.query_fills(Filters.of(label="bob"))[0]] == ["buy"]
    assert [r["side"] for r in store.query_fills(Filters.of(label="alice"))[0]] == ["sell"]
    assert store.fill_products("alice") == store.fill_products("bob") == ["BTC-USD"]


def test_paging_visits_both_sides_of_shared_trades_once(store: TradeStore) -> None:
    """Rows that tie on (created_at, product_id, trade_id) differ by label, the key's last tie-breaker."""
    labels = ("alice", "bob", "carol")
    store.upsert_fills(
        [
            row(t, p, label=lab, created_at="2024-03-01T12:00:00.000000Z")
            for t in (1, 2)
            for p in ("BTC-USD", "ETH-USD")
            for lab in labels
        ]
    )
    for product_id in (None, "ETH-USD"):
        seen, cursor = [], None
        while True:
            rows, cursor = store.query_fills(Filters.of(product_id=product_id), limit=1, cursor=cursor)
            seen += [(r["product_id"], r["trade_id"], r["label"]) for r in rows]
            if cursor is None:
                break
        wanted = sorted(
            ((p, t, lab) for t in (1, 2) for p in ("BTC-USD", "ETH-USD") for lab in labels if product_id in (None, p)),
            reverse=True,
        )
        assert seen == wanted


def test_same_trade_id_in_two_products_is_two_rows(store: TradeStore) -> None:
    assert store.upsert_fills([row(7, "BTC-USD"), row(7, "ETH-USD")]) == PageCounts(2, 0, 0)
    assert len(all_rows(store)) == 2


def test_duplicates_within_one_batch_collapse(store: TradeStore) -> None:
    assert store.upsert_fills([row(5, settled=0), row(5, settled=1), row(6)]) == PageCounts(2, 0, 0)
    assert [(r[1], r[9]) for r in all_rows(store)] == [(5, 1), (6, 1)]


def test_empty_batch(store: TradeStore) -> None:
    assert store.upsert_fills([]) == PageCounts(0, 0, 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fills=st.lists(
        st.tuples(
            st.sampled_from(["BTC-USD", "ETH-USD"]),
            st.integers(1, 60),
            st.booleans(),
            st.decimals(min_value=0, max_value=10**6, places=16, allow_nan=False).map(lambda d: format(d, "f")),
            st.sampled_from(["main", "other"]),
        ),
        max_size=80,
    )
)
def test_upsert_twice_equals_once(tmp_path_factory, fills) -> None:
    """Idempotence (P24): the second upsert of the same batch changes nothing and reports so."""
    rows = [row(tid, product, settled=int(settled), fee=fee, label=lab) for product, tid, settled, fee, lab in fills]
    with TradeStore(tmp_path_factory.mktemp("idem") / "t.db") as store:
        first = store.upsert_fills(rows)
        snapshot = all_rows(store)
        unique = len({(r[0], r[15], r[1]) for r in rows})
        assert first == PageCounts(unique, 0, 0)
        assert store.upsert_fills(rows) == PageCounts(0, 0, unique)
        assert all_rows(store) == snapshot
        assert {(r[0], r[15], r[1]): r[6] for r in rows} == {(r[0], r[15], r[1]): r[6] for r in snapshot}


# ---- commit_page: rows and cursor in one transaction ------------------------------------------


def test_commit_page_moves_the_cursor_with_the_rows(store: TradeStore) -> None:
    counts = store.commit_page(
        "main", "BTC-USD", [row(10), row(11)], lambda s: s.model_copy(update={"cursor": {"backfill_cursor": 10}})
    )
    assert counts == PageCounts(2, 0, 0)
    state = store.get_sync_state("main", "BTC-USD")
    assert state is not None and state.cursor == {"backfill_cursor": 10} and state.venue == "exchange"
    assert store.get_sync_state("main", "BTC-USD", venue="advanced") is None  # the venue is part of the key
    assert (state.inserted_total, state.pages_total) == (2, 1) and state.last_page_at


def test_commit_page_is_all_or_nothing(store: TradeStore) -> None:
    def boom(state: SyncState) -> SyncState:
        raise RuntimeError("killed between the rows and the cursor")

    with pytest.raises(RuntimeError):
        store.commit_page("main", "BTC-USD", [row(10), row(11)], boom)
    assert all_rows(store) == [] and store.get_sync_state("main", "BTC-USD") is None
    assert not store.conn.in_transaction


def test_record_run_and_sync_states(store: TradeStore) -> None:
    store.commit_page("main", "ETH-USD", [row(1, "ETH-USD")], lambda s: None)
    store.record_run("main", "ETH-USD", inserted=1, updated=0, pages=1, complete=True)
    store.record_run("other", "BTC-USD", inserted=0, updated=0, pages=0, complete=False)
    eth = store.get_sync_state("main", "ETH-USD")
    assert eth.last_run_complete and eth.last_complete_at == eth.last_run_at and eth.last_run_inserted == 1
    assert [(s.label, s.scope) for s in store.sync_states()] == [("main", "ETH-USD"), ("other", "BTC-USD")]
    assert [s.scope for s in store.sync_states("other")] == ["BTC-USD"]
    assert store.sync_states("other")[0].last_complete_at is None


def test_unsettled_summary(store: TradeStore) -> None:
    assert store.unsettled_summary("main", "BTC-USD") is None
    orders = {4: "b", 8: "a", 9: "a"}

    def fill(t: int, settled: int = 1) -> tuple[Any, ...]:
        return row(t, order_id=orders.get(t, "c"), label="other" if t == 9 else "main", settled=settled)

    store.upsert_fills([fill(t) for t in range(1, 11)])
    store.upsert_fills([fill(4, 0), fill(8, 0), fill(9, 0)])
    summary = store.unsettled_summary("main", "BTC-USD")
    assert summary is not None
    # fills 4..10 of this label only: fill 9 belongs to "other" and is neither counted nor re-read
    assert (summary.oldest_trade_id, summary.order_ids, summary.fills_from_oldest) == (4, ["a", "b"], 6)


# ---- queries ----------------------------------------------------------------------------------


@pytest.fixture
def filled(store: TradeStore) -> TradeStore:
    """45 fills over 3 products and 2 labels, with created_at ties across products."""
    rows = []
    for i in range(15):
        day = 1 + i // 5
        created = f"2024-03-{day:02d}T{i % 5:02d}:00:00.000000Z"
        for j, product in enumerate(("BTC-USD", "ETH-USD", "SOL-USD")):
            rows.append(
                row(
                    100 + i,
                    product,
                    created_at=created,
                    side=("buy", "sell")[(i + j) % 2],
                    label="main" if j < 2 else "other",
                )
            )
    store.upsert_fills(rows)
    return store


def expected_order(store: TradeStore, where: str = "", params: tuple[Any, ...] = ()) -> list[tuple[str, int]]:
    return [
        (r[0], r[1])
        for r in store.conn.execute(
            f"SELECT product_id, trade_id FROM fills {where} ORDER BY created_at DESC, product_id DESC, trade_id DESC",
            params,
        )
    ]


def page_through(store: TradeStore, limit: int, **filters: Any) -> list[tuple[str, int]]:
    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = store.query_fills(Filters.of(**filters), limit=limit, cursor=cursor)
        pages += 1
        assert len(rows) <= limit
        seen += [(r["product_id"], r["trade_id"]) for r in rows]
        if cursor is None:
            return seen
        assert pages < 100


@pytest.mark.parametrize("limit", [1, 4, 7, 45, 1000])
def test_keyset_paging_visits_every_row_once_newest_first(filled: TradeStore, limit: int) -> None:
    assert page_through(filled, limit) == expected_order(filled)


def test_query_rows_are_exact_and_typed(filled: TradeStore) -> None:
    rows, _ = filled.query_fills(limit=1)
    assert rows[0] == {
        "product_id": "SOL-USD",
        "trade_id": 114,
        "order_id": "41473628-db2c-464e-b9f4-82df7e4fb4f4",
        "side": "buy",
        "price": "8087.38000000",
        "size": "0.00601800",
        "fee": "0.2433492642000000",
        "usd_volume": "48.6698528400000000",
        "liquidity": "T",
        "settled": True,
        "created_at": "2024-03-03T04:00:00.000000Z",
        "profile_id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
        "user_id": "5cf6e115aaf44503db300f1e",
        "funding_currency": "USD",
        "market_type": "spot",
        "label": "other",
        "venue": "exchange",
        "fill_key": "SOL-USD:114",
        **dict.fromkeys(FILL_COLUMNS[18:]),  # the Advanced Trade fields, None for an Exchange fill
    }


def test_filters_and_counts(filled: TradeStore) -> None:
    assert page_through(filled, 4, product_id="eth-usd") == expected_order(filled, "WHERE product_id = 'ETH-USD'")
    assert page_through(filled, 4, side="SELL") == expected_order(filled, "WHERE side = 'sell'")
    assert page_through(filled, 4, label="other") == expected_order(filled, "WHERE label = 'other'")
    assert filled.count_fills() == 45
    assert filled.count_fills(Filters.of(product_id="BTC-USD", side="buy")) == 8
    assert filled.count_fills(Filters.of(label="main")) == 30
    # a bare date is the whole day, both ends inclusive
    assert filled.count_fills(Filters.of(since="2024-03-02", until="2024-03-02")) == 15
    assert filled.count_fills(Filters.of(since="2024-03-02T02:00:00Z")) == 3 * 3 + 3 * 5
    assert filled.count_fills(Filters.of(until="2024-03-01T02:00:00+00:00")) == 9  # inclusive
    assert filled.count_fills(Filters.of(until="2024-03-01T03:00:00+01:00")) == 9  # offsets are converted to UTC
    assert filled.count_fills(Filters.of(since="2024-03-01 04:00")) == 33  # naive = UTC; space separator
    combined = {"product_id": "SOL-USD", "since": "2024-03-02", "until": "2024-03-03T01:00:00Z", "side": "buy"}
    assert page_through(filled, 2, **combined) == [
        (p, t)
        for p, t in expected_order(
            filled,
            "WHERE product_id = 'SOL-USD' AND side = 'buy' AND created_at >= '2024-03-02' "
            "AND created_at <= '2024-03-03T01:00:00.000000Z'",
        )
    ]
    assert filled.count_fills(Filters.of(**combined)) == len(page_through(filled, 50, **combined))


def test_fill_products(filled: TradeStore, store: TradeStore) -> None:
    assert filled.fill_products() == ["BTC-USD", "ETH-USD", "SOL-USD"]
    assert filled.fill_products("main") == ["BTC-USD", "ETH-USD"]
    assert filled.fill_products("nobody") == []


def test_fill_products_of_an_empty_store(tmp_path: Path) -> None:
    with TradeStore(tmp_path / "e.db") as empty:
        assert empty.fill_products() == [] and empty.query_fills() == ([], None) and empty.count_fills() == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"since": "yesterday"}, "since must be an ISO date"),
        ({"until": "2024-13-01"}, "until must be an ISO date"),
        ({"since": "1700000000"}, "since must be an ISO date"),
        ({"since": 5}, "since must be an ISO date"),
        ({"since": "2024-03-02", "until": "2024-03-01"}, "is after until"),
        ({"side": "long"}, "side must be"),
        ({"product_id": "BTC-USD' OR 1=1 --"}, "product_id must look like"),
        ({"limit": 0}, "limit must be"),
        ({"limit": 1001}, "limit must be"),
        ({"limit": True}, "limit must be"),
        ({"cursor": "not-a-cursor"}, "cursor is not one this store issued"),
        ({"cursor": ""}, "cursor is not one this store issued"),
        ({"cursor": encode_cursor("2024-03-01", "BTC-USD", 1, "main")}, "cursor is not one"),
    ],
)
def test_invalid_arguments(filled: TradeStore, kwargs: dict[str, Any], match: str) -> None:
    paging = {k: kwargs.pop(k) for k in ("limit", "cursor") if k in kwargs}
    with pytest.raises(InvalidArgument, match=match):
        filled.query_fills(Filters.of(**kwargs), **paging)


def test_cursor_round_trip_and_tampering() -> None:
    key = ("2024-03-01T12:00:00.000000Z", "BTC-USD", 78098253, "main")
    cursor = encode_cursor(*key)
    assert decode_cursor(cursor) == (*key, "BTC-USD:78098253") and "=" not in cursor
    assert encode_cursor(*key, "BTC-USD:78098253") == cursor  # an Exchange row's cursor: as before, 4 parts
    assert json.loads(base64.urlsafe_b64decode(cursor + "==")) == list(key)
    for bad in (cursor[:-2], cursor + "!!", "W1tdXQ", encode_cursor(key[0], key[1], 1, "x")[:-1] + "x"):
        with pytest.raises(InvalidArgument):
            decode_cursor(bad)


def test_a_cursor_from_before_the_label_key_still_resumes(filled: TradeStore) -> None:
    """0.1.0 issued three-part cursors (no label); one held across the upgrade resumes where it stopped."""
    rows, _ = filled.query_fills(limit=5)
    last = rows[-1]
    legacy = (
        base64.urlsafe_b64encode(
            json.dumps([last["created_at"], last["product_id"], last["trade_id"]], separators=(",", ":")).encode()
        )
        .decode()
        .rstrip("=")
    )
    assert decode_cursor(legacy) == (last["created_at"], last["product_id"], last["trade_id"], "", "")
    after, _ = filled.query_fills(limit=40, cursor=legacy)
    assert [(r["product_id"], r["trade_id"]) for r in after] == expected_order(filled)[5:]


@pytest.mark.parametrize("product_id, index", [(None, "fills_by_time_key"), ("BTC-USD", "fills_by_product_time_id")])
def test_query_plans_use_the_key_indexes(filled: TradeStore, product_id: str | None, index: str) -> None:
    """No sort step: query_fills' own SQL is served straight from an index, with or without a product."""
    _, cursor = filled.query_fills(Filters.of(product_id=product_id), limit=3)
    statements: list[str] = []
    filled.conn.set_trace_callback(statements.append)
    try:
        filled.query_fills(Filters.of(product_id=product_id), limit=3, cursor=cursor)
    finally:
        filled.conn.set_trace_callback(None)
    (sql,) = [s for s in statements if s.startswith("SELECT")]
    plan = " ".join(r[3] for r in filled.conn.execute("EXPLAIN QUERY PLAN " + sql))
    assert "TEMP B-TREE" not in plan and index in plan


def test_opening_an_up_to_date_store_does_not_wait_for_the_write_lock(tmp_path: Path) -> None:
    """A sync in another process holds the write lock; a reader (the MCP server starting, `trades`)
    must still open the store at once instead of waiting out the busy timeout."""
    import sqlite3
    import time

    path = tmp_path / "trades.db"
    TradeStore(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with TradeStore(path) as reader:
            assert reader.count_fills() == 0
        assert time.monotonic() - started < 1.0
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize("name", ["trades.db", "trades.db-wal", "trades.db-shm"])
def test_a_link_planted_for_the_store_is_not_followed(tmp_path: Path, name: str) -> None:
    """SQLite follows links, so a link at trades.db (or its WAL / shared-memory file) would make a sync
    write into whatever it points at: it is refused before SQLite opens anything, the target untouched."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    TradeStore(home / "trades.db").close()  # the user's store, closed cleanly (no -wal/-shm left)
    if name == "trades.db":
        (home / name).unlink()
        TradeStore(tmp_path / "victim").close()  # somebody's database
    else:
        (tmp_path / "victim").write_bytes(b"precious bytes that are not ours " * 200)
    victim = tmp_path / "victim"
    victim.chmod(0o600)
    before = victim.read_bytes()
    (home / name).symlink_to(victim)
    with pytest.raises(InsecurePermissions, match=f"{home / name} is a symbolic link"):
        with TradeStore(home / "trades.db") as store:
            store.upsert_fills([row(1)])
    assert victim.read_bytes() == before
    assert (home / name).is_symlink()


@pytest.mark.parametrize("since", ["0999-01-01", "0999-01-01T00:00:00Z", "0500-06-01T12:00:00+00:00", "0001-01-02"])
def test_dates_before_year_1000_keep_four_digit_years(filled: TradeStore, since: str) -> None:
    """created_at sorts as text, so a bound must be 4-digit years too: '999-...' would sort after '2024-...'."""
    lower = time_bound(since, "since", upper=False)
    assert lower is not None and len(lower) == len("2024-03-01T00:00:00.000000Z") and lower < "1000"
    assert filled.count_fills(Filters.of(since=since)) == 45
    assert filled.count_fills(Filters.of(until=since)) == 0
    assert time_bound("0999-01-01", "until", upper=True) == "0999-01-01T23:59:59.999999Z"
    assert time_bound("0999-01-01T23:59:59.999999Z", "until", upper=True) == "0999-01-01T23:59:59.999999Z"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0000-01-01"])
def test_times_outside_the_calendar_are_a_clear_error(value: str) -> None:
    with pytest.raises(InvalidArgument, match="since must be an ISO date"):
        time_bound(value, "since", upper=False)
