"""Profile where a sync spends its CPU: py-spy on each bench-2 mode (floor, ccxt, sync) and the simulator.

Why: bench 2 compares fills/s; when a target is missed, this says which code the time goes
to. py-spy samples only running (non-idle) stacks by default, so the shares below are shares
of CPU, not of wall time spent waiting for the simulator. The simulator is sampled too
(``py-spy record --pid``) while each mode runs, since on two cores its CPU competes with ours.

Prints, per process, the functions with the largest inclusive share of samples, and a few
named buckets (SQLite writes, JSON/pydantic parsing, HTTP client, signing, event loop).

    .venv/bin/python bench/profile_sync.py [--fills 50000] [--modes floor,ccxt,sync] [--top 25]

Needs py-spy (``pip install py-spy``); on Linux it needs ptrace rights over its own children.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BENCH_DIR, child_env, simulator, stop_process

#: Buckets: a sample counts towards a bucket when any frame of its stack contains one of the needles.
BUCKETS: dict[str, tuple[str, ...]] = {
    "sqlite write (executemany/commit)": ("executemany", "commit_page", "upsert_rows", "TradeStore.write"),
    "parse (json / pydantic / ccxt parse)": (
        "validate_json",
        "loads (json",
        "parse_trades",
        "parse_trade ",
        "_rows (trade_tracker",
        "fill_row",
    ),
    "HTTP client (httpx / httpcore / aiohttp)": ("httpx/", "httpcore/", "aiohttp/"),
    "request signing": ("sign (", "auth_flow", "sign_headers", "hmac"),
    "rate limiter / retry (stamina, aiolimiter)": ("stamina/", "tenacity/", "aiolimiter/"),
    "simulator: fill rendering": ("fills_page", "ProductHistory.fill", "history.fill"),
    "simulator: JSON response": ("json_response", "render", "dumps (json"),
    "simulator: uvicorn / starlette": ("uvicorn/", "starlette/"),
    "imports": ("_find_and_load",),
}


def read_stacks(path: Path) -> collections.Counter[str]:
    """py-spy's raw (collapsed) output: ``frame;frame;... count`` per line."""
    stacks: collections.Counter[str] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def summarize(stacks: collections.Counter[str], top: int) -> list[str]:
    """Top functions by inclusive share, then the buckets."""
    total = sum(stacks.values()) or 1
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    buckets: collections.Counter[str] = collections.Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += count
        self_time[frames[-1]] += count
        for name, needles in BUCKETS.items():
            if any(n in stack for n in needles):
                buckets[name] += count
    lines = [f"  samples: {total}"]
    lines += [
        f"  {100 * n / total:5.1f}% incl  {frame[:110]}"
        for frame, n in inclusive.most_common(top)
        if 100 * n / total < 99.5
    ]
    lines.append("  -- self time --")
    lines += [f"  {100 * n / total:5.1f}% self  {frame[:110]}" for frame, n in self_time.most_common(12)]
    lines.append("  -- buckets (a sample may fall in several) --")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in buckets.most_common()]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=50_000)
    parser.add_argument("--modes", default="floor,ccxt,sync")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--keep", type=Path, default=None, help="also copy the raw py-spy stacks into this directory")
    parser.add_argument(
        "--grep",
        action="append",
        default=[],
        help="also print the inclusive share of stacks containing this text (repeatable)",
    )
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy not found: pip install py-spy", file=sys.stderr)
        return 2
    script = str(BENCH_DIR / "bench_throughput.py")
    with simulator(args.fills) as sim, tempfile.TemporaryDirectory() as tmp:
        import httpx

        products = ",".join(p["id"] for p in httpx.get(f"{sim.url}/products", timeout=10).json())
        for mode in args.modes.split(","):
            out, sim_out = Path(tmp) / f"{mode}.txt", Path(tmp) / f"sim-{mode}.txt"
            sim_spy = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(sim.pid),
                    "--format",
                    "raw",
                    "--rate",
                    str(args.rate),
                    "--output",
                    str(sim_out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                run = subprocess.run(
                    [
                        spy,
                        "record",
                        "--format",
                        "raw",
                        "--rate",
                        str(args.rate),
                        "--output",
                        str(out),
                        "--",
                        sys.executable,
                        script,
                        "--child",
                        mode,
                        *sim.credential_args(),
                        products,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=900,
                    env=child_env(),
                    check=False,
                )
            finally:
                sim_spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
                try:
                    sim_spy.wait(30)
                except subprocess.TimeoutExpired:
                    stop_process(sim_spy)
            result = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
            print(f"== {mode}: {result}")
            if out.exists():
                stacks = read_stacks(out)
                print("\n".join(summarize(stacks, args.top)))
                total = sum(stacks.values()) or 1
                for needle in args.grep:
                    share = sum(n for s, n in stacks.items() if needle in s) / total
                    print(f"  {100 * share:5.1f}% incl  stacks containing {needle!r}")
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                for path in (out, sim_out):
                    if path.exists():
                        shutil.copy(path, args.keep / path.name)
            if sim_out.exists():
                print(f"== simulator while {mode} ran")
                print("\n".join(summarize(read_stacks(sim_out), 12)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
