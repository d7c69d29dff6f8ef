"""Resource-updated notifications after a sync, in both protocol eras, and the legacy ``logging/setLevel``.

Why: an editor that attached ``trade-tracker://sync-status`` (or a product's fills) as context should learn
when a sync changed it. The two eras deliver this differently:

- 2026-07-28: the client opens ``subscriptions/listen``; the server publishes on its ``SubscriptionBus``
  (the SDK's listen handler filters and stamps the events). :class:`ResourceUpdates` owns that bus.
- 2025-11-25 and before: the client sends ``resources/subscribe`` / ``resources/unsubscribe`` for a URI;
  the server then sends ``notifications/resources/updated`` on that client's session. ``MCPServer`` has
  no decorator for these, so they are served through the SDK's low-level handler API.

:class:`NotifyingState` is the server's state whose sync jobs publish, after every sync, an update of the
sync status and, when it stored or changed fills, of the positions and of each such product's fills.
``logging/setLevel`` (2025-11-25 only; deprecated by 2026-07-28, SEP-2577) is accepted and answered: this
server sends no log notifications at all (its logs go to stderr), so any level is already honoured.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp.types import EmptyResult, SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams

from .resources import FILLS_TEMPLATE, POSITIONS_URI, SYNC_STATUS_URI
from .sync_tools import ServerState

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

    from trade_tracker.app import TradeTracker
    from trade_tracker.sync.jobs import SyncJob

    from .surface import SurfaceServer

__all__ = ["NotifyingState", "ResourceUpdates", "updated_uris"]

log = logging.getLogger("trade_tracker.mcp")


def updated_uris(products: list[str]) -> list[str]:
    """The resources a finished sync made stale: the sync status always; the positions and the fills of
    each product in ``products`` (those whose fills it stored or changed) when there are any."""
    if not products:
        return [SYNC_STATUS_URI]
    fills = (FILLS_TEMPLATE.replace("{product_id}", p) for p in sorted(products) if "-" in p)
    return [SYNC_STATUS_URI, POSITIONS_URI, *fills]


class ResourceUpdates:
    """Who wants to hear of which resource: the 2026 listen streams (the bus) and the legacy subscribers."""

    def __init__(self) -> None:
        self.bus = InMemorySubscriptionBus()
        #: legacy sessions subscribed, by URI (a session object per connected client)
        self._legacy: dict[str, list[Any]] = {}

    def register(self, mcp: SurfaceServer[Any]) -> None:
        """Serve resources/subscribe, resources/unsubscribe and logging/setLevel on ``mcp``."""
        mcp.add_request_handler("resources/subscribe", SubscribeRequestParams, self._subscribe)
        mcp.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, self._unsubscribe)
        mcp.add_request_handler("logging/setLevel", SetLevelRequestParams, _set_level)

    async def _subscribe(self, ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
        sessions = self._legacy.setdefault(str(params.uri), [])
        if not any(s is ctx.session for s in sessions):
            sessions.append(ctx.session)
        return EmptyResult()

    async def _unsubscribe(self, ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
        sessions = self._legacy.get(str(params.uri), [])
        self._legacy[str(params.uri)] = [s for s in sessions if s is not ctx.session]
        return EmptyResult()

    def subscribers(self, uri: str) -> int:
        return len(self._legacy.get(uri, []))

    async def publish(self, uris: list[str]) -> None:
        """Tell every listener and legacy subscriber that ``uris`` changed; a gone client is dropped."""
        for uri in uris:
            await self.bus.publish(ResourceUpdated(uri=uri))
            alive = []
            for session in self._legacy.get(uri, []):
                try:
                    await session.send_resource_updated(uri)
                    alive.append(session)
                except Exception:  # a client that went away: forget it, never fail the sync
                    log.debug("dropped a resource subscriber of %s", uri)
            if uri in self._legacy:
                self._legacy[uri] = alive


async def _set_level(ctx: ServerRequestContext[Any], params: SetLevelRequestParams) -> EmptyResult:
    # No notifications/message is ever sent by this server (logs go to stderr): every level is honoured.
    return EmptyResult()


class NotifyingState(ServerState):
    """The server's state whose finished syncs publish resource updates (see the module docstring)."""

    def __init__(self, tracker: TradeTracker, updates: ResourceUpdates) -> None:
        super().__init__(tracker)
        self.updates = updates

    async def _run(self, job: SyncJob) -> Any:
        result = await super()._run(job)
        changed = [p.product_id for p in result.products if p.inserted or p.updated]
        await self.updates.publish(updated_uris(changed))
        return result
