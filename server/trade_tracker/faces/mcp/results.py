"""What every MCP tool shares: the one error boundary, the answer's two forms, the server state of a call.

:func:`translate_errors` turns a ``TradeTrackerError`` into an ``isError`` result carrying its message
(which says what to fix and never holds a secret); anything else is reported by the SDK as a bare
"Error executing tool X" with the detail only in the server's stderr log.
"""

import functools
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from trade_tracker.app import TradeTracker
from trade_tracker.errors import TradeTrackerError

if TYPE_CHECKING:
    from .sync_tools import ServerState

__all__ = ["empty_hint", "read_only", "respond", "state_of", "tracker_of", "translate_errors", "writes"]

P = ParamSpec("P")
R = TypeVar("R")


def state_of(ctx: Context) -> "ServerState":
    # An unparameterized Context types it as a dict; build_server's lifespan yields a ServerState.
    return cast("ServerState", ctx.request_context.lifespan_context)


def tracker_of(ctx: Context) -> TradeTracker:
    return state_of(ctx).tracker


def translate_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn our errors into tool errors the model can act on (the one MCP error boundary)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except TradeTrackerError as exc:
            raise ToolError(str(exc)) from None

    # A function takes any attribute; typeshed does not list __signature__, which inspect.signature reads.
    wrapper.__signature__ = inspect.signature(fn)  # pyright: ignore[reportAttributeAccessIssue]
    # The docstring is the tool's description: hand the model clean text, not source indentation.
    wrapper.__doc__ = inspect.cleandoc(fn.__doc__ or "")
    return wrapper


def respond(model: BaseModel) -> CallToolResult:
    """Structured content plus the same data as compact JSON text, for clients that read only text."""
    data = model.model_dump(mode="json")
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def empty_hint(ctx: Context, label: str | None) -> str | None:
    """The hint "nothing stored yet: run sync_fills" when the store holds no fills (of ``label``); else None."""
    from trade_tracker.sync.status import empty_store_hint

    state = state_of(ctx)
    return empty_store_hint(state.tracker.store, label, [j.label for j in state.jobs.running()])


def read_only(open_world: bool) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=open_world
    )


def writes(open_world: bool, *, idempotent: bool = False) -> ToolAnnotations:
    """A tool that writes, never destroying anything: something new each call unless ``idempotent``
    (sync_fills and cancel_sync may be repeated: a second call changes nothing more)."""
    return ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=idempotent, open_world_hint=open_world
    )
