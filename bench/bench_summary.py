"""Benchmark: trade_summary over 1,000,000 fills (target: answers in <= 500 ms).

Generates synthetic fills (5 products, 2 labels, about 3 years, exact decimal strings as the API
sends them) into a temporary trades.db with one executemany, then times ``summarize()``:
cold (the first call builds the analytics cache), warm (median of several), with window
cuts inside a day, grouped by month and day, and after incremental inserts and late fee
updates. Prints the figures in ms.

    .venv/bin/python bench/bench_summary.py [--fills 1000000] [--runs 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trade_tracker.analytics.summary import summarize
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters

TARGET_MS = 500.0

#: product, share of fills, start price in quote increments, price decimals, typical size in 1e-8 units
PRODUCTS = [
    ("BTC-USD", 0.40, 3_000_000, 2, 5_000_000),
    ("ETH-USD", 0.25, 200_000, 2, 50_000_000),
    ("SOL-USD", 0.15, 5_000, 2, 500_000_000),
    ("ETH-BTC", 0.10, 5_000, 5, 50_000_000),
    ("LTC-EUR", 0.10, 10_000, 2, 100_000_000),
]
INSERT = (
    "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, usd_volume, liquidity, settled, "
    "created_at, profile_id, user_id, funding_currency, market_type, label, fill_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 1, ?, 'profile', 'user', NULL, 'spot', ?, ?1 || ':' || ?2)"
)


def decimal_text(units: int, places: int, width: int) -> str:
    """``units`` × 10^-places as fixed-point text with ``width`` decimals (as the API pads them)."""
    whole, frac = divmod(units, 10**places)
    return f"{whole}.{frac:0{places}d}{'0' * (width - places)}"


def synthetic_fills(count: int, seed: int = 8, start: datetime | None = None) -> Iterator[tuple]:
    """``count`` fills in time order: random-walk prices, sells mostly within the position, fee 0.5 %."""
    rng = random.Random(seed)
    moment = start or datetime(2021, 1, 1, tzinfo=UTC)
    names = [p[0] for p in PRODUCTS]
    weights = [p[1] for p in PRODUCTS]
    price = {p[0]: p[2] for p in PRODUCTS}
    spec = {p[0]: p for p in PRODUCTS}
    held: dict[tuple[str, str], int] = {}
    trade_ids = dict.fromkeys(names, 1_000_000)
    for n in range(count):
        moment += timedelta(microseconds=rng.randrange(1, 190_000_000))  # about 95 s apart
        product = rng.choices(names, weights)[0]
        _, _, _, places, typical = spec[product]
        label = "main" if rng.random() < 0.9 else "alt"
        price[product] = max(1, price[product] + rng.randint(-price[product] // 200, price[product] // 200 + 1))
        size = rng.randint(typical // 10, typical * 2)
        key = (label, product)
        if rng.random() < 0.5 or held.get(key, 0) == 0:
            side = "buy"
            held[key] = held.get(key, 0) + size
        else:
            side = "sell"
            if rng.random() > 0.01:  # now and then, more than is held: an unmatched sell
                size = max(1, min(size, held[key]))
            held[key] = max(0, held[key] - size)
        fee_units = price[product] * size * 5  # 0.5 %: scale places + 8 + 3
        trade_ids[product] += 1
        yield (
            product,
            trade_ids[product],
            f"order-{n // 3}",
            side,
            decimal_text(price[product], places, 8),
            decimal_text(size, 8, 8),
            decimal_text(fee_units, places + 11, 16),
            "maker" if n % 3 else "taker",
            moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            label,
        )


def cut(first: str, last: str, share: float) -> str:
    """A time ``share`` of the way from first to last, at 13:45:07 UTC that day."""
    a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (first, last))
    return (a + (b - a) * share).strftime("%Y-%m-%dT13:45:07Z")


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep trades.db in this folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        store = TradeStore(folder / "trades.db")
        started = time.perf_counter()
        fills = list(synthetic_fills(args.fills))
        generated = time.perf_counter()
        for chunk in range(0, len(fills), 1000):  # WAL-friendly transactions, as a sync commits pages
            with store.write("bench insert") as conn:
                conn.executemany(INSERT, fills[chunk : chunk + 1000])
        inserted = time.perf_counter()
        first, last = fills[0][8], fills[-1][8]
        print(f"fills: {len(fills):,} over {fills[0][8][:10]} .. {last[:10]}, 5 products, 2 labels")
        print(
            f"generate: {(generated - started) * 1000:,.0f} ms; insert (with analytics triggers): "
            f"{(inserted - generated) * 1000:,.0f} ms"
        )
        del fills

        figures: list[tuple[str, float]] = []
        figures.append(("cold (builds the analytics cache)", timed(lambda: summarize(store))))
        warm = median_ms(lambda: summarize(store), args.runs)
        figures.append(("warm, all fills, by product", warm))
        figures.append(("warm, average cost", median_ms(lambda: summarize(store, method="average"), args.runs)))
        window = Filters.of(since=cut(first, last, 0.3), until=cut(first, last, 0.8))  # inside days, not at midnight
        figures.append(("warm, since/until cutting days", median_ms(lambda: summarize(store, window), args.runs)))
        figures.append(("warm, by month", median_ms(lambda: summarize(store, group_by="month"), args.runs)))
        figures.append(("warm, by day", median_ms(lambda: summarize(store, group_by="day"), args.runs)))
        one = Filters.of(product_id="BTC-USD", label="main")
        figures.append(("warm, one product and label", median_ms(lambda: summarize(store, one), args.runs)))

        start = datetime.fromisoformat(last.replace("Z", "+00:00"))
        newer = list(synthetic_fills(1000, seed=9, start=start))
        newer = [(row[0], row[1] + 10_000_000, *row[2:]) for row in newer]

        def append_then_summarize() -> None:
            with store.write("bench insert") as conn:
                conn.executemany(INSERT, newer)
            summarize(store)

        figures.append(("1,000 newer fills inserted, then summary", timed(append_then_summarize)))

        def late_fee_update_then_summarize() -> None:
            with store.write("bench update") as conn:
                conn.execute(
                    "UPDATE fills SET fee = '0' WHERE rowid IN (SELECT rowid FROM fills "
                    "WHERE created_at < ? ORDER BY created_at DESC LIMIT 100)",
                    (last,),
                )
            summarize(store)

        figures.append(("late fee update on 100 recent fills, then summary", timed(late_fee_update_then_summarize)))

        days = store.conn.execute("SELECT count(*) FROM analytics_day").fetchone()[0]
        store.close()
        size_mb = (folder / "trades.db").stat().st_size / 1e6
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        print(
            f"trades.db: {size_mb:,.0f} MB; analytics_day rows: {days:,}; peak RSS {peak_mb:,.0f} MB "
            "(the generated fills are held in memory for the insert)"
        )
        print()
        width = max(len(name) for name, _ in figures)
        for name, ms in figures:
            print(f"  {name:<{width}}  {ms:9.1f} ms")
        print()
        verdict = "OK" if warm <= TARGET_MS else "TOO SLOW"
        print(
            f"trade_summary over {args.fills:,} fills (warm median): {warm:.1f} ms; target <= {TARGET_MS:.0f} ms: "
            f"{verdict}"
        )


if __name__ == "__main__":
    main()
