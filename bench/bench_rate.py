"""Bench 1, rate ceiling: how close a first full sync runs to Coinbase's /fills limit, with no 429.

Why: a first sync of a long history is bounded by the exchange's rate limit (``/fills``:
10 requests/s sustained, bursts of 20). The client must run at that ceiling, not below it
(slow first sync) and not above it (429s, retries, and a slower sync after all).

How: the simulator runs with its rate limits on (the documented token buckets). The
product's ``sync_fills`` runs in this process with the process-shared ``RateLimits`` at the
documented rates, as the server does, over explicit product ids (no /accounts or /products
calls), into a fresh trade store. A counting httpx transport (passed through the client's
``transport=`` hook) records the send time and status of every request, so 429s are counted
on the wire: a 429 that the client then retries still counts.

The figure is the rate over the sustained part: from the request after the first burst of
20 to the last /fills request, ``(n_last − 20) / (t_last − t_20)``, against 10 req/s. The sync
is sized so it lasts about 35 s (350+ requests), so the burst cannot flatter the figure.

    .venv/bin/python bench/bench_rate.py [--fills 36000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from common import BenchResult, Row, print_rows, simulator

FILLS_RATE = 10.0
FILLS_BURST = 20
DEFAULT_FILLS = 36_000
QUICK_FILLS = 12_000


class CountingTransport(httpx.AsyncHTTPTransport):
    """An ordinary httpx transport that notes (send time, path, status) of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[float, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.perf_counter()
        response = await super().handle_async_request(request)
        self.log.append((sent, request.url.path, response.status_code))
        return response


async def _sync(
    url: str, key: str, secret: str, passphrase: str, db: Path, client_burst: int | None = None
) -> dict[str, Any]:
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.sync.engine import sync_fills
    from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
    from trade_tracker.venues.coinbase_exchange.limits import BUCKETS
    from trade_tracker.venues.ratelimit import BucketSpec, RateLimits

    transport = CountingTransport()
    async with httpx.AsyncClient(base_url=url, timeout=10) as public:  # outside the client: not counted
        products = [p["id"] for p in (await public.get("/products")).json()]
    # What the product uses (app.TradeTracker): the buckets shared across processes through files.
    limits = RateLimits.across_processes(db.parent / "ratelimit-state", "exchange", url, BUCKETS)
    if client_burst is not None:  # an experiment: the client's /fills bucket smaller than the documented one
        limits = RateLimits({**BUCKETS, "fills": BucketSpec(rate=BUCKETS["fills"].rate, burst=client_burst)})
    credential = ApiCredential(key, secret, passphrase, label="bench")
    with TradeStore(db) as store:
        async with CoinbaseClient(url, credential, rate_limits=limits, transport=transport) as client:
            started = time.perf_counter()
            async with asyncio.timeout(600):
                result = await sync_fills(store, client, "bench", products)
            seconds = time.perf_counter() - started
    return {
        "products": products,
        "inserted": result.inserted,
        "requests": result.requests,
        "seconds": seconds,
        "log": transport.log,
    }


def analyse(log: list[tuple[float, str, int]], burst: int = FILLS_BURST) -> dict[str, Any]:
    """Sustained /fills rate after the burst, overall rate, and the 429 count, from the wire log.

    Only answered requests (not 429) count towards the rate: a refused request is a wasted slot.
    """
    fills = sorted(t for t, path, status in log if path == "/fills" and status != 429)
    first_429 = [round(t - log[0][0], 3) for t, _, status in log if status == 429][:5]
    too_many = sum(1 for _, _, status in log if status == 429)
    other = sorted({path for _, path, _ in log if path != "/fills"})
    if len(fills) <= burst + 1:
        raise RuntimeError(f"only {len(fills)} /fills requests: too few to see the sustained rate")
    sustained = (len(fills) - 1 - burst) / (fills[-1] - fills[burst])
    overall = (len(fills) - 1) / (fills[-1] - fills[0])
    ideal_span = (len(fills) - burst) / FILLS_RATE  # the bucket's best case for this many requests
    return {
        "fills_requests": len(fills),
        "other_paths": other,
        "requests_total": len(log),
        "status_429": too_many,
        "first_429_at_seconds": first_429,
        "sustained_req_per_s": sustained,
        "overall_req_per_s": overall,
        "span_seconds": fills[-1] - fills[0],
        "ideal_span_seconds": ideal_span,
    }


def main(quick: bool = False, fills: int | None = None, client_burst: int | None = None) -> BenchResult:
    """Run bench 1; returns its table row and the raw figures.

    ``client_burst`` replaces the client's /fills burst (an experiment; the product uses 20).
    """
    fills = fills or (QUICK_FILLS if quick else DEFAULT_FILLS)
    started = time.perf_counter()
    with simulator(fills, rate_limits=True) as sim, tempfile.TemporaryDirectory() as tmp:
        run = asyncio.run(_sync(sim.url, sim.key, sim.secret, sim.passphrase, Path(tmp) / "trades.db", client_burst))
    stats = analyse(run.pop("log"))
    stats.update(
        fills=fills,
        inserted=run["inserted"],
        sync_seconds=round(run["seconds"], 2),
        products=run["products"],
        client_burst=client_burst or FILLS_BURST,
    )
    ratio = stats["sustained_req_per_s"] / FILLS_RATE
    row = Row(
        id="1",
        what="Rate ceiling: /fills req/s, limits on",
        figure=f"{stats['sustained_req_per_s']:.2f} req/s sustained, {stats['status_429']} × 429",
        target="≥ 95% of 10 req/s, zero 429",
        ratio=ratio,
        passed=ratio >= 0.95 and stats["status_429"] == 0,
        note=(
            f"{stats['fills_requests']} /fills requests over {stats['span_seconds']:.1f} s "
            f"(bucket's best: {stats['ideal_span_seconds']:.1f} s); overall incl. burst "
            f"{stats['overall_req_per_s']:.2f} req/s; {stats['inserted']:,} fills stored"
            + (
                f"; 429 at {', '.join(f'{t:.1f}' for t in stats['first_429_at_seconds'])} s"
                if stats["status_429"]
                else ""
            )
            + (" [quick]" if quick else "")
            + (f" [EXPERIMENT: client burst {client_burst}]" if client_burst else "")
        ),
    )
    return BenchResult("rate", [row], stats, time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FILLS:,} fills (about 12 s)")
    parser.add_argument(
        "--client-burst",
        type=int,
        default=None,
        help="experiment: the client's /fills bucket burst (the product uses the documented 20)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = main(args.quick, args.fills, args.client_burst)
    print(json.dumps(result.as_dict(), default=str) if args.json else "")
    if not args.json:
        print_rows(result.rows)
