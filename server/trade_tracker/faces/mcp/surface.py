"""The server class of the MCP face: resources rendered from the server's state, each listed with its size.

Why a subclass: the SDK hands a ``Context`` (and so the lifespan's :class:`ServerState`: the store, the
credentials, the sync jobs) to resource *templates* only; a static resource's function takes no
argument, and ``completion/complete`` handlers registered with ``@mcp.completion()`` get no context
either. :class:`SurfaceServer` keeps its own static :class:`StateResource` s, rendered per read from the
request's state (:meth:`read_resource`, the SDK's public read path, which receives the context), lists
them with the SDK's own resources in one deterministic order (by URI) and with their ``size`` in bytes
(the SDK's listing leaves ``size`` out), words a prompt's missing argument plainly, and is the one place
that reaches the SDK's low-level server for the few methods ``MCPServer`` has no decorator for
(:meth:`add_request_handler`).

Nothing here calls the exchange: a renderer reads the local store and the credentials' public rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import Resource as WireResource

from trade_tracker.errors import TradeTrackerError

from .argument_errors import PlainArgumentsServer

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext
    from mcp.types import ListResourcesResult, PaginatedRequestParams
    from pydantic import BaseModel

    from .sync_tools import ServerState

__all__ = ["StateResource", "SurfaceServer"]

LifespanT = TypeVar("LifespanT")


@dataclass(frozen=True)
class StateResource:
    """A static resource whose text is rendered, per read, from the server's state (never the exchange)."""

    uri: str
    name: str
    title: str
    description: str
    mime_type: str
    render: Callable[[ServerState], str]

    def text(self, state: ServerState) -> str:
        """The rendered text; our own error (a store failure, say) becomes a resource error with its message."""
        try:
            return self.render(state)
        except TradeTrackerError as exc:
            raise ResourceError(str(exc)) from None

    def listed(self, state: ServerState | None) -> WireResource:
        size = len(self.text(state).encode()) if state is not None else None
        return WireResource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
            size=size,
        )


class SurfaceServer(PlainArgumentsServer[LifespanT]):
    """The MCP face's server: plain argument errors (its base), plus state-rendered resources with sizes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_resources: dict[str, StateResource] = {}
        self._sizes: dict[str, int] = {}

    def add_state_resource(self, resource: StateResource) -> None:
        self._state_resources[resource.uri] = resource

    def add_fixed_size(self, uri: str, size: int) -> None:
        """The size to list for an SDK resource of fixed content (e.g. the chart's HTML)."""
        self._sizes[uri] = size

    def add_request_handler(self, method: str, params_type: type[BaseModel], handler: Callable[..., Any]) -> None:
        """Serve ``method`` through the SDK's low-level server (the documented way for legacy-only methods)."""
        self._lowlevel_server.add_request_handler(method, params_type, handler)  # pyright: ignore[reportPrivateUsage]

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        resource = self._state_resources.get(str(uri))
        if resource is None or context is None:
            return await super().read_resource(uri, context)
        state = cast("ServerState", context.request_context.lifespan_context)
        return [ReadResourceContents(content=resource.text(state), mime_type=resource.mime_type)]

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context: Any = None) -> Any:
        """The SDK's prompt, after a check that words an unknown prompt or a missing argument plainly (the
        SDK's own ValueError reaches a 2026-07-28 client as a bare "Internal server error")."""
        from mcp.shared.exceptions import MCPError
        from mcp.types import INVALID_PARAMS

        prompts = {p.name: p for p in await self.list_prompts()}
        prompt = prompts.get(name)
        if prompt is None:
            known = ", ".join(sorted(prompts))
            raise MCPError(code=INVALID_PARAMS, message=f"no prompt is named {name[:60]!r}; the prompts are: {known}")
        given = arguments or {}
        missing = [a.name for a in prompt.arguments or [] if a.required and not given.get(a.name)]
        if missing:
            raise MCPError(code=INVALID_PARAMS, message=f"the prompt {name} needs {', '.join(missing)}")
        return await super().get_prompt(name, arguments, context)

    async def _handle_list_resources(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        from mcp.types import ListResourcesResult

        state = cast("ServerState", ctx.lifespan_context)
        return ListResourcesResult(resources=self._listing(state, await self.list_resources()))

    def _listing(self, state: ServerState | None, sdk: Iterable[WireResource]) -> list[WireResource]:
        listed = [r.listed(state) for r in self._state_resources.values()]
        for resource in sdk:
            size = self._sizes.get(str(resource.uri))
            listed.append(resource if size is None else resource.model_copy(update={"size": size}))
        return sorted(listed, key=lambda r: str(r.uri))
