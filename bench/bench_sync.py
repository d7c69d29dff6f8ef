"""Benchmark: fills sync throughput (fills/s) and peak RSS against the local simulator.

Starts ``python -m trade_tracker.sim`` (rate limits off) with ``--fills`` fills, then runs,
each in its own child process so that peak RSS is that run's alone:

- ``floor``: the least any sync can do: a bare loop of signed httpx GETs of ``/fills``
  (``after=`` paging, 100 per page), ``json.loads`` and one ``executemany`` INSERT per
  page into a fresh trade store (same schema and indexes), committed per page;
- ``sync``: ``trade_tracker.sync.engine.sync_fills`` (pydantic-validated pages, per-page
  transaction with the cursor, change counting, the next page fetched while storing).

Prints one line per run and a summary with the ratio sync/floor (target >= 0.8).

    .venv/bin/python bench/bench_sync.py [--fills 100000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import raw_fill_rows, simulator

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    """Children get our environment minus trade-tracker settings and credentials, the package importable."""
    scrub = ("EX_", "FIELD_ENCRYPTION_KEY", "TRADE_TRACKER_", "SIM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrub)}
    env["PYTHONPATH"] = str(ROOT / "server")
    return env


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def _floor(url: str, key: str, secret: str, passphrase: str, db: str) -> dict[str, Any]:
    import httpx

    from trade_tracker.store.connection import TradeStore
    from trade_tracker.store.fills import FILL_COLUMNS

    secret_bytes = base64.b64decode(secret)
    insert = (  # the 16 Exchange fields, and Exchange's fill_key product_id:trade_id
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS[:16])}, fill_key) VALUES ({', '.join('?' * 16)}, ?1 || ':' || ?2)"
    )
    total = 0
    with TradeStore(db) as store:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            products = [p["id"] for p in (await http.get("/products")).json()]
            started = time.perf_counter()
            for product_id in products:
                after: int | None = None
                while True:
                    target = f"/fills?product_id={product_id}&limit=100" + (f"&after={after}" if after else "")
                    ts = str(int(time.time()))
                    sig = base64.b64encode(
                        hmac.new(secret_bytes, (ts + "GET" + target).encode(), hashlib.sha256).digest()
                    ).decode()
                    response = await http.get(
                        target,
                        headers={
                            "CB-ACCESS-KEY": key,
                            "CB-ACCESS-SIGN": sig,
                            "CB-ACCESS-TIMESTAMP": ts,
                            "CB-ACCESS-PASSPHRASE": passphrase,
                        },
                    )
                    page = json.loads(response.content)
                    if not page:
                        break
                    rows = raw_fill_rows(page, "floor")
                    with store.write() as conn:
                        conn.executemany(insert, rows)
                    total += len(rows)
                    after = page[-1]["trade_id"]
            seconds = time.perf_counter() - started
    return {"fills": total, "seconds": seconds}


async def _sync(url: str, key: str, secret: str, passphrase: str, db: str) -> dict[str, Any]:
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.sync.engine import sync_fills
    from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
    from trade_tracker.venues.ratelimit import RateLimits

    credential = ApiCredential(key, secret, passphrase, label="bench")
    with TradeStore(db) as store:
        async with CoinbaseClient(url, credential, rate_limits=RateLimits.disabled()) as client:
            products = [p.id for p in await client.list_products()]
            started = time.perf_counter()
            result = await sync_fills(store, client, "bench", products)
            seconds = time.perf_counter() - started
    return {"fills": result.inserted, "seconds": seconds, "requests": result.requests}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(mode: str, url: str, key: str, secret: str, passphrase: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "trades.db")
        run = _floor if mode == "floor" else _sync
        cpu = _cpu_seconds()
        out = asyncio.run(run(url, key, secret, passphrase, db))
        cpu = _cpu_seconds() - cpu
    out.update(
        mode=mode,
        fills_per_s=out["fills"] / out["seconds"],
        peak_rss_mb=_peak_rss_mb(),
        client_cpu_us_per_fill=cpu / out["fills"] * 1e6,
    )
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    parser.add_argument(
        "--child", nargs=5, metavar=("MODE", "URL", "KEY", "SECRET", "PASSPHRASE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    runs: dict[str, list[dict[str, Any]]] = {"floor": [], "sync": []}
    with simulator(fills=args.fills, seed=args.seed) as sim:  # the benchmarks' one simulator runner
        for _ in range(args.repeat):
            for mode in ("floor", "sync"):  # interleaved, so drift affects both alike
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        mode,
                        sim.url,
                        sim.key,
                        sim.secret,
                        sim.passphrase,
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=_env(),
                ).stdout
                run = json.loads(out.strip().splitlines()[-1])
                runs[mode].append(run)
                if not args.json:
                    print(
                        f"{mode:5}  {run['fills']:>7} fills  {run['seconds']:6.2f} s  "
                        f"{run['fills_per_s']:8.0f} fills/s  "
                        f"client CPU {run['client_cpu_us_per_fill']:5.1f} us/fill  "
                        f"peak RSS {run['peak_rss_mb']:6.1f} MB"
                    )
    floor = statistics.median(r["fills_per_s"] for r in runs["floor"])
    ours = statistics.median(r["fills_per_s"] for r in runs["sync"])
    summary = {
        "fills": args.fills,
        "floor_fills_per_s": round(floor),
        "sync_fills_per_s": round(ours),
        "ratio": round(ours / floor, 3),
        "sync_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["sync"]), 1),
        "floor_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["floor"]), 1),
        "sync_client_cpu_us_per_fill": round(statistics.median(r["client_cpu_us_per_fill"] for r in runs["sync"]), 1),
        "floor_client_cpu_us_per_fill": round(statistics.median(r["client_cpu_us_per_fill"] for r in runs["floor"]), 1),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"median: floor {summary['floor_fills_per_s']} fills/s, sync {summary['sync_fills_per_s']} fills/s, "
            f"ratio {summary['ratio']} (target >= 0.8); sync peak RSS {summary['sync_peak_rss_mb']} MB; "
            f"client CPU/fill floor {summary['floor_client_cpu_us_per_fill']} us, "
            f"sync {summary['sync_client_cpu_us_per_fill']} us"
        )


if __name__ == "__main__":
    main()
