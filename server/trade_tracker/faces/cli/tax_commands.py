"""The CLI's ``tax-report`` verb: capital gains of one UTC year from the local store, as JSON or a CSV file.

``trade-tracker tax-report --year 2025 [--method fifo|lifo|hifo] [--label L] [--pooled]
[--csv PATH] [--format 8949|plain] [--offline]``. Offline unless the report needs USD prices the
cache does not hold (fills quoted in anything but USD); ``--offline`` uses the cache only and lists
what is missing. Heavy modules are imported inside the verb, so ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import check_label_option, check_product
from .output import emit, run_app

if TYPE_CHECKING:
    from trade_tracker.app import TradeTracker

__all__ = ["TAX_COMMANDS", "tax_report"]


def _check_method(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """fifo, lifo or hifo; ``specific`` is refused with the reason (``analytics.lots.check_method``)."""
    if value == "specific":
        raise click.BadParameter("specific identification is not supported; use fifo, lifo or hifo")
    if value not in ("fifo", "lifo", "hifo"):
        raise click.BadParameter(f"{value!r} is not one of fifo, lifo, hifo")
    return value


@click.command("tax-report")
@click.option("--year", type=click.IntRange(1970, 9998), required=True, help="the UTC calendar year of the sales")
@click.option(
    "--method",
    metavar="fifo|lifo|hifo",
    default="fifo",
    show_default=True,
    callback=_check_method,
    help="which lots a sale takes (specific identification is not supported)",
)
@click.option("--label", metavar="LABEL", callback=check_label_option, help="only this credential label's fills")
@click.option("--product", "product_id", metavar="PRODUCT", callback=check_product, help="only this product's sales")
@click.option("--pooled", is_flag=True, help="one book per asset across labels (default: one per label/account)")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="write the disposals as Form 8949-style CSV (replaced atomically, mode 0600)",
)
@click.option(
    "--format",
    "csv_format",
    type=click.Choice(["plain", "8949"]),
    default="plain",
    show_default=True,
    help="with --csv: exact decimals (plain) or money rounded to cents (8949)",
)
@click.option("--offline", is_flag=True, help="never fetch USD candle prices; use the cache and list what is missing")
def tax_report(
    year: int,
    method: str,
    label: str | None,
    product_id: str | None,
    pooled: bool,
    csv_path: Path | None,
    csv_format: str,
    offline: bool,
) -> None:
    """Capital gains of one year: disposals with cost basis, holding period and term.

    Prints totals per term and per asset and the disposals as JSON; with --csv, writes the disposals
    to the file and prints its path and the totals. This is not tax advice.
    """

    async def job(app: TradeTracker) -> Any:
        from trade_tracker.analytics.tax_models import TaxReportOut
        from trade_tracker.export_tax import write_tax_csv
        from trade_tracker.tax_service import run_tax_report

        report, prices = await run_tax_report(
            app, year, method=method, label=label, product_id=product_id, pooled=pooled, fetch=not offline
        )
        if csv_path is None:
            return TaxReportOut.of(report, limit=len(report.disposals), prices=prices)
        written = write_tax_csv(report, csv_path, "8949" if csv_format == "8949" else "plain")
        out = TaxReportOut.of(report, limit=0, prices=prices).model_dump(mode="json")
        for key in ("columns", "rows", "offset", "next_offset"):
            out.pop(key)
        return {"csv": written.model_dump(mode="json"), **out}

    emit(run_app(job))


#: Added to the group with the other verbs (``commands.COMMANDS``).
TAX_COMMANDS = (tax_report,)
