"""Benchmark the Coinbase Exchange simulator at scale (a script, not a test).

Spawns ``python -m trade_tracker.sim --fills 1000000 --rate-limits off``, waits for its
ready line, then prints: time to build and bind, the server's RSS, and the latency
(p50 / p99) of signed ``GET /fills`` pages of 100 at random ``after`` / ``before``
cursors, with no cursor, and by ``order_id``.

    .venv/bin/python bench/bench_sim.py [--fills N] [--requests N]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]


def _signed_get(client: httpx.Client, cred: dict[str, str], path: str) -> httpx.Response:
    ts = str(time.time())
    mac = hmac.new(base64.b64decode(cred["secret"]), (ts + "GET" + path).encode(), hashlib.sha256)
    headers = {
        "CB-ACCESS-KEY": cred["key"],
        "CB-ACCESS-SIGN": base64.b64encode(mac.digest()).decode(),
        "CB-ACCESS-TIMESTAMP": ts,
        "CB-ACCESS-PASSPHRASE": cred["passphrase"],
    }
    return client.get(path, headers=headers)


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms   (n={len(ordered)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "server"), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "trade_tracker.sim", "--fills", str(args.fills), "--rate-limits", "off"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        build_s = time.perf_counter() - started
        url = ready["url"]
        rng = random.Random(7)
        with httpx.Client(base_url=url, timeout=30) as client:
            state = client.get("/_admin/state").json()["products"]
            rss_mb = psutil.Process(proc.pid).memory_info().rss / 2**20
            print(f"fills: {sum(p['fills'] for p in state.values()):,} across {len(state)} products")
            print(f"startup (generate + bind, incl. interpreter): {build_s:.2f} s")
            print(f"server RSS after startup: {rss_mb:.0f} MB")
            product = "BTC-USD"
            first, last = state[product]["first_trade_id"], state[product]["last_trade_id"]
            for _ in range(20):  # warm up
                _signed_get(client, ready, f"/fills?product_id={product}&limit=100")
            cases = {
                "no cursor": lambda: f"/fills?product_id={product}&limit=100",
                "after=random": lambda: f"/fills?product_id={product}&limit=100&after={rng.randint(first, last)}",
                "before=random": lambda: f"/fills?product_id={product}&limit=100&before={rng.randint(first, last)}",
            }
            order_ids = [f["order_id"] for f in _signed_get(client, ready, cases["after=random"]()).json()]
            cases["order_id"] = lambda: f"/fills?order_id={rng.choice(order_ids)}"
            for name, make_path in cases.items():
                samples = []
                for _ in range(args.requests):
                    path = make_path()
                    t0 = time.perf_counter()
                    response = _signed_get(client, ready, path)
                    samples.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.text
                print(f"GET /fills {name:14s} round trip  {_percentiles(samples)}")
            rss_mb = psutil.Process(proc.pid).memory_info().rss / 2**20
            print(f"server RSS after requests: {rss_mb:.0f} MB")
    finally:
        proc.terminate()
        code = proc.wait(timeout=15)
        print(f"server exit code after SIGTERM: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
