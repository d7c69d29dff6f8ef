"""The MCP tool ``tax_report`` (the report as an ``export_trades`` file: ``tax_service.export_tax_csv``).

Registered by ``build_server`` after the store tools (:data:`TAX_TOOLS`). Read-only; offline unless
the report needs USD prices the cache lacks (fills quoted in anything but USD), so its open-world
hint is true; ``offline=true`` never calls out and lists what is missing instead.
"""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from trade_tracker.analytics.tax_models import MAX_DISPOSAL_ROWS, TaxReportOut

from .params import ProductId, StoreLabel
from .results import empty_hint, read_only, respond, tracker_of, translate_errors
from .tools import Tool

__all__ = ["TAX_TOOLS", "TaxMethod", "TaxYear"]

TaxYear = Annotated[int, Field(ge=1970, le=9998, description="the UTC calendar year of the sales, e.g. 2025")]
TaxMethod = Annotated[
    Literal["fifo", "lifo", "hifo"],
    Field(description="which lots a sale takes: oldest, newest or highest cost first (specific id: not supported)"),
]


@translate_errors
async def tax_report(
    ctx: Context,
    year: TaxYear,
    method: TaxMethod = "fifo",
    label: StoreLabel | None = None,
    product_id: ProductId | None = None,
    pooled: Annotated[bool, Field(description="one book per asset across labels (default: per label)")] = False,
    offset: Annotated[int, Field(ge=0, description="next_offset from the previous page of disposals")] = 0,
    limit: Annotated[int, Field(ge=1, le=MAX_DISPOSAL_ROWS, description="disposal rows per page")] = 50,
    offline: Annotated[bool, Field(description="never fetch USD candle prices; use the cache only")] = False,
) -> Annotated[CallToolResult, TaxReportOut]:
    """Capital gains of one UTC year from the LOCAL store: per-lot cost basis (buy fees included), proceeds
    (sell fees deducted), gain, holding term (long = sold after the anniversary), totals per term and per
    asset, and the disposals as a paged table. One book per label (account) unless pooled. Fills quoted in
    a non-USD currency (ETH-BTC) are valued at the one-minute candle close of QUOTE-USD, fetched once from
    Coinbase and cached; offline=true uses the cache only. Not tax advice."""
    tracker = tracker_of(ctx)
    from trade_tracker.tax_service import run_tax_report

    report, prices = await run_tax_report(
        tracker, year, method=method, label=label, product_id=product_id, pooled=pooled, fetch=not offline
    )
    out = TaxReportOut.of(report, offset, limit, prices)
    if not report.disposals and offset == 0 and (hint := empty_hint(ctx, label)):
        out = out.model_copy(update={"note": f"{hint} {out.note}"})
    return respond(out)


#: Registered after the store tools, in this order.
TAX_TOOLS = (
    Tool(tax_report, title="Capital-gains report: tax lots, cost basis, terms", annotations=read_only(open_world=True)),
)
