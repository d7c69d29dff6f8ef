"""Bench 3, cold start: stdio spawn until ``initialize`` completes, ours against a bare MCPServer.

Why: the editor starts the server itself, and the user waits for it. Most of a Python MCP
server's start is the SDK's own import (about a second on a small VM), which we cannot
change; so the target is relative: at most 15% over a bare ``MCPServer`` with one trivial
tool (``bench/bare_server.py``), spawned the same way, in the same run.

How: each spawn is ``stdio_client`` + ``ClientSession.initialize()`` (the legacy handshake,
what editors do today); the clock runs from just before the spawn to the initialize
result. The client side (its imports) is warm in this process and identical for both.
Ours is ``python -m trade_tracker serve`` with no user settings inherited, on a
``TRADE_TRACKER_HOME`` whose store its warm-up spawn created (the everyday launch; a first
launch, which also creates and migrates the store, is timed 3 times for information). Spawns are
interleaved (ours, bare, ours, ...) after one discarded warm-up of each (disk cache), and
the figure is the median of 10 each.

When the ratio is over target, ``--importtime`` prints the heaviest imports that ours adds
over the bare server (``python -X importtime``).

    .venv/bin/python bench/bench_cold_start.py [--runs 10] [--importtime]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import BENCH_DIR, BenchResult, Row, child_env, median, print_rows

TARGET = 1.15


#: Where ``ours`` is imported from: the checkout's ``server/`` unless ``--pythonpath`` names another
#: tree (an experiment: time a patched copy of the package against the same bare server).
OURS_PYTHONPATH: list[str] = []


def _params(kind: str, home: Path) -> Any:
    from mcp import StdioServerParameters

    path = (
        os.pathsep.join([*OURS_PYTHONPATH, child_env()["PYTHONPATH"]]) if kind == "ours" else child_env()["PYTHONPATH"]
    )
    env = {"TRADE_TRACKER_HOME": str(home), "TRADE_TRACKER_LOG_LEVEL": "WARNING", "PYTHONPATH": path}
    if kind == "ours":
        return StdioServerParameters(
            command=sys.executable, args=["-m", "trade_tracker", "serve"], env=env, cwd=str(home.parent)
        )
    return StdioServerParameters(
        command=sys.executable, args=[str(BENCH_DIR / "bare_server.py")], env=env, cwd=str(home.parent)
    )


async def spawn_once(kind: str, home: Path, timeout: float = 60.0) -> float:
    """Seconds from spawn to a completed ``initialize`` (the process is closed afterwards)."""
    from mcp import ClientSession, stdio_client

    params = _params(kind, home)
    with open(os.devnull, "w") as errlog:
        started = time.perf_counter()
        async with (
            asyncio.timeout(timeout),
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            elapsed = time.perf_counter() - started
    return elapsed


async def _measure(runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"ours": [], "bare": [], "ours_first_launch": []}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for kind in ("ours", "bare"):  # warm-up: page cache, .pyc files; ours creates the store here
            await spawn_once(kind, home)
        for i in range(runs):
            for kind in ("ours", "bare") if i % 2 == 0 else ("bare", "ours"):
                samples[kind].append(await spawn_once(kind, home))
        for i in range(min(3, runs)):  # for information: a first launch (creates and migrates the store)
            samples["ours_first_launch"].append(await spawn_once("ours", Path(tmp) / f"first-{i}"))
    return samples


def heavy_imports(top: int = 15) -> list[tuple[str, float]]:
    """Modules ours imports that the bare server does not, by cumulative import ms (``-X importtime``)."""

    def load(args: list[str]) -> dict[str, tuple[int, int]]:
        with tempfile.TemporaryDirectory() as home:
            env = child_env(TRADE_TRACKER_HOME=home)
            env["PYTHONPATH"] = os.pathsep.join([*OURS_PYTHONPATH, env["PYTHONPATH"]])
            out = subprocess.run(
                [sys.executable, "-X", "importtime", *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
        found: dict[str, tuple[int, int]] = {}
        for line in out.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                self_us, cumulative, name = line[len("import time:") :].split("|", 2)
                if self_us.strip().isdigit():
                    found[name.strip()] = (int(self_us), int(cumulative))
        return found

    ours = load(["-m", "trade_tracker", "serve"])
    bare = load([str(BENCH_DIR / "bare_server.py")])
    extra = {k: v for k, v in ours.items() if k not in bare}
    ranked = sorted(extra.items(), key=lambda kv: -kv[1][1])[:top]
    total_self = sum(v[0] for v in extra.values()) / 1000
    return [("(all modules only ours imports, self time)", total_self)] + [(k, v[1] / 1000) for k, v in ranked]


def main(quick: bool = False, runs: int | None = None, importtime: bool = False) -> BenchResult:
    """Run bench 3: interleaved spawns of ours and the bare server; ratio of the medians."""
    runs = runs or (5 if quick else 10)
    started = time.perf_counter()
    samples = asyncio.run(_measure(runs))
    ours, bare = median(samples["ours"]), median(samples["bare"])
    ratio = ours / bare
    details: dict[str, Any] = {
        "runs": runs,
        "ours_ms": [round(s * 1000, 1) for s in samples["ours"]],
        "bare_ms": [round(s * 1000, 1) for s in samples["bare"]],
        "ours_median_ms": round(ours * 1000, 1),
        "bare_median_ms": round(bare * 1000, 1),
        "ours_first_launch_ms": [round(s * 1000, 1) for s in samples["ours_first_launch"]],
    }
    if importtime or ratio > TARGET:
        details["heavy_imports_ms"] = [(name, round(ms, 1)) for name, ms in heavy_imports()]
    row = Row(
        "3",
        "Cold start: spawn → initialize (stdio)",
        f"{ours * 1000:.0f} ms vs bare {bare * 1000:.0f} ms (median of {runs})",
        f"≤ {TARGET:.2f}× bare MCPServer",
        ratio,
        ratio <= TARGET,
        note=f"ours {min(samples['ours']) * 1000:.0f}–{max(samples['ours']) * 1000:.0f} ms, "
        f"bare {min(samples['bare']) * 1000:.0f}–{max(samples['bare']) * 1000:.0f} ms; "
        f"first launch (new store) {median(samples['ours_first_launch']) * 1000:.0f} ms"
        + (" [quick]" if quick else ""),
    )
    return BenchResult("cold_start", [row], details, time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="5 spawns each")
    parser.add_argument("--importtime", action="store_true", help="always list the heaviest extra imports")
    parser.add_argument(
        "--pythonpath", default=None, help="experiment: import ours from this source tree first (e.g. a patched copy)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.pythonpath:
        OURS_PYTHONPATH.append(args.pythonpath)
    result = main(args.quick, args.runs, args.importtime)
    if args.json:
        print(json.dumps(result.as_dict(), default=str))
    else:
        print_rows(result.rows)
        for name, ms in result.details.get("heavy_imports_ms", []):
            print(f"     {ms:8.1f} ms  {name}")
