"""``make screenshot``: render the PnL chart app with demo data in headless Chromium, into docs/pnl-chart.png.

The demo data is real output of the product: seeded fills (18 months of BTC-USD and ETH-USD) are written to
a temporary store, summarised by month by the analytics, and shaped by ``chart.chart_of`` exactly as
``show_pnl_chart`` answers. The chart's own HTML (``chart_html.PNL_CHART_HTML``) is given that answer as
``window.__PNL_DATA__`` and photographed. Nothing is installed: without Chromium this says how to get it.
Offline: the page makes no request, and Chromium runs with its background networking off.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from trade_tracker.analytics.summary import summarize  # noqa: E402
from trade_tracker.faces.mcp.chart import chart_of  # noqa: E402
from trade_tracker.faces.mcp.chart_html import PNL_CHART_HTML  # noqa: E402
from trade_tracker.store.connection import TradeStore  # noqa: E402
from trade_tracker.store.fills import FillRow  # noqa: E402
from trade_tracker.store.filters import Filters  # noqa: E402

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
INSTALL_HINT = (
    "make screenshot needs Chromium and installs nothing itself. On Debian/Ubuntu: "
    "sudo apt-get install chromium   (then run make screenshot again)"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def demo_fills(seed: int = 16) -> list[FillRow]:
    """18 months of seeded trading in two products: buys, sells, maker and taker fees (exact strings)."""
    rng = random.Random(seed)
    rows: list[FillRow] = []
    n = 0
    for product, price, unit in (
        ("BTC-USD", Decimal(42000), Decimal("0.01")),
        ("ETH-USD", Decimal(2300), Decimal("0.1")),
    ):
        for month in range(18):
            year, mon = 2025 + month // 12, month % 12 + 1
            for day in sorted(rng.sample(range(1, 28), 6)):
                price = (price * Decimal(str(1 + rng.uniform(-0.05, 0.062)))).quantize(Decimal("0.01"))
                n += 1
                side = "buy" if rng.random() < 0.55 else "sell"
                size = unit * rng.randint(5, 40)
                maker = rng.random() < 0.4
                fee = (price * size * Decimal("0.004" if maker else "0.006")).quantize(Decimal("0.01"))
                rows.append(
                    FillRow(
                        product_id=product,
                        trade_id=n,
                        order_id=f"00000000-0000-4000-8000-{n:012d}",
                        side=side,
                        price=str(price),
                        size=str(size),
                        fee=str(fee),
                        usd_volume=None,
                        liquidity="M" if maker else "T",
                        settled=1,
                        created_at=f"{year}-{mon:02d}-{day:02d}T{rng.randint(0, 23):02d}:00:00.000000Z",
                        profile_id="demo",
                        user_id=None,
                        funding_currency="USD",
                        market_type="spot",
                        label="demo",
                    )
                )
    return rows


def demo_chart() -> dict[str, object]:
    """show_pnl_chart's structured answer over the demo store (the real analytics, grouped by month)."""
    with tempfile.TemporaryDirectory() as folder:
        with TradeStore(Path(folder) / "trades.db") as store:
            store.upsert_fills(demo_fills())
            summary = summarize(store, Filters(), group_by="month")
    out = chart_of(summary, Filters(label="demo"), "month")
    return out.model_dump(mode="json")


def chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "pnl-chart.png")
    parser.add_argument("--size", default="820,640", help="window width,height in pixels")
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    data = json.dumps(demo_chart(), separators=(",", ":"))
    page = PNL_CHART_HTML.replace("<script>", f"<script>window.__PNL_DATA__ = {data};</script>\n<script>", 1)
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "pnl-chart.html"
        html.write_text(page, encoding="utf-8")
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--window-size={args.size}",
            f"--screenshot={args.out.resolve()}",
            html.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not args.out.is_file():
        print(f"chromium failed ({done.returncode}): {done.stderr.strip()[-800:]}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
