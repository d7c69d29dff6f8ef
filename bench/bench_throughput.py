"""Bench 2, sync cost: fills/s of our sync against ccxt and against the floor, limits off.

Why: with the rate limit out of the way, what is left is our own cost per fill. Two peers
bound it, measured on the same simulator in the same run:

- ``ccxt``: ccxt's ``coinbaseexchange`` (async, ``ccxt.async_support``, over aiohttp; the
  async flavour because our client is async too, and ccxt's async is its faster path), a
  ``fetch_my_trades(symbol, limit=100, params={"after": cursor})`` loop paged by the
  ``CB-AFTER`` header, each page's raw fills (``trade["info"]``, the exact strings)
  inserted with ``executemany``. ``enableRateLimit`` off; markets loaded before the clock.
- ``floor``: the least any sync can do: a bare loop of signed ``httpx.AsyncClient`` GETs
  (the same HTTP stack as ours), ``json.loads`` and ``executemany``: no models, no limiter,
  no retries, no sync state.
- ``sync``: the product's ``sync_fills`` with ``RateLimits.disabled()`` (pydantic-validated
  pages, one transaction per page with its cursor, change counting, next page prefetched).

All three write into a fresh trade store created by ``TradeStore`` (same schema, indexes,
analytics triggers, WAL, synchronous=NORMAL) and commit once per page, so the comparison
is of the code, not of the schema. Each run is its own child process (fresh interpreter,
its own peak RSS and CPU time); runs are interleaved and rotated so drift hits all alike;
one short warm-up run of each mode comes first. The figure is the median fills/s.

    .venv/bin/python bench/bench_throughput.py [--fills 100000] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib
import json
import os
import resource
import tempfile
import time
from typing import Any

import psutil

from common import BENCH_DIR, BenchResult, Row, median, print_rows, raw_fill_rows, run_child, sign_headers, simulator

MODES = ("floor", "ccxt", "sync")
DEFAULT_FILLS = 100_000
WARMUP_PAGES = 40
#: A bound on any loop's pages (10 million fills): a paging bug must not spin forever.
MAX_PAGES = 100_000
_INSERT_LABEL = "bench"


def _insert_sql() -> str:
    from trade_tracker.store.fills import FILL_COLUMNS

    return (  # the 16 Exchange fields, and Exchange's fill_key product_id:trade_id
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS[:16])}, fill_key) VALUES ({', '.join('?' * 16)}, ?1 || ':' || ?2)"
    )


async def _floor(
    url: str, key: str, secret: str, passphrase: str, db: str, products: list[str], max_pages: int | None
) -> dict[str, Any]:
    import httpx

    from trade_tracker.store.connection import TradeStore

    secret_bytes, insert, total, pages = base64.b64decode(secret), _insert_sql(), 0, 0
    with TradeStore(db) as store:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            started = time.perf_counter()
            for product_id in products:
                after: int | None = None
                while pages < (max_pages or MAX_PAGES):
                    target = f"/fills?product_id={product_id}&limit=100" + (f"&after={after}" if after else "")
                    response = await http.get(target, headers=sign_headers(key, secret_bytes, passphrase, target))
                    response.raise_for_status()
                    page = json.loads(response.content)
                    pages += 1
                    if not page:
                        break
                    with store.write() as conn:
                        conn.executemany(insert, raw_fill_rows(page, _INSERT_LABEL))
                    total += len(page)
                    after = page[-1]["trade_id"]
            seconds = time.perf_counter() - started
    return {"fills": total, "seconds": seconds, "pages": pages}


async def _ccxt(
    url: str, key: str, secret: str, passphrase: str, db: str, products: list[str], max_pages: int | None
) -> dict[str, Any]:
    import ccxt.async_support as ccxt

    from trade_tracker.store.connection import TradeStore

    exchange = ccxt.coinbaseexchange(
        {
            "apiKey": key,
            "secret": secret,
            "password": passphrase,
            "enableRateLimit": False,
            "urls": {"api": {"public": url, "private": url}},
        }
    )
    exchange.has["fetchCurrencies"] = False  # the simulator has no /currencies; markets come from /products
    insert, total, pages = _insert_sql(), 0, 0
    try:
        await exchange.load_markets()
        symbols = [exchange.markets_by_id[p][0]["symbol"] for p in products]
        with TradeStore(db) as store:
            started = time.perf_counter()
            for symbol in symbols:
                after: int | None = None
                while pages < (max_pages or MAX_PAGES):
                    params = {"after": after} if after is not None else {}
                    trades = await exchange.fetch_my_trades(symbol, limit=100, params=params)
                    pages += 1
                    if not trades:
                        break
                    with store.write() as conn:
                        conn.executemany(insert, raw_fill_rows([t["info"] for t in trades], _INSERT_LABEL))
                    total += len(trades)
                    headers = {k.lower(): v for k, v in (exchange.last_response_headers or {}).items()}
                    cursor = headers.get("cb-after")
                    after = int(cursor) if cursor else min(int(t["id"]) for t in trades)
            seconds = time.perf_counter() - started
    finally:
        await exchange.close()
    return {"fills": total, "seconds": seconds, "pages": pages}


async def _sync(
    url: str, key: str, secret: str, passphrase: str, db: str, products: list[str], max_pages: int | None
) -> dict[str, Any]:
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.sync.engine import sync_fills
    from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
    from trade_tracker.venues.ratelimit import RateLimits

    cancel = asyncio.Event()

    def progress(p: Any) -> None:  # warm-up only: stop after max_pages pages
        if max_pages is not None and p.pages >= max_pages:
            cancel.set()

    credential = ApiCredential(key, secret, passphrase, label=_INSERT_LABEL)
    with TradeStore(db) as store:
        async with CoinbaseClient(url, credential, rate_limits=RateLimits.disabled()) as client:
            started = time.perf_counter()
            result = await sync_fills(store, client, _INSERT_LABEL, products, progress=progress, cancel=cancel)
            seconds = time.perf_counter() - started
    return {"fills": result.inserted, "seconds": seconds, "pages": result.pages}


#: Imported before the CPU clock starts, so a mode's CPU per fill excludes its import time.
_PRELOAD = {
    "floor": ("httpx", "trade_tracker.store.connection"),
    "ccxt": ("ccxt.async_support", "trade_tracker.store.connection"),
    "sync": (
        "trade_tracker.sync",
        "trade_tracker.venues.coinbase_exchange.client",
        "trade_tracker.venues.coinbase_exchange.auth",
    ),
}


def _child(
    mode: str, url: str, key: str, secret: str, passphrase: str, products: list[str], max_pages: int | None
) -> dict[str, Any]:
    runner = {"floor": _floor, "ccxt": _ccxt, "sync": _sync}[mode]
    for module in _PRELOAD[mode]:
        importlib.import_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out = asyncio.run(runner(url, key, secret, passphrase, os.path.join(tmp, "trades.db"), products, max_pages))
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    out.update(
        mode=mode,
        fills_per_s=out["fills"] / out["seconds"] if out["seconds"] else 0.0,
        cpu_us_per_fill=cpu / max(1, out["fills"]) * 1e6,
        peak_rss_mb=after.ru_maxrss / 1024,
    )
    return out


def _products(url: str) -> list[str]:
    import httpx

    return [p["id"] for p in httpx.get(f"{url}/products", timeout=10).json()]


def main(quick: bool = False, fills: int | None = None, repeat: int | None = None) -> BenchResult:
    """Run bench 2: warm-up, then ``repeat`` interleaved rounds of floor, ccxt and sync."""
    fills = fills or (50_000 if quick else DEFAULT_FILLS)
    repeat = repeat or (1 if quick else 3)
    started = time.perf_counter()
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    with simulator(fills, rate_limits=False) as sim:
        products = _products(sim.url)
        script = str(BENCH_DIR / "bench_throughput.py")

        server = psutil.Process(sim.pid)

        def child(mode: str, max_pages: int | None) -> dict[str, Any]:
            args = [script, "--child", mode, *sim.credential_args(), ",".join(products)]
            if max_pages is not None:
                args += ["--max-pages", str(max_pages)]
            before = server.cpu_times()
            out = run_child(args, timeout=600)
            after = server.cpu_times()
            spent = (after.user - before.user) + (after.system - before.system)
            out["sim_cpu_us_per_fill"] = spent / max(1, out["fills"]) * 1e6
            return out

        for mode in MODES:
            child(mode, WARMUP_PAGES)
        for round_ in range(repeat):
            order = MODES[round_ % 3 :] + MODES[: round_ % 3]
            for mode in order:
                runs[mode].append(child(mode, None))
    for mode, rs in runs.items():
        for r in rs:
            if r["fills"] != fills:
                raise RuntimeError(f"{mode} stored {r['fills']} fills, expected {fills}")
    rate = {m: median([r["fills_per_s"] for r in rs]) for m, rs in runs.items()}
    details: dict[str, Any] = {
        "fills": fills,
        "repeat": repeat,
        "products": products,
        "fills_per_s": {m: round(v) for m, v in rate.items()},
        "runs": {
            m: [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rs]
            for m, rs in runs.items()
        },
        "floor_over_ccxt": rate["floor"] / rate["ccxt"],
    }
    vs_ccxt, vs_floor = rate["sync"] / rate["ccxt"], rate["sync"] / rate["floor"]
    scale = f"{fills:,} fills, median of {repeat}" + (" [quick]" if quick else "")
    cpu = {m: median([r["cpu_us_per_fill"] for r in rs]) for m, rs in runs.items()}
    sim_cpu = median([r["sim_cpu_us_per_fill"] for rs in runs.values() for r in rs])
    details["client_cpu_us_per_fill"] = {m: round(v, 1) for m, v in cpu.items()}
    details["sim_cpu_us_per_fill"] = round(sim_cpu, 1)
    rows = [
        Row(
            "2a",
            "Sync vs ccxt, limits off (fills/s)",
            f"{rate['sync']:,.0f} vs ccxt {rate['ccxt']:,.0f} fills/s",
            "≥ 2× ccxt",
            vs_ccxt,
            vs_ccxt >= 2.0,
            note=f"{scale}; client CPU/fill: sync {cpu['sync']:.0f} µs, ccxt {cpu['ccxt']:.0f} µs, "
            f"floor {cpu['floor']:.0f} µs, simulator {sim_cpu:.0f} µs; "
            f"floor/ccxt {details['floor_over_ccxt']:.2f}×",
        ),
        Row(
            "2b",
            "Sync vs the floor, limits off (fills/s)",
            f"{rate['sync']:,.0f} vs floor {rate['floor']:,.0f} fills/s",
            "≥ 0.8× the floor",
            vs_floor,
            vs_floor >= 0.8,
        ),
    ]
    return BenchResult("throughput", rows, details, time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="50,000 fills, one round")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--child", nargs=6, metavar=("MODE", "URL", "KEY", "SECRET", "PASSPHRASE", "PRODUCTS"), help=argparse.SUPPRESS
    )
    parser.add_argument("--max-pages", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, key, secret, passphrase, products = args.child
        print(json.dumps(_child(mode, url, key, secret, passphrase, products.split(","), args.max_pages)))
    else:
        result = main(args.quick, args.fills, args.repeat)
        if args.json:
            print(json.dumps(result.as_dict(), default=str))
        else:
            print_rows(result.rows)
