"""Run every issue-9 benchmark and print one table: figure, target, ratio, pass/fail.

Why one run: the machines these run on are noisy, so each figure is taken against its
limit or a peer measured in the same run, on the same machine, and reported as a ratio.

Each bench is its own script with a ``main()`` (also runnable alone, see its docstring);
this runs each as a separate process (``python bench/bench_X.py --json``), so one bench's
imports, memory or crash cannot touch another's figures, then prints the table and writes
every raw figure to ``bench/results/latest.json`` (git-ignored).

    .venv/bin/python bench/run_all.py [--quick] [--only 1,3,6] [--strict]

``--quick`` scales the long benches down (fewer fills and repeats; each row says so).
Exit status: 0 when every bench ran (whatever the verdicts), 1 if a bench crashed, and
with ``--strict`` also 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from common import BENCH_DIR, RESULTS_DIR, Row, child_env, fmt_ratio, machine_line

#: (table number, script, what it measures), in the order they run: short ones first.
BENCHES: list[tuple[str, str, str]] = [
    ("6", "bench_output_size.py", "output size"),
    ("3", "bench_cold_start.py", "cold start"),
    ("4", "bench_round_trip.py", "round trip on 1M fills"),
    ("1", "bench_rate.py", "rate ceiling"),
    ("2", "bench_throughput.py", "sync vs ccxt and the floor"),
    ("5", "bench_memory.py", "memory during a 1M-fill sync"),
]


def run_bench(script: str, quick: bool, timeout: float = 1800) -> dict[str, Any]:
    """One bench as a child process; its JSON result, or an error record."""
    cmd = [sys.executable, str(BENCH_DIR / script), "--json"] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=child_env(), stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "seconds": time.perf_counter() - started}
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        return {
            "error": (out.stderr.strip().splitlines() or ["no output"])[-1][:200],
            "stderr": out.stderr[-4000:],
            "seconds": time.perf_counter() - started,
        }
    result: dict[str, Any] = json.loads(lines[-1])
    result["seconds"] = time.perf_counter() - started
    return result


def table(rows: list[Row]) -> str:
    """The results as a Markdown table (readable in a terminal, pasteable into the README)."""
    head = ["#", "What", "Figure", "Target", "Ratio", "Result"]
    body = [
        [
            r.id,
            r.what,
            r.figure,
            r.target,
            fmt_ratio(r.ratio),
            "–" if r.passed is None else ("pass" if r.passed else "FAIL"),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="scaled-down run (fewer fills, fewer repeats)")
    parser.add_argument("--only", default="", help="comma-separated table numbers to run, e.g. 1,3")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target is missed")
    args = parser.parse_args()
    wanted = {x.strip() for x in args.only.split(",") if x.strip()}
    machine = machine_line()
    load = os.getloadavg()
    print(
        f"trade-tracker benchmarks{' (quick)' if args.quick else ''} on {machine}; load average {load[0]:.2f} at start",
        file=sys.stderr,
    )
    started = time.perf_counter()
    rows: list[Row] = []
    results: dict[str, Any] = {}
    crashed = False
    for number, script, what in BENCHES:
        if wanted and number not in wanted:
            continue
        print(f"[{number}] {what} ...", file=sys.stderr, flush=True)
        result = run_bench(script, args.quick)
        results[script] = result
        if "error" in result:
            crashed = True
            print(f"[{number}] FAILED to run: {result['error']}", file=sys.stderr)
            rows.append(Row(number, what, f"error: {result['error'][:60]}", "", None, None))
        else:
            rows.extend(Row(**r) for r in result["rows"])
        print(f"[{number}] done in {result['seconds']:.0f} s", file=sys.stderr, flush=True)
    total = time.perf_counter() - started
    rows.sort(key=lambda r: r.id)

    print()
    print(f"Machine: {machine}")
    print(table(rows))
    print()
    for r in rows:
        if r.note:
            print(f"{r.id:>3}: {r.note}")
    passed = sum(1 for r in rows if r.passed)
    print(
        f"\n{passed}/{len(rows)} targets met; total {total / 60:.1f} min"
        f"{' (quick run: scaled down)' if args.quick else ''}"
    )

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    latest = RESULTS_DIR / "latest.json"
    latest.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine,
                "quick": args.quick,
                "load_average_at_start": load,
                "total_seconds": round(total, 1),
                "rows": [r.as_dict() for r in rows],
                "benches": results,
            },
            indent=2,
            default=str,
        )
    )
    print(f"raw figures: {latest.relative_to(BENCH_DIR.parent)}")
    if crashed:
        return 1
    return 1 if args.strict and passed < len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
