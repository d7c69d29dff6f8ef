"""What one fill costs the sync, step by step, with no network: parsing, row building, storing.

Why: bench 2 says how fast the sync is; the py-spy profiles (``profile_sync.py``) say the
client's CPU goes to three places: turning a page into rows, the SQLite write, and httpx.
This measures the first two in isolation (CPU µs per fill, best of 3), with alternatives,
so a proposed change comes with the figure it would save.

Parsing, on the raw ``GET /fills`` bodies the simulator would send (pages of 100):

- ``json.loads`` + tuple per fill: the floor's work;
- ``TypeAdapter(list[Fill]).validate_json``: pydantic's own JSON parsing (it reads JSON numbers as
  float, which is why the client does not use it);
- ``json.loads(parse_float=Decimal)`` + ``validate_python``: the client's decoding and validation
  (Decimal, datetime, side, trade_id range, exponent bound);
- ``sync.fill_row`` per validated ``Fill``: back to exact strings for the store;
- a ``TypedDict`` of strings (money and time kept as the API's strings, checked by
  pattern in pydantic-core) validated straight from JSON, then a tuple per fill: what a
  sync-only fast path could do while still validating every field.

Storing, 100-fill pages of realistic rows, one transaction per page, into a fresh file each time, under:

- ``store``: the trade store as ``TradeStore`` creates it (PK, three indexes, the analytics
  triggers), plain INSERT (the floor's write);
- ``store+upsert``: the same, through ``upsert_rows`` (the sync's write: pre-select, then an
  ON CONFLICT upsert);
- ``no-trigger``: the store without the analytics triggers (what marking a book dirty once
  per page in Python, instead of once per row in SQL, would save);
- ``pk-only``: the fills table with its primary key only (no secondary index, no trigger);
- ``store, 10 pages/commit``: the store, committing every 10 pages instead of every page.

    .venv/bin/python bench/profile_costs.py [--fills 100000]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

Rows = list[tuple[Any, ...]]
Money = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", max_length=64)]
Stamp = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")]


class RawFill(TypedDict, total=False):
    """A /fills entry validated but kept as the API's strings (a possible sync fast path)."""

    trade_id: int
    product_id: str
    order_id: str
    side: str
    price: Money
    size: Money
    fee: Money
    created_at: Stamp
    liquidity: str | None
    settled: bool
    usd_volume: Money | None
    user_id: str | None
    profile_id: str | None
    funding_currency: str | None
    market_type: str | None


def sample_bodies(fills: int, page: int = 100) -> list[bytes]:
    """The simulator's history as /fills response bodies of ``page`` fills, newest first."""
    from trade_tracker.sim import SimExchange

    exchange = SimExchange(fills=fills, seed=7)
    raw = [h.fill(i) for h in exchange.histories for i in range(len(h) - 1, -1, -1)]
    return [json.dumps(raw[i : i + page]).encode() for i in range(0, len(raw), page)]


def parse_costs(bodies: list[bytes]) -> list[tuple[str, float]]:
    """CPU µs per fill of each way of turning a /fills body into store rows."""
    from pydantic import TypeAdapter

    from common import raw_fill_rows
    from trade_tracker.venues.coinbase_exchange.models import Fill
    from trade_tracker.venues.coinbase_exchange.walk import fill_row

    fills_adapter, raw_adapter = TypeAdapter(list[Fill]), TypeAdapter(list[RawFill])
    n = sum(len(json.loads(b)) for b in bodies)
    validated = [fills_adapter.validate_json(b) for b in bodies]

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            started = time.process_time()
            fn()
            times.append(time.process_time() - started)
        return min(times) / n * 1e6

    return [
        (
            "json.loads + tuple per fill (the floor)",
            best(lambda: [raw_fill_rows(json.loads(b), "bench") for b in bodies]),
        ),
        (
            "validate_json(list[Fill]) (pydantic's JSON: numbers as float)",
            best(lambda: [fills_adapter.validate_json(b) for b in bodies]),
        ),
        (
            "json.loads(parse_float=Decimal) + validate_python (the client)",
            best(lambda: [fills_adapter.validate_python(json.loads(b, parse_float=Decimal)) for b in bodies]),
        ),
        (
            "fill_row(Fill) per fill (the sync today)",
            best(lambda: [[fill_row(f, "x") for f in page] for page in validated]),
        ),
        (
            "validate_json(list[TypedDict of str]) + tuple (a fast path)",
            best(lambda: [raw_fill_rows(raw_adapter.validate_json(b), "bench") for b in bodies]),
        ),
    ]


def sample_pages(fills: int, page: int = 100) -> list[Rows]:
    """Realistic rows, in pages, as the floor builds them from the simulator's /fills JSON."""
    from common import raw_fill_rows

    return [raw_fill_rows(json.loads(b), "bench") for b in sample_bodies(fills, page)]


def _run(
    db: Path,
    pages: list[Rows],
    prepare: Callable[[Any], None],
    write: Callable[[sqlite3.Connection, Rows], None],
    pages_per_commit: int = 1,
) -> float:
    """Seconds of CPU per fill to write every page (each group of pages in one transaction)."""
    from trade_tracker.store.connection import TradeStore

    with TradeStore(db) as store:
        prepare(store)
        started = time.process_time()
        for i in range(0, len(pages), pages_per_commit):
            with store.write() as conn:
                for rows in pages[i : i + pages_per_commit]:
                    write(conn, rows)
        spent = time.process_time() - started
    return spent / sum(len(p) for p in pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=100_000)
    args = parser.parse_args()

    from trade_tracker.store.fills import FILL_COLUMNS, upsert_rows

    print(f"{args.fills:,} fills; CPU µs per fill (best of 3)")
    print("parsing a page into store rows:")
    for name, cost in parse_costs(sample_bodies(args.fills)):
        print(f"  {cost:6.1f} µs  {name}")
    insert = (  # the 16 Exchange fields, and Exchange's fill_key product_id:trade_id
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS[:16])}, fill_key) VALUES ({', '.join('?' * 16)}, ?1 || ':' || ?2)"
    )
    pages = sample_pages(args.fills)

    def plain(conn: sqlite3.Connection, rows: Rows) -> None:
        conn.executemany(insert, rows)

    def upsert(conn: sqlite3.Connection, rows: Rows) -> None:
        upsert_rows(conn, rows)

    def keep(store: Any) -> None:
        return None

    def no_trigger(store: Any) -> None:
        for name in ("analytics_fill_inserted", "analytics_fill_deleted", "analytics_fill_changed"):
            store.conn.execute(f"DROP TRIGGER IF EXISTS {name}")

    def pk_only(store: Any) -> None:
        no_trigger(store)
        for (name,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='fills' AND sql IS NOT NULL"
        ).fetchall():
            store.conn.execute(f"DROP INDEX {name}")

    cases: list[tuple[str, Callable[[Any], None], Callable[[sqlite3.Connection, Rows], None], int]] = [
        ("store (plain INSERT, the floor's write)", keep, plain, 1),
        ("store + upsert_rows (the sync's write)", keep, upsert, 1),
        ("no analytics trigger, upsert_rows", no_trigger, upsert, 1),
        ("PK only (no index, no trigger), plain INSERT", pk_only, plain, 1),
        ("store + upsert_rows, 10 pages per commit", keep, upsert, 10),
    ]
    print("storing pages of 100 fills, one transaction each:")
    for name, prepare, write, per_commit in cases:
        best = float("inf")
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                best = min(best, _run(Path(tmp) / "trades.db", pages, prepare, write, per_commit))
        print(f"  {best * 1e6:6.1f} µs  {name}")


if __name__ == "__main__":
    main()
