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
    from .analytics.tax_models import OpenLotOut
    from .app import TradeTracker
    from .faces.shapes import ExportOut
    from .store.filters import Filters

__all__ = ["export_tax_csv", "open_lots_of", "run_tax_report"]


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


def open_lots_of(tracker: TradeTracker, filters: Filters, most: int) -> tuple[list[OpenLotOut], int]:
    """The FIFO lots open at the end of the window (``filters.until``, else now), per label, from the
    cache's USD prices only (offline): up to ``most`` of them, oldest first, and how many were left out.
    ``filters.product_id`` keeps the lots of its base asset; ``filters.since`` does not apply (lots come
    from all history)."""
    from datetime import timedelta

    from .analytics.tax import needed_before, open_lots_before
    from .analytics.tax_models import open_lot_out
    from .formats import iso_utc, parse_timestamp, utc_now

    end = None
    if filters.until is not None:
        try:
            end = iso_utc(parse_timestamp(filters.until) + timedelta(microseconds=1))
        except OverflowError:
            end = None
    store = tracker.store
    with store.reading("reading open lots") as conn:
        rates = cached_prices(store, needed_before(conn, end, filters.label))
        lots = open_lots_before(conn, end, label=filters.label, rates=rates)
    if filters.product_id is not None:
        asset = filters.product_id.partition("-")[0]
        lots = [lot for lot in lots if lot.asset == asset]
    lots.sort(key=lambda lot: (lot.acquired_at, lot.seq))
    at = filters.until or utc_now()
    return [open_lot_out(lot, at) for lot in lots[:most]], max(0, len(lots) - most)
