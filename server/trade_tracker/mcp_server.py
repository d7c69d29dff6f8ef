"""The MCP face: tool wiring only. Each tool checks its arguments (pydantic), calls the
core (``app.TradeTracker``) and shapes a bounded, structured answer.

Errors: a ``TradeTrackerError`` becomes an ``isError`` result carrying its message,
which says what to fix and never holds a secret. Anything else is reported by the SDK
as a bare "Error executing tool X" with the detail only in the server's stderr log.
"""


import functools
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Literal, ParamSpec, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import AfterValidator, BaseModel, Field

from . import __version__
from .app import TradeTracker
from .argument_errors import PlainArgumentsServer
from .coinbase.params import ORDER_ID_PATTERN, PRODUCT_ID_PATTERN
from .config import Settings
from .errors import InvalidArgument, TradeTrackerError
from .labels import LABEL_PATTERN, check_label
from .tool_models import (
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

if TYPE_CHECKING:
    from .mcp_sync_tools import ServerState

__all__ = ["INSTRUCTIONS", "CancelLabel", "Label", "NewLabel", "ProductId", "StatusLabel",
           "build_server", "respond", "run", "translate_errors"]

INSTRUCTIONS = """\
trade-tracker reads one trader's Coinbase Exchange account and keeps every fill in a local SQLite store.
Workflow: 1) a credential must exist: list_credentials shows stored ones; if none, call store_credential
(the user types the key in a local browser page or the CLI, never in chat; never ask for secrets in chat).
2) sync_fills brings fills into the local store (first run: whole history; later: only new fills).
A first sync of a large account takes minutes and runs in the background: when sync_fills answers
status "running", follow it with sync_status (or call sync_fills again to wait; it joins the running job,
never starts a second one); cancel_sync stops it. Nothing synced so far is ever lost.
3) query_trades and trade_summary answer from the local store, offline and exact (money is decimal strings).
Before answering that nothing was traded, check sync_status: the store may not be synced yet, or a sync may
still be running.
list_fills, list_orders, list_accounts, list_products and get_ticker call Coinbase live.
The exchange is the Coinbase Exchange SANDBOX unless EX_BASE_URL says otherwise; sandbox data is not real.
"""

DATE_PATTERN = r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?"
QUOTE_CURRENCY_PATTERN = r"[A-Za-z0-9]{2,10}"
#: What each argument pattern means, in words: a bad argument's error names this (argument_errors.py).
ARGUMENT_FORMATS = {
    PRODUCT_ID_PATTERN: "a product id BASE-QUOTE such as BTC-USD",
    ORDER_ID_PATTERN: "an order id (a UUID)",
    LABEL_PATTERN.removeprefix("^").removesuffix("$"):
        "a credential label of 1 to 64 letters, digits, dots, dashes or underscores",
    DATE_PATTERN: "an ISO date such as 2025-01-31 or a date-time such as 2025-01-31T12:00:00Z (UTC if no zone)",
    QUOTE_CURRENCY_PATTERN: "a currency code of 2 to 10 letters or digits, such as USD",
}

ProductId = Annotated[str, Field(pattern=f"^{PRODUCT_ID_PATTERN}$", max_length=41,
                                 description="a product id BASE-QUOTE, e.g. BTC-USD")]

def _label(value: str) -> str:
    """The CLI's label check (``labels.check_label``), as pydantic wants it: a ValueError."""
    try:
        return check_label(value, allow_env=True)
    except InvalidArgument as exc:
        raise ValueError(str(exc)) from None


#: Checked by ``check_label`` alone (as in the CLI); the pattern is shown in the schema for clients.
Label = Annotated[str, Field(description="credential label; omit to use the default credential",
                             json_schema_extra={"pattern": LABEL_PATTERN, "maxLength": 64}),
                  AfterValidator(_label)]
#: The store's tools read every label unless one is named: a different description, the same check.
StoreLabel = Annotated[str, Field(description="only fills synced with this credential label; omit for all labels",
                                  json_schema_extra={"pattern": LABEL_PATTERN, "maxLength": 64}),
                       AfterValidator(_label)]
#: sync_status reads every label unless one is named.
StatusLabel = Annotated[str, Field(description="only this credential label; omit for every label",
                                   json_schema_extra={"pattern": LABEL_PATTERN, "maxLength": 64}),
                        AfterValidator(_label)]
#: cancel_sync: the one running job when there is only one.
CancelLabel = Annotated[str, Field(description="the label whose sync to stop; omit when only one sync is running "
                                               "(else the default credential's)",
                                   json_schema_extra={"pattern": LABEL_PATTERN, "maxLength": 64}),
                        AfterValidator(_label)]
#: store_credential: the name the new key is stored under (required).
NewLabel = Annotated[str, Field(description="the name to store the credential under, e.g. main (required)",
                                json_schema_extra={"pattern": LABEL_PATTERN, "maxLength": 64}),
                     AfterValidator(_label)]
DateText = Annotated[str, Field(max_length=40, pattern=f"^{DATE_PATTERN}$",
                                description="ISO date or datetime (UTC if no zone), e.g. 2025-01-31")]
#: The schema needs a Literal; tests check it names exactly coinbase.params.ORDER_STATUSES.
OrderStatus = Literal["open", "pending", "rejected", "done", "active", "received", "all"]

P = ParamSpec("P")
R = TypeVar("R")


def _state(ctx: Context) -> "ServerState":
    return ctx.request_context.lifespan_context  # type: ignore[no-any-return]


def _tracker(ctx: Context) -> TradeTracker:
    return _state(ctx).tracker


def translate_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn our errors into tool errors the model can act on (the one MCP error boundary)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except TradeTrackerError as exc:
            raise ToolError(str(exc)) from None

    wrapper.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    # The docstring is the tool's description: hand the model clean text, not source indentation.
    wrapper.__doc__ = inspect.cleandoc(fn.__doc__ or "")
    return wrapper


def respond(model: BaseModel) -> CallToolResult:
    """Structured content plus the same data as compact JSON text, for clients that read only text."""
    data = model.model_dump(mode="json")
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def _empty_hint(ctx: Context, label: str | None) -> str | None:
    """"nothing stored yet: run sync_fills" when the store holds no fills (of ``label``); None otherwise."""
    from .sync_status import empty_store_hint

    state = _state(ctx)
    return empty_store_hint(state.tracker.store, label, [j.label for j in state.jobs.running()])


def _read_only(open_world: bool) -> ToolAnnotations:
    return ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                           open_world_hint=open_world)


def build_server(
    settings: Settings | None = None,
    *,
    tracker: TradeTracker | None = None,
    tracker_factory: Callable[[], TradeTracker] | None = None,
) -> "MCPServer[ServerState]":
    """Create the MCP server. The core is opened in the lifespan (or a given one is shared), with the
    sync jobs it owns; at shutdown running jobs are cancelled (and record it) before the core closes."""
    from .mcp_sync_tools import ServerState, register_sync_tools

    @asynccontextmanager
    async def lifespan(_: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        opened = tracker or (tracker_factory() if tracker_factory else TradeTracker.open(settings))
        state = ServerState(opened)
        try:
            yield state
        finally:
            try:
                await state.aclose()
            finally:
                if tracker is None:
                    await opened.aclose()

    mcp: MCPServer[ServerState] = PlainArgumentsServer(
        "trade-tracker", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan,
        argument_formats=ARGUMENT_FORMATS,
    )

    @mcp.tool(title="List Coinbase products", annotations=_read_only(open_world=True))
    @translate_errors
    async def list_products(
        ctx: Context,
        quote_currency: Annotated[str | None, Field(pattern=f"^{QUOTE_CURRENCY_PATTERN}$",
                                                    description="only products quoted in this, e.g. USD")] = None,
        status: Annotated[Literal["online", "offline", "internal", "delisted"] | None,
                          Field(description="only products with this status")] = None,
        query: Annotated[str | None, Field(max_length=40, description="substring of the id or name, e.g. ETH")] = None,
    ) -> Annotated[CallToolResult, ProductsOut]:
        """List Coinbase Exchange products (markets), optionally filtered. Calls Coinbase (public, no key needed).
        Use it to find a product_id such as BTC-USD before get_ticker, list_fills or sync_fills."""
        products = await _tracker(ctx).list_products(quote_currency, status, query)
        return respond(ProductsOut.of(products))

    @mcp.tool(title="Get a product's ticker", annotations=_read_only(open_world=True))
    @translate_errors
    async def get_ticker(ctx: Context, product_id: ProductId) -> Annotated[CallToolResult, TickerOut]:
        """Current price, best bid/ask and 24h volume of one product. Calls Coinbase (public, no key needed)."""
        ticker = await _tracker(ctx).get_ticker(product_id)
        return respond(TickerOut.of(product_id, ticker))

    @mcp.tool(title="List account balances", annotations=_read_only(open_world=True))
    @translate_errors
    async def list_accounts(
        ctx: Context,
        label: Label | None = None,
        hide_zero: Annotated[bool, Field(description="hide currencies with zero balance and hold")] = True,
    ) -> Annotated[CallToolResult, AccountsOut]:
        """Balances per currency of the credential's Coinbase Exchange profile. Calls Coinbase with the key."""
        label_used, accounts = await _tracker(ctx).list_accounts(label, hide_zero)
        return respond(AccountsOut.of(label_used, accounts))

    @mcp.tool(title="List orders", annotations=_read_only(open_world=True))
    @translate_errors
    async def list_orders(
        ctx: Context,
        label: Label | None = None,
        status: Annotated[list[OrderStatus] | None,
                          Field(max_length=7, description="e.g. ['done'] for history; default: open orders only")]
        = None,
        product_id: ProductId | None = None,
    ) -> Annotated[CallToolResult, OrdersOut]:
        """Up to 100 most recent orders, live from Coinbase. By default (no status) Coinbase returns ONLY open
        orders; pass status=['done'] for filled/cancelled history or ['all']. Calls Coinbase with the key."""
        statuses = list(dict.fromkeys(status or []))
        label_used, orders = await _tracker(ctx).list_orders(label, statuses or None, product_id)
        return respond(OrdersOut.of(label_used, statuses, orders))

    @mcp.tool(title="List fills live from Coinbase", annotations=_read_only(open_world=True))
    @translate_errors
    async def list_fills(
        ctx: Context,
        product_id: ProductId | None = None,
        order_id: Annotated[str | None, Field(pattern=f"^{ORDER_ID_PATTERN}$", description="an order UUID")] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="fills per page")] = 25,
        label: Label | None = None,
        after: Annotated[int | None, Field(ge=1, description="next_after from the previous page, for older fills")]
        = None,
    ) -> Annotated[CallToolResult, FillsOut]:
        """One page of fills (executed trades), newest first, LIVE from Coinbase. Needs product_id or order_id.
        For history, totals or anything offline, prefer sync_fills then query_trades / trade_summary."""
        label_used, page = await _tracker(ctx).list_fills(label, product_id, order_id, limit, after)
        return respond(FillsOut.of(label_used, page))

    register_sync_tools(mcp, _state)  # sync_fills, sync_status, cancel_sync (jobs that outlive a call)

    @mcp.tool(title="Query stored trades", annotations=_read_only(open_world=False))
    @translate_errors
    async def query_trades(
        ctx: Context,
        product_id: ProductId | None = None,
        side: Literal["buy", "sell"] | None = None,
        since: DateText | None = None,
        until: DateText | None = None,
        limit: Annotated[int, Field(ge=1, le=200, description="rows per page")] = 50,
        cursor: Annotated[str | None, Field(max_length=200, description="next_cursor from the previous page")]
        = None,
        label: StoreLabel | None = None,
    ) -> Annotated[CallToolResult, TradesOut]:
        """Fills from the LOCAL store (run sync_fills first), newest first, filtered. Offline, exact, paged.
        Without label: the fills of every stored label."""
        rows, next_cursor = _tracker(ctx).store.query_fills(
            product_id=product_id.upper() if product_id else None, side=side, since=since, until=until,
            label=label, limit=limit, cursor=cursor,
        )
        out = TradesOut.of(rows, next_cursor)
        if not rows and cursor is None:
            out.hint = _empty_hint(ctx, label)
        return respond(out)

    @mcp.tool(
        title="Summarise trades: volume, fees, position, PnL",
        annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                    open_world_hint=True),
    )
    @translate_errors
    async def trade_summary(
        ctx: Context,
        product_id: ProductId | None = None,
        since: DateText | None = None,
        until: DateText | None = None,
        label: StoreLabel | None = None,
        group_by: Annotated[Literal["product", "month", "day"],
                            Field(description="one entry per product, or per product and UTC month/day")] = "product",
        method: Annotated[Literal["fifo", "average"], Field(description="cost basis for realized PnL")] = "fifo",
        with_unrealized: Annotated[bool, Field(description="also fetch tickers for unrealized PnL (calls Coinbase)")]
        = False,
    ) -> Annotated[CallToolResult, SummaryOut]:
        """Per product: buy/sell counts, base and quote volume, fees, average prices, net position and realized
        PnL (FIFO by default), plus totals per currency. With group_by month or day, also per-period totals
        across products per quote currency (volume, fees, realized and cumulative realized PnL). Without label:
        every stored label, each its own book. From the LOCAL store: offline and exact, unless with_unrealized
        asks for live tickers. Run sync_fills first for complete figures."""
        summary = await _tracker(ctx).summary(
            product_id=product_id.upper() if product_id else None, since=since, until=until, label=label,
            group_by=group_by, method=method, with_unrealized=with_unrealized,
        )
        out = SummaryOut.of(summary)
        if summary.fill_count == 0:
            out = out.model_copy(update={"hint": _empty_hint(ctx, label)})
        return respond(out)

    @mcp.tool(
        title="Store a Coinbase API credential (out of band)",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                                    open_world_hint=True),
    )
    @translate_errors
    async def store_credential(ctx: Context, label: NewLabel) -> Annotated[CallToolResult, StoreCredentialOut]:
        """Ask the user to enter a Coinbase Exchange API key under `label`, OUT OF BAND: a one-time page on
        127.0.0.1 (URL elicitation) or, if the client cannot open URLs, a CLI command to run. Takes no secret
        and returns none: never ask the user to paste keys into the chat. A View-only key is recommended."""
        from .credential_flow import request_credential

        return respond(await request_credential(ctx, _tracker(ctx), label))

    @mcp.tool(title="List stored credentials", annotations=_read_only(open_world=False))
    @translate_errors
    async def list_credentials(ctx: Context) -> Annotated[CallToolResult, CredentialsOut]:
        """Labels and key fingerprints of the stored credentials (and the env credential). Never secrets."""
        infos = _tracker(ctx).credentials.list()
        return respond(CredentialsOut(count=len(infos), credentials=[
            CredentialOut(label=i.label, fingerprint=i.fingerprint, source=i.source,
                          created_at=i.created_at, last_verified_at=i.last_verified_at,
                          verify_status=i.verify_status,
                          permissions=i.permissions if isinstance(i.permissions, str | None)
                          else json.dumps(i.permissions))
            for i in infos
        ]))

    @mcp.tool(
        title="Export trades to a CSV file",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                                    open_world_hint=False),
    )
    @translate_errors
    async def export_trades(
        ctx: Context,
        product_id: ProductId | None = None,
        since: DateText | None = None,
        until: DateText | None = None,
        label: StoreLabel | None = None,
        summary: Annotated[bool, Field(description="export the summary instead of the fills")] = False,
        group_by: Annotated[Literal["product", "month", "day"],
                            Field(description="with summary: one row per product, or per product and UTC month/day")]
        = "product",
        method: Annotated[Literal["fifo", "average"],
                          Field(description="with summary: cost basis for realized PnL")] = "fifo",
    ) -> Annotated[CallToolResult, ExportOut]:
        """Write the stored fills (or, with summary, the trade summary grouped by group_by) to a new CSV file
        under $TRADE_TRACKER_HOME/exports and return its path, not the data. Without label: every stored
        label. Offline."""
        if not summary and (group_by != "product" or method != "fifo"):
            raise InvalidArgument("group_by and method go with summary=true (a fills export has one row per fill).")
        out = await _tracker(ctx).export_csv(
            summary=summary, group_by=group_by, method=method,
            product_id=product_id.upper() if product_id else None, since=since, until=until, label=label,
        )
        return respond(out)

    return mcp


def run(transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False) -> None:
    """Serve over stdio (default) or streamable HTTP; see ``serve.py`` for the HTTP guard."""
    from .serve import run as serve_run

    serve_run(transport, host, port, allow_remote)
