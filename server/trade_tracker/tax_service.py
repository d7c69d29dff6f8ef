"""The tax report as the core runs it for both faces: USD prices from the cache (fetched first when
allowed), then the report over one consistent snapshot of the store.

Prices are fetched only when the report needs some the cache does not hold *and* the caller allows it
(``fetch``): from the public candles of Coinbase Exchange at ``EX_BASE_URL`` (``TradeTracker.public_client``,
no key needed). The cache records that origin with every close (a sandbox price is told apart).
Offline (``fetch`` false), the cache alone is used and the answer lists what is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .analytics.tax import TaxReport, needed_prices, tax_report
from .analytics.tax_models import PricesOut, missing_prices
from .analytics.usd_prices import cached_prices, fetch_prices
from .venues.candles import MAX_CANDLES

if TYPE_CHECKING:
    from .app import TradeTracker
    from .faces.shapes import ExportOut

__all__ = ["export_tax_csv", "run_tax_report"]


async def run_tax_report(
    tracker: TradeTracker,
    year: int,
    *,
    method: str = "fifo",
    label: str | None = None,
    product_id: str | None = None,
    pooled: bool = False,
    fetch: bool = False,
) -> tuple[TaxReport, PricesOut]:
    """The report of ``year``, and what happened to the USD prices it needs."""
    store = tracker.store
    with store.reading("reading the fills for a tax report") as conn:
        needed = needed_prices(conn, year, label)
    cached = cached_prices(store, needed)
    fetched = None
    unfetched = sorted(key for key in needed if key not in cached)
    if fetch and unfetched:
        client = tracker.public_client()
        origin = f"exchange {client.base_url}"
        fetched = await fetch_prices(store, client, unfetched, origin=origin, most=MAX_CANDLES["exchange"])
        cached = cached_prices(store, needed)
    with store.reading("reading the fills for a tax report") as conn:
        conn.execute("BEGIN")  # one snapshot: a sync writing meanwhile cannot tear the report
        try:
            report = tax_report(
                conn, year, method=method, label=label, product_id=product_id, pooled=pooled, rates=cached
            )
        finally:
            conn.execute("COMMIT")
    prices = missing_prices(report)
    if fetched is not None:
        prices = prices.model_copy(update={"fetched_requests": fetched.requests, "fetch_failure": fetched.failure})
    return report, prices


async def export_tax_csv(
    tracker: TradeTracker, year: int, *, method: str = "fifo", form: str = "plain", label: str | None = None
) -> ExportOut:
    """The report's Form 8949-style CSV (``export_tax``) as a new file under ``$TRADE_TRACKER_HOME/exports``
    (``export_trades`` with a tax year: the tool never takes a path from the model)."""
    from .errors import InvalidArgument
    from .export_tax import write_tax_csv
    from .faces.shapes import ExportOut
    from .private_files import ensure_private_dir

    target = tracker.default_export_path(f"tax-{year}")
    try:
        ensure_private_dir(target.parent)
    except OSError as exc:
        raise InvalidArgument(f"cannot create the exports folder {target.parent}: {exc.strerror}") from None
    report, _ = await run_tax_report(tracker, year, method=method, label=label, fetch=True)
    written = write_tax_csv(report, target, "8949" if form == "8949" else "plain")
    return ExportOut(path=written.path, rows=written.rows, kind="tax")
