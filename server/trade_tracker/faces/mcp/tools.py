"""The MCP tools as plain module-level functions: check the arguments (pydantic, from the signature), call
the core (``app.TradeTracker``), shape a bounded structured answer (``faces/shapes.py``).

``build_server`` only registers them (:data:`LIVE_TOOLS`, then the sync tools, then :data:`STORE_TOOLS`).
The docstring of each is its description, the signature its input schema: both are pinned by
``tests/snapshots/tools.json``.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal, NamedTuple

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from trade_tracker.errors import InvalidArgument
from trade_tracker.formats import ORDER_ID_PATTERN
from trade_tracker.store.filters import Filters

from ..lots_shapes import MAX_OPEN_LOTS, SummaryLotsOut
from ..shapes import (
    AccountsOut,
    CredentialOut,
    CredentialsOut,
    ExportOut,
    FillsOut,
    OrdersOut,
    ProductsOut,
    StoreCredentialOut,
    SummaryOut,
    TickerOut,
    TradesOut,
)
from .params import (
    QUOTE_CURRENCY_PATTERN,
    DateText,
    Label,
    NewLabel,
    OrderStatus,
    ProductId,
    StoreLabel,
    StoreVenue,
    VenueArg,
)
from .results import empty_hint, read_only, respond, tracker_of, translate_errors, writes
from .venue_text import venue_doc

__all__ = ["LIVE_TOOLS", "STORE_TOOLS", "Tool"]


class Tool(NamedTuple):
    """A tool function with its title and hints, as ``build_server`` registers it."""

    fn: Callable[..., Awaitable[CallToolResult]]
    title: str
    annotations: ToolAnnotations


@translate_errors
@venue_doc
async def list_products(
    ctx: Context,
    quote_currency: Annotated[
        str | None, Field(pattern=f"^{QUOTE_CURRENCY_PATTERN}$", description="only products quoted in this, e.g. USD")
    ] = None,
    status: Annotated[
        Literal["online", "offline", "internal", "delisted"] | None, Field(description="only products with this status")
    ] = None,
    query: Annotated[str | None, Field(max_length=40, description="substring of the id or name, e.g. ETH")] = None,
    venue: VenueArg = "exchange",
) -> Annotated[CallToolResult, ProductsOut]:
    """List the products (markets) of one venue ({venue_ids}; default exchange), optionally filtered. Calls
    Coinbase (public, no key needed).
    Use it to find a product_id such as BTC-USD before get_ticker, list_fills or sync_fills."""
    products = await tracker_of(ctx).list_products(quote_currency, status, query, venue)
    return respond(ProductsOut.of(products, venue=venue))


@translate_errors
@venue_doc
async def get_ticker(
    ctx: Context, product_id: ProductId, venue: VenueArg = "exchange"
) -> Annotated[CallToolResult, TickerOut]:
    """Current price, best bid/ask and 24h volume (where the venue reports it) of one product of one venue
    ({venue_ids}; default exchange). Calls Coinbase (public, no key needed)."""
    return respond(TickerOut.of(await tracker_of(ctx).get_ticker(product_id, venue)))


@translate_errors
@venue_doc
async def list_accounts(
    ctx: Context,
    label: Label | None = None,
    hide_zero: Annotated[bool, Field(description="hide currencies with zero balance and hold")] = True,
) -> Annotated[CallToolResult, AccountsOut]:
    """Balances per currency of the credential's account, on the label's venue ({venue_ids}). Calls Coinbase
    with the key."""
    tracker = tracker_of(ctx)
    label_used, accounts = await tracker.list_accounts(label, hide_zero)
    return respond(AccountsOut.of(label_used, accounts, tracker.venue_of(label_used).id))


@translate_errors
@venue_doc
async def list_orders(
    ctx: Context,
    label: Label | None = None,
    status: Annotated[
        list[OrderStatus] | None,
        Field(max_length=12, description="e.g. ['done'] for history; default: open orders only"),
    ] = None,
    product_id: ProductId | None = None,
) -> Annotated[CallToolResult, OrdersOut]:
    """Up to 100 most recent orders, live from Coinbase. By default (no status) ONLY open orders; pass
    status=['done'] for filled/cancelled history or ['all']. Statuses by venue: {order_statuses}.
    Calls Coinbase with the key."""
    statuses: list[str] = list(dict.fromkeys(status or []))
    tracker = tracker_of(ctx)
    label_used, orders = await tracker.list_orders(label, statuses or None, product_id)
    return respond(OrdersOut.of(label_used, statuses, orders, tracker.venue_of(label_used).id))


@translate_errors
@venue_doc
async def list_fills(
    ctx: Context,
    product_id: ProductId | None = None,
    order_id: Annotated[str | None, Field(pattern=f"^{ORDER_ID_PATTERN}$", description="an order UUID")] = None,
    limit: Annotated[int, Field(ge=1, le=100, description="fills per page")] = 25,
    label: Label | None = None,
    after: Annotated[
        str | None,
        Field(min_length=1, max_length=500, description="next_after from the previous page, for older fills"),
    ] = None,
) -> Annotated[CallToolResult, FillsOut]:
    """One page of fills (executed trades), newest first, LIVE from Coinbase. {fill_scopes}
    For history, totals or anything offline, prefer sync_fills then query_trades / trade_summary."""
    tracker = tracker_of(ctx)
    label_used, page = await tracker.list_fills(label, product_id, order_id, limit, after)
    return respond(FillsOut.of(label_used, page, venue=tracker.venue_of(label_used).id))


@translate_errors
async def query_trades(
    ctx: Context,
    product_id: ProductId | None = None,
    side: Literal["buy", "sell"] | None = None,
    since: DateText | None = None,
    until: DateText | None = None,
    limit: Annotated[int, Field(ge=1, le=200, description="rows per page")] = 50,
    cursor: Annotated[str | None, Field(max_length=200, description="next_cursor from the previous page")] = None,
    label: StoreLabel | None = None,
) -> Annotated[CallToolResult, TradesOut]:
    """Fills from the LOCAL store (run sync_fills first), newest first, filtered. Offline, exact, paged.
    Without label: the fills of every stored label; each row names its venue (exchange or advanced)."""
    filters = Filters.of(product_id=product_id, side=side, since=since, until=until, label=label)
    rows, next_cursor = tracker_of(ctx).store.query_fills(filters, limit, cursor)
    out = TradesOut.of(rows, next_cursor)
    if not rows and cursor is None:
        out.hint = empty_hint(ctx, label)
    return respond(out)


@translate_errors
async def trade_summary(
    ctx: Context,
    product_id: ProductId | None = None,
    since: DateText | None = None,
    until: DateText | None = None,
    label: StoreLabel | None = None,
    group_by: Annotated[
        Literal["product", "month", "day"], Field(description="one entry per product, or per product and UTC month/day")
    ] = "product",
    method: Annotated[Literal["fifo", "average"], Field(description="cost basis for realized PnL")] = "fifo",
    with_unrealized: Annotated[
        bool, Field(description="also fetch tickers for unrealized PnL (calls Coinbase)")
    ] = False,
    with_lots: Annotated[
        bool, Field(description="also list the open FIFO lots: cost basis, acquired at, holding days (offline)")
    ] = False,
) -> Annotated[CallToolResult, SummaryLotsOut]:
    """Per product: buy/sell counts, base and quote volume, fees, average prices, net position and realized
    PnL (FIFO by default), plus totals per currency; each entry names its venue(s). With group_by month or
    day, also per-period totals across products per quote currency (volume, fees, realized and cumulative
    realized PnL). Without label: every stored label, each its own book. From the LOCAL store: offline and
    exact, unless with_unrealized asks for live tickers. Run sync_fills first for complete figures."""
    filters = Filters.of(product_id=product_id, since=since, until=until, label=label)
    tracker = tracker_of(ctx)
    summary = await tracker.summary(filters, group_by=group_by, method=method, with_unrealized=with_unrealized)
    out = SummaryLotsOut.model_validate(SummaryOut.of(summary, venues=tracker.store.fill_venues(filters)).model_dump())
    if summary.fill_count == 0:
        out = out.model_copy(update={"hint": empty_hint(ctx, label)})
    if with_lots:
        from trade_tracker.tax_service import open_lots_of

        lots, omitted = open_lots_of(tracker, filters, MAX_OPEN_LOTS)
        out = out.model_copy(update={"open_lots": lots, "omitted_lots": omitted})
    return respond(out)


@translate_errors
async def store_credential(
    ctx: Context, label: NewLabel, venue: StoreVenue = "exchange"
) -> Annotated[CallToolResult, StoreCredentialOut]:
    """Ask the user to enter a Coinbase API key of `venue` under `label`, OUT OF BAND: a one-time page on
    127.0.0.1 (URL elicitation) or, if the client cannot open URLs, a CLI command to run. Takes no secret
    and returns none: never ask the user to paste keys into the chat. A View-only key is recommended."""
    from .credential_flow import request_credential

    return respond(await request_credential(ctx, tracker_of(ctx), label, venue))


@translate_errors
async def list_credentials(ctx: Context) -> Annotated[CallToolResult, CredentialsOut]:
    """Labels, venues (exchange or advanced) and key fingerprints of the stored credentials (and the env
    credentials), with the permissions recorded at the last check (can_view / can_trade / can_transfer,
    portfolio). Never secrets."""
    infos = tracker_of(ctx).credentials.list()
    return respond(CredentialsOut(count=len(infos), credentials=[CredentialOut.of(i) for i in infos]))


@translate_errors
async def export_trades(
    ctx: Context,
    product_id: ProductId | None = None,
    since: DateText | None = None,
    until: DateText | None = None,
    label: StoreLabel | None = None,
    summary: Annotated[bool, Field(description="export the summary instead of the fills")] = False,
    group_by: Annotated[
        Literal["product", "month", "day"],
        Field(description="with summary: one row per product, or per product and UTC month/day"),
    ] = "product",
    method: Annotated[
        Literal["fifo", "average"], Field(description="with summary: cost basis for realized PnL")
    ] = "fifo",
    tax_year: Annotated[
        int | None,
        Field(ge=1970, le=9998, description="export the capital-gains report of this UTC year instead (tax_report)"),
    ] = None,
    tax_method: Annotated[Literal["fifo", "lifo", "hifo"], Field(description="with tax_year: lot method")] = "fifo",
    tax_format: Annotated[
        Literal["plain", "8949"], Field(description="with tax_year: exact decimals, or money rounded to cents")
    ] = "plain",
) -> Annotated[CallToolResult, ExportOut]:
    """Write the stored fills (or, with summary, the trade summary grouped by group_by; with tax_year, the
    Form 8949-style capital-gains CSV) to a new CSV file under $TRADE_TRACKER_HOME/exports and return its
    path, not the data. Without label: every stored label. Offline (a tax year may fetch USD candles)."""
    if tax_year is not None:
        from trade_tracker.tax_service import export_tax_csv

        if summary or any(v is not None for v in (product_id, since, until)):
            raise InvalidArgument(
                "tax_year exports the whole year's report; leave summary, product_id, since, until out."
            )
        out = await export_tax_csv(tracker_of(ctx), tax_year, method=tax_method, form=tax_format, label=label)
        return respond(out)
    if not summary and (group_by != "product" or method != "fifo"):
        raise InvalidArgument("group_by and method go with summary=true (a fills export has one row per fill).")
    filters = Filters.of(product_id=product_id, since=since, until=until, label=label)
    out = await tracker_of(ctx).export_csv(filters=filters, summary=summary, group_by=group_by, method=method)
    from .resources import export_link

    result = respond(out)
    result.content.append(export_link(out.path, out.rows))  # the file, readable as a resource
    return result


#: The live tools, registered first, in this order (the order of the tool list).
LIVE_TOOLS = (
    Tool(list_products, title="List Coinbase products", annotations=read_only(open_world=True)),
    Tool(get_ticker, title="Get a product's ticker", annotations=read_only(open_world=True)),
    Tool(list_accounts, title="List account balances", annotations=read_only(open_world=True)),
    Tool(list_orders, title="List orders", annotations=read_only(open_world=True)),
    Tool(list_fills, title="List fills live from Coinbase", annotations=read_only(open_world=True)),
)
#: The store and credential tools, registered after the sync tools.
STORE_TOOLS = (
    Tool(query_trades, title="Query stored trades", annotations=read_only(open_world=False)),
    Tool(trade_summary, title="Summarise trades: volume, fees, position, PnL", annotations=read_only(open_world=True)),
    Tool(store_credential, title="Store a Coinbase API credential (out of band)", annotations=writes(open_world=True)),
    Tool(list_credentials, title="List stored credentials", annotations=read_only(open_world=False)),
    Tool(export_trades, title="Export trades to a CSV file", annotations=writes(open_world=False)),
)
