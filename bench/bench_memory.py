"""Bench 5, memory: peak RSS during a 1,000,000-fill sync against the process at rest.

Why: the sync runs inside the MCP server, which the editor keeps running all day; a sync
of a long history must not balloon it. The target is relative to the same process at
rest: peak ≤ idle + 60 MB.

How: the simulator (a separate process, rate limits off) serves 1,000,000 fills. A child
process plays the server: it imports what the running server has imported (the MCP face
and the core), opens ``TradeTracker`` on a fresh ``TRADE_TRACKER_HOME`` with the env
credential, and creates the exchange client. That is **idle**, sampled for half a second
after a ``gc.collect()``. Then it runs the server's own sync path, ``TradeTracker.sync_fills``
(every product, explicitly; the fills sync, then the analytics cache refresh the server
does after a sync), with ``RateLimits.disabled()`` (at the real limit a million fills
take 17 minutes; the memory profile does not depend on the pace). A thread in the child
samples its RSS every 10 ms, tagged by phase; the parent samples the child too (psutil)
as a cross-check. The figure is max(peak) − idle.

    .venv/bin/python bench/bench_memory.py [--fills 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from common import BENCH_DIR, BenchResult, Row, child_env, print_rows, simulator, stop_process

LIMIT_MB = 60.0
DEFAULT_FILLS = 1_000_000
MB = 2**20


class PhaseSampler(threading.Thread):
    """Samples this process's RSS every ``interval`` s; keeps the max per phase."""

    def __init__(self, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self.idle_samples: list[int] = []
        self._halt = threading.Event()
        self._proc = psutil.Process()

    def run(self) -> None:
        while not self._halt.is_set():
            rss = self._proc.memory_info().rss
            phase = self.phase
            self.peaks[phase] = max(self.peaks.get(phase, 0), rss)
            if phase == "idle":
                self.idle_samples.append(rss)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


async def _child_run(
    url: str, key: str, secret: str, passphrase: str, home: Path, sampler: PhaseSampler
) -> dict[str, Any]:
    import httpx

    import trade_tracker.faces.mcp.server  # noqa: F401  (the running server has it imported)
    from trade_tracker.analytics.cache import refresh_cache
    from trade_tracker.app import TradeTracker
    from trade_tracker.config import load_settings
    from trade_tracker.sync.engine import sync_fills
    from trade_tracker.venues.ratelimit import RateLimits

    async with httpx.AsyncClient(base_url=url, timeout=10) as public:
        products = [p["id"] for p in (await public.get("/products")).json()]
    settings = load_settings(
        trade_tracker_home=home,
        ex_base_url=url,
        ex_api_key_read=key,
        ex_api_secret_read=secret,
        ex_api_passphrase_read=passphrase,
        field_encryption_key=None,
        use_keyring=False,
    )
    tracker = TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    try:
        label, client = tracker.client_for(None)
        gc.collect()
        sampler.phase = "idle"
        await asyncio.sleep(0.5)
        sampler.phase = "sync"
        started = time.perf_counter()
        # TradeTracker.sync_fills is exactly these two steps; they are run apart to see each one's peak.
        result = await sync_fills(tracker.store, client, label, products)
        sync_seconds = time.perf_counter() - started
        sampler.phase = "analytics refresh"
        started = time.perf_counter()
        refresh_cache(tracker.store)
        refresh_seconds = time.perf_counter() - started
        sampler.phase = "done"
    finally:
        await tracker.aclose()
    return {
        "inserted": result.inserted,
        "requests": result.requests,
        "sync_seconds": sync_seconds,
        "refresh_seconds": refresh_seconds,
        "label": label,
    }


def _child(url: str, key: str, secret: str, passphrase: str) -> dict[str, Any]:
    sampler = PhaseSampler()
    sampler.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = asyncio.run(_child_run(url, key, secret, passphrase, Path(tmp) / "home", sampler))
    finally:
        sampler.stop()
    idle = sorted(sampler.idle_samples)[len(sampler.idle_samples) // 2] if sampler.idle_samples else 0
    out.update(
        idle_mb=idle / MB,
        peaks_mb={k: v / MB for k, v in sampler.peaks.items()},
        idle_samples=len(sampler.idle_samples),
    )
    return out


def _watch(pid: int, stop: threading.Event, found: list[int]) -> None:
    """Parent-side cross-check: the child's max RSS, sampled every 20 ms."""
    try:
        proc = psutil.Process(pid)
        while not stop.is_set():
            found[0] = max(found[0], proc.memory_info().rss)
            stop.wait(0.02)
    except psutil.Error:
        return


def main(quick: bool = False, fills: int | None = None) -> BenchResult:
    """Run bench 5: a simulator, then one child that syncs every fill while its RSS is sampled."""
    fills = fills or (100_000 if quick else DEFAULT_FILLS)
    started = time.perf_counter()
    with simulator(fills, rate_limits=False, timeout=300) as sim:
        cmd = [sys.executable, str(BENCH_DIR / "bench_memory.py"), "--child", *sim.credential_args()]
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
        )
        stop, parent_max = threading.Event(), [0]
        watcher = threading.Thread(target=_watch, args=(proc.pid, stop, parent_max), daemon=True)
        watcher.start()
        try:
            out, err = proc.communicate(timeout=1800)
        finally:
            stop.set()
            stop_process(proc)
        if proc.returncode != 0 or not out.strip():
            raise RuntimeError(f"memory child failed (rc {proc.returncode}): {err[-2000:]}")
        run = json.loads(out.strip().splitlines()[-1])
    if run["inserted"] != fills:
        raise RuntimeError(f"synced {run['inserted']} fills, expected {fills}")
    peaks = run["peaks_mb"]
    sync_peak = peaks.get("sync", 0.0)
    refresh_peak = peaks.get("analytics refresh", 0.0)
    peak = max(sync_peak, refresh_peak)
    growth = peak - run["idle_mb"]
    details = {
        "fills": fills,
        "idle_mb": round(run["idle_mb"], 1),
        "peaks_mb": {k: round(v, 1) for k, v in peaks.items()},
        "parent_sampled_max_mb": round(parent_max[0] / MB, 1),
        "sync_seconds": round(run["sync_seconds"], 1),
        "refresh_seconds": round(run["refresh_seconds"], 1),
        "requests": run["requests"],
        "simulator_startup_seconds": round(sim.startup_seconds, 1),
    }
    row = Row(
        "5",
        "Memory: peak RSS during a sync vs idle",
        f"+{growth:.1f} MB (idle {run['idle_mb']:.0f} MB, peak {peak:.0f} MB)",
        "≤ idle + 60 MB",
        growth / LIMIT_MB,
        growth <= LIMIT_MB,
        note=f"{fills:,} fills in {run['sync_seconds']:.0f} s; sync phase +{sync_peak - run['idle_mb']:.1f} MB, "
        f"analytics refresh +{refresh_peak - run['idle_mb']:.1f} MB ({run['refresh_seconds']:.1f} s)"
        + (" [quick]" if quick else ""),
    )
    return BenchResult("memory", [row], details, time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="100,000 fills")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("URL", "KEY", "SECRET", "PASSPHRASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.pop("TRADE_TRACKER_HOME", None)
        print(json.dumps(_child(*args.child)))
    else:
        result = main(args.quick, args.fills)
        if args.json:
            print(json.dumps(result.as_dict(), default=str))
        else:
            print_rows(result.rows)
