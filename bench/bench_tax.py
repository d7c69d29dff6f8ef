"""Benchmark: a tax report for one year over 1,000,000 stored fills (target: <= 2 s warm), and its peak memory.

Stores the same synthetic fills as ``bench_summary.py`` (5 products incl. ETH-BTC and LTC-EUR, 2 labels,
about 3 years, exact decimal strings) in a temporary trades.db, fills the ``usd_prices`` cache with a
close for every minute the non-USD fills need (so the report runs offline, as a warm report does),
then times ``analytics.tax.tax_report`` for the middle year: the first run, and the median of
``--runs`` more ("warm": the SQLite pages cached). Peak memory: the traced Python allocations of one
more report (``tracemalloc``, reported apart: tracing slows it down) and the process's peak RSS.
Every figure is printed as a ratio against the 2 s target.

    .venv/bin/python bench/bench_tax.py [--fills 1000000] [--runs 3] [--method fifo] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_summary import INSERT, synthetic_fills  # noqa: E402
from trade_tracker.analytics.tax import needed_prices, tax_report  # noqa: E402
from trade_tracker.analytics.usd_prices import cached_prices  # noqa: E402
from trade_tracker.store.connection import TradeStore  # noqa: E402
from trade_tracker.store.usd_prices import write_usd_prices  # noqa: E402

TARGET_S = 2.0
#: A plausible USD close per quote currency (the bench needs a price, not the right one).
CLOSES = {"BTC-USD": "43210.57", "EUR-USD": "1.0843"}


def _report(store: TradeStore, year: int, method: str, rates: dict) -> int:
    with store.reading("bench tax report") as conn:
        return len(tax_report(conn, year, method=method, rates=rates).disposals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--method", choices=["fifo", "lifo", "hifo"], default="fifo")
    parser.add_argument("--keep", type=Path, help="keep trades.db in this folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        store = TradeStore(folder / "trades.db")
        fills = list(synthetic_fills(args.fills))
        for chunk in range(0, len(fills), 1000):
            with store.write("bench insert") as conn:
                conn.executemany(INSERT, fills[chunk : chunk + 1000])
        first, last = fills[0][8][:4], fills[-1][8][:4]
        year = (int(first) + int(last)) // 2
        del fills
        with store.reading() as conn:
            needed = needed_prices(conn, year)
        with store.write("bench prices") as conn:
            write_usd_prices(conn, [(p, m, CLOSES.get(p)) for p, m in needed], "bench", "2026-01-01T00:00:00Z")
        rates = cached_prices(store, needed)
        print(f"fills: {args.fills:,} over {first} .. {last}; report year {year}; {len(needed):,} USD closes cached")

        started = time.perf_counter()
        rows = _report(store, year, args.method, rates)
        first_s = time.perf_counter() - started
        warm: list[float] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            _report(store, year, args.method, rates)
            warm.append(time.perf_counter() - started)
        warm_s = statistics.median(warm)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        tracemalloc.start()
        _report(store, year, args.method, rates)
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.close()

        print(f"disposals in {year}: {rows:,} (method {args.method})")
        print(f"  first report        {first_s:8.3f} s   {first_s / TARGET_S:6.2f} x target")
        print(f"  warm (median of {args.runs})  {warm_s:8.3f} s   {warm_s / TARGET_S:6.2f} x target")
        print(f"  peak traced Python allocations of one report: {traced / 1e6:,.1f} MB")
        print(f"  peak RSS of the process (incl. generating the fills): {rss_mb:,.0f} MB")
        verdict = "OK" if warm_s <= TARGET_S else "TOO SLOW"
        print(
            f"tax report, one year over {args.fills:,} fills (warm): "
            f"{warm_s / TARGET_S:.2f} x the 2 s target: {verdict}"
        )


if __name__ == "__main__":
    main()
