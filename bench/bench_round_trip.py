"""Bench 4, round trip: query_trades and trade_summary over stdio on 1,000,000 stored fills.

Why: how fast the editor's agent gets answers from the local store. The limits are
absolute (p50 ≤ 50 ms, p90 ≤ 500 ms), measured as the agent sees them: a JSON-RPC
``tools/call`` over a real stdio pipe to ``python -m trade_tracker serve``, from the
request's write to the parsed result, serialisation on both sides included.

How: a trade store with 1,000,000 fills is built directly (``TradeStore`` creates the
schema, migrations and analytics triggers; rows go in with ``executemany``): the
simulator's own synthetic history for 4 online products (BTC-USD, ETH-USD, SOL-USD,
ETH-BTC) plus the delisted MATIC-USD, the exact strings ``GET /fills`` would send, label
``bench``. The build is cached in ``bench/results/cache`` and copied for each run, so every
run starts from the same untouched store. The server is then spawned on it over stdio
(``ClientSession``, legacy handshake). The first ``trade_summary`` brings the analytics
cache up to date for the whole million (timed, reported for information), then every call
is warmed up 3 times, then measured 40 times, interleaved:

- ``query_trades`` with default arguments (newest 50 fills, all products);
- ``query_trades`` with ``product_id="ETH-USD"``;
- ``trade_summary`` with default arguments (per product, FIFO, all time).

    .venv/bin/python bench/bench_round_trip.py [--fills 1000000] [--calls 40] [--quick] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import RESULTS_DIR, BenchResult, Row, child_env, percentile, print_rows

DEFAULT_FILLS = 1_000_000
PRODUCTS = ("BTC-USD", "ETH-USD", "SOL-USD", "ETH-BTC")
LABEL = "bench"
P50_LIMIT_MS, P90_LIMIT_MS = 50.0, 500.0
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "query_trades": ("query_trades", {}),
    "query_trades product": ("query_trades", {"product_id": "ETH-USD"}),
    "trade_summary": ("trade_summary", {}),
}


def _schema_key() -> str:
    from trade_tracker.store.migrations import MIGRATIONS

    return "-".join(fn.__name__.split("_")[0] for fn in MIGRATIONS)


def build_store(path: Path, fills: int, seed: int = 7) -> dict[str, Any]:
    """Create a trade store at ``path`` holding ``fills`` realistic fills; return counts and timings."""
    from common import raw_fill_rows
    from trade_tracker.sim import SimExchange
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.store.fills import FILL_COLUMNS

    started = time.perf_counter()
    exchange = SimExchange(fills=fills, products=PRODUCTS, seed=seed)
    insert = (  # the 16 Exchange fields, and Exchange's fill_key product_id:trade_id
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS[:16])}, fill_key) VALUES ({', '.join('?' * 16)}, ?1 || ':' || ?2)"
    )
    with TradeStore(path) as store:
        for history in exchange.histories:
            for start in range(0, len(history), 50_000):
                page = [history.fill(i) for i in range(start, min(start + 50_000, len(history)))]
                with store.write("bench load") as conn:
                    conn.executemany(insert, raw_fill_rows(page, LABEL))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (count,) = store.conn.execute("SELECT count(*) FROM fills").fetchone()
    return {"fills": count, "products": exchange.product_ids(), "build_seconds": time.perf_counter() - started}


def cached_store(fills: int, rebuild: bool = False) -> tuple[Path, dict[str, Any]]:
    """The built store for ``fills`` (from the cache, or built now), and what it holds."""
    cache = RESULTS_DIR / "cache"
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = cache / f"trades-{fills}-{_schema_key()}.db"
    meta_path = path.with_suffix(".json")
    if rebuild or not (path.exists() and meta_path.exists()):
        for stale in cache.glob(f"trades-{fills}-*"):
            stale.unlink()
        meta = build_store(path, fills)
        meta_path.write_text(json.dumps(meta))
    meta = json.loads(meta_path.read_text())
    return path, meta


def copy_store(source: Path, home: Path) -> Path:
    """A private copy of the cached store as ``home/trades.db`` (0600 in a 0700 directory)."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = home / "trades.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    os.chmod(target, 0o600)
    return target


async def _session_calls(home: Path, calls: int, warmup: int) -> dict[str, Any]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    env = {
        "TRADE_TRACKER_HOME": str(home),
        "TRADE_TRACKER_LOG_LEVEL": "WARNING",
        "PYTHONPATH": child_env()["PYTHONPATH"],
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "trade_tracker", "serve"], env=env, cwd=str(home)
    )
    samples: dict[str, list[float]] = {name: [] for name in CALLS}
    sizes: dict[str, int] = {}
    with open(os.devnull, "w") as errlog:
        async with (
            asyncio.timeout(1200),
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            started = time.perf_counter()
            first = await session.call_tool("trade_summary", {})
            first_ms = (time.perf_counter() - started) * 1000
            if first.is_error:
                raise RuntimeError(f"trade_summary failed: {first.content}")
            for round_ in range(warmup + calls):
                for name, (tool, arguments) in CALLS.items():
                    started = time.perf_counter()
                    result = await session.call_tool(tool, arguments)
                    elapsed = (time.perf_counter() - started) * 1000
                    if result.is_error:
                        raise RuntimeError(f"{tool} failed: {result.content}")
                    if round_ >= warmup:
                        samples[name].append(elapsed)
                    sizes[name] = len(result.model_dump_json(by_alias=True, exclude_none=True))
    return {"samples": samples, "first_summary_ms": first_ms, "result_bytes": sizes}


def main(quick: bool = False, fills: int | None = None, calls: int | None = None, rebuild: bool = False) -> BenchResult:
    """Run bench 4: build (or reuse) the store, spawn the server, time the calls."""
    fills = fills or (200_000 if quick else DEFAULT_FILLS)
    calls = calls or (20 if quick else 40)
    started = time.perf_counter()
    source, meta = cached_store(fills, rebuild)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        copy_store(source, home)
        run = asyncio.run(_session_calls(home, calls, warmup=3))
    rows: list[Row] = []
    details: dict[str, Any] = {
        "fills": meta["fills"],
        "store_build_seconds": round(meta["build_seconds"], 1),
        "first_trade_summary_ms": round(run["first_summary_ms"], 1),
        "calls": calls,
        "result_bytes": run["result_bytes"],
        "ms": {},
    }
    scale = f"{meta['fills']:,} fills" + (" [quick]" if quick else "")
    for name, samples in run["samples"].items():
        p50, p90 = percentile(samples, 50), percentile(samples, 90)
        details["ms"][name] = {
            "p50": round(p50, 2),
            "p90": round(p90, 2),
            "max": round(max(samples), 2),
            "min": round(min(samples), 2),
        }
        ratio = max(p50 / P50_LIMIT_MS, p90 / P90_LIMIT_MS)
        arguments = CALLS[name][1]
        what = f"Round trip: {CALLS[name][0]}" + (f" {json.dumps(arguments)}" if arguments else " (defaults)")
        rows.append(
            Row(
                f"4{'abc'[len(rows)]}",
                what,
                f"p50 {p50:.1f} ms, p90 {p90:.1f} ms",
                "p50 ≤ 50 ms, p90 ≤ 500 ms",
                ratio,
                ratio <= 1.0,
                note=f"{scale}, {calls} calls; ratio = worst of p50/50 ms and p90/500 ms"
                + (
                    f"; first call (analytics cache build) {run['first_summary_ms']:.0f} ms"
                    if name == "trade_summary"
                    else ""
                ),
            )
        )
    return BenchResult("round_trip", rows, details, time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="200,000 fills, 20 calls each")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached store")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = main(args.quick, args.fills, args.calls, args.rebuild)
    if args.json:
        print(json.dumps(result.as_dict(), default=str))
    else:
        print_rows(result.rows)
