"""The PnL chart as an MCP App (``io.modelcontextprotocol/ui``): the ``show_pnl_chart`` tool and its
``ui://trade-tracker/pnl-chart.html`` resource, through the SDK's :class:`~mcp.server.apps.Apps` extension.

The tool reads the trade summary grouped by month or day (the store only: offline, exact) and answers the
periods per quote currency: volume, fees, realized PnL, and the cumulative realized PnL before and after
fees. A host that renders MCP Apps (VS Code Copilot Chat, Claude) draws them with the self-contained
HTML of ``chart_html.py`` (inline SVG, no network); for any other client (``client_supports_apps`` is
false) the text content is a period table that answers the question on its own.
"""

from decimal import Decimal
from typing import Annotated, Literal

from mcp.server.apps import Apps, client_supports_apps
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from trade_tracker.analytics.models import PeriodTotal, Summary
from trade_tracker.store.filters import Filters

from .chart_html import PNL_CHART_HTML
from .params import DateText, ProductId, StoreLabel
from .results import read_only, respond, tracker_of, translate_errors

__all__ = ["CHART_URI", "MAX_PERIODS", "ChartOut", "ChartPeriod", "chart_of", "chart_text", "pnl_chart_app"]

CHART_URI = "ui://trade-tracker/pnl-chart.html"
#: Periods per currency in one answer (the newest; a longer window is narrowed with since/until).
MAX_PERIODS = 366


class ChartPeriod(BaseModel):
    period: str
    quote_volume: str
    fees: str
    realized_pnl: str
    net_realized_pnl: str
    cumulative_realized_pnl: str
    cumulative_net_realized_pnl: str = Field(description="cumulative realized PnL after fees")
    fill_count: int


class ChartSeries(BaseModel):
    currency: str = Field(description="the quote currency every amount of this series is in")
    periods: list[ChartPeriod]
    omitted_periods: int = 0


class ChartOut(BaseModel):
    """Realized PnL per period and quote currency, cumulative from the start of the window; exact decimals."""

    title: str
    group_by: Literal["month", "day"]
    label: str | None
    product_id: str | None
    since: str | None
    until: str | None
    fill_count: int
    series: list[ChartSeries]
    hint: str | None = None


def _series(summary_periods: list[PeriodTotal], limit: int) -> list[ChartSeries]:
    by_currency: dict[str, list[ChartPeriod]] = {}
    net: dict[str, Decimal] = {}
    for p in summary_periods:
        cur = p.currency
        net[cur] = net.get(cur, Decimal(0)) + Decimal(p.net_realized_pnl)
        by_currency.setdefault(cur, []).append(
            ChartPeriod(
                period=p.period,
                quote_volume=p.quote_volume,
                fees=p.fees,
                realized_pnl=p.realized_pnl,
                net_realized_pnl=p.net_realized_pnl,
                cumulative_realized_pnl=p.cumulative_realized_pnl,
                cumulative_net_realized_pnl=format(net[cur], "f"),
                fill_count=p.fill_count,
            )
        )
    return [
        ChartSeries(currency=c, periods=ps[-limit:], omitted_periods=max(0, len(ps) - limit))
        for c, ps in sorted(by_currency.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def chart_of(summary: Summary, filters: Filters, group_by: Literal["month", "day"]) -> ChartOut:
    """The chart's data from a trade summary grouped by ``group_by`` (also ``make screenshot``'s demo)."""
    scope = (filters.product_id or "all products") + (f", label {filters.label}" if filters.label else "")
    return ChartOut(
        title=f"Realized PnL, {scope}",
        group_by=group_by,
        label=filters.label,
        product_id=filters.product_id,
        since=filters.since,
        until=filters.until,
        fill_count=summary.fill_count,
        series=_series(list(summary.periods), MAX_PERIODS),
    )


def chart_text(out: ChartOut) -> str:
    """The text answer: per currency, one line per period (the fallback for hosts without MCP Apps)."""
    lines = [f"{out.title} ({out.fill_count} fills, realized PnL by {out.group_by}, FIFO, from the local store)"]
    for s in out.series:
        lines.append(f"\n{s.currency}: period | volume | fees | realized PnL | cumulative | cumulative after fees")
        if s.omitted_periods:
            lines.append(f"({s.omitted_periods} older periods left out: narrow since/until)")
        lines += [
            f"{p.period} | {p.quote_volume} | {p.fees} | {p.realized_pnl} | {p.cumulative_realized_pnl} | "
            f"{p.cumulative_net_realized_pnl}"
            for p in s.periods
        ]
    if out.hint:
        lines.append(out.hint)
    return "\n".join(lines)


@translate_errors
async def show_pnl_chart(
    ctx: Context,
    label: StoreLabel | None = None,
    product_id: ProductId | None = None,
    since: DateText | None = None,
    until: DateText | None = None,
    group_by: Annotated[Literal["month", "day"], Field(description="one point per UTC month or day")] = "month",
) -> Annotated[CallToolResult, ChartOut]:
    """Show realized PnL over time as a chart: cumulative realized PnL (before and after fees) with fees and
    volume per month or day, per quote currency. Hosts with MCP Apps draw it inline; others get the same
    figures as a text table. From the LOCAL store (run sync_fills first): offline and exact."""
    from .results import empty_hint

    filters = Filters.of(product_id=product_id, since=since, until=until, label=label)
    summary = await tracker_of(ctx).summary(filters, group_by=group_by)
    out = chart_of(summary, filters, group_by)
    if summary.fill_count == 0:
        out.hint = empty_hint(ctx, label)
    result = respond(out)
    if client_supports_apps(ctx):
        totals = "; ".join(
            f"{s.currency}: cumulative {s.periods[-1].cumulative_realized_pnl}, after fees "
            f"{s.periods[-1].cumulative_net_realized_pnl}"
            for s in out.series
            if s.periods
        )
        summary_text = f"{out.title}: chart shown ({len(out.series)} currencies). {totals or out.hint or ''}"
        result.content = [TextContent(type="text", text=summary_text.strip())]
    else:
        result.content = [TextContent(type="text", text=chart_text(out))]
    return result


def pnl_chart_app() -> Apps:
    """The Apps extension holding show_pnl_chart and its HTML resource, for ``MCPServer(extensions=[...])``."""
    apps = Apps()
    apps.tool(
        resource_uri=CHART_URI,
        visibility=["model", "app"],
        title="Show a realized-PnL chart",
        annotations=read_only(open_world=False),
    )(show_pnl_chart)
    apps.add_html_resource(
        CHART_URI,
        PNL_CHART_HTML,
        name="pnl-chart",
        title="Realized PnL chart",
        description="Self-contained chart (inline SVG, no network) of show_pnl_chart's answer.",
    )
    return apps
