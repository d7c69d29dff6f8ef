"""The MCP face: tool wiring only. Each tool checks its arguments (pydantic), calls the
core (``app.TradeTracker``) and shapes a bounded, structured answer.

Errors: a ``TradeTrackerError`` becomes an ``isError`` result carrying its message,
which says what to fix and never holds a secret. Anything else is reported by the SDK
as a bare "Error executing tool X" with the detail only in the server's stderr log.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer

from trade_tracker import __version__
from trade_tracker.app import TradeTracker
from trade_tracker.config import Settings

from .params import ARGUMENT_FORMATS
from .surface import SurfaceServer
from .venue_text import venue_text

if TYPE_CHECKING:
    from .resource_updates import ResourceUpdates
    from .sync_tools import ServerState

__all__ = ["INSTRUCTIONS", "build_server"]

INSTRUCTIONS = venue_text("""\
trade-tracker reads one trader's Coinbase accounts and keeps every fill in a local SQLite store. Venues:
{venue_lines}
Each credential label belongs to one venue, and every tool given that label uses it. trade-tracker only
reads: it never places, changes or cancels an order.
Workflow: 1) a credential must exist: list_credentials shows stored ones; if none, call store_credential
(the user types the key in a local browser page or the CLI, never in chat; never ask for secrets in chat).
2) sync_fills brings fills into the local store (first run: whole history; later: only new fills).
A first sync of a large account takes minutes and runs in the background: when sync_fills answers
status "running", follow it with sync_status (or call sync_fills again to wait; it joins the running job,
never starts a second one); cancel_sync stops it. Nothing synced so far is ever lost.
3) query_trades and trade_summary answer from the local store, offline and exact (money is decimal strings).
Before answering that nothing was traded, check sync_status: the store may not be synced yet, or a sync may
still be running.
list_fills, list_orders, list_accounts, list_products and get_ticker call Coinbase live (the last two take
a venue; the others use the label's).
""")


def build_server(
    settings: Settings | None = None,
    *,
    tracker: TradeTracker | None = None,
    tracker_factory: Callable[[], TradeTracker] | None = None,
) -> "MCPServer[ServerState]":
    """Create the MCP server. The core is opened in the lifespan (or a given one is shared), with the
    sync jobs it owns; at shutdown running jobs are cancelled (and record it) before the core closes."""
    from .chart import pnl_chart_app
    from .resource_updates import NotifyingState, ResourceUpdates
    from .sync_tools import ServerState

    updates = ResourceUpdates()  # resource-updated notifications after a sync (both protocol eras)

    @asynccontextmanager
    async def lifespan(_: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        opened = tracker or (tracker_factory() if tracker_factory else TradeTracker.open(settings))
        state = NotifyingState(opened, updates)
        try:
            yield state
        finally:
            try:
                await state.aclose()
            finally:
                if tracker is None:
                    await opened.aclose()

    mcp: SurfaceServer[ServerState] = SurfaceServer(
        "trade-tracker",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        argument_formats=ARGUMENT_FORMATS,
        extensions=[pnl_chart_app()],  # show_pnl_chart and its ui:// resource (MCP Apps)
        subscriptions=updates.bus,
    )

    _register(mcp, updates)
    return mcp


def _register(mcp: "SurfaceServer[ServerState]", updates: "ResourceUpdates") -> None:
    """Register every tool (live, sync, store, tax), resource, prompt and completion on ``mcp``."""
    from .chart import CHART_URI
    from .chart_html import PNL_CHART_HTML
    from .results import state_of
    from .sync_tools import register_sync_tools
    from .tax_tools import TAX_TOOLS
    from .tools import LIVE_TOOLS, STORE_TOOLS

    for tool in LIVE_TOOLS:
        mcp.tool(title=tool.title, annotations=tool.annotations)(tool.fn)
    register_sync_tools(mcp, state_of)  # sync_fills, sync_status, cancel_sync (jobs that outlive a call)
    for tool in STORE_TOOLS:
        mcp.tool(title=tool.title, annotations=tool.annotations)(tool.fn)

    from .completions import register_completions
    from .prompts import register_prompts
    from .resources import register_resources

    register_resources(mcp)  # sync-status, positions, fills/{product_id}, exports/{name}
    mcp.add_fixed_size(CHART_URI, len(PNL_CHART_HTML.encode()))
    register_prompts(mcp)  # monthly_review, fee_audit, reconcile
    register_completions(mcp)  # product_id and label, from the store and the credentials
    updates.register(mcp)  # resources/subscribe, resources/unsubscribe, logging/setLevel (2025-11-25)

    for tool in TAX_TOOLS:
        mcp.tool(title=tool.title, annotations=tool.annotations)(tool.fn)
