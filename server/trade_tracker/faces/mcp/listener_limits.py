"""Connection limits for our two HTTP listeners: the MCP HTTP transport and the one-time credential page.

Why: uvicorn (0.54, h11) accepts every connection and keeps one that never sends a request open
forever: its keep-alive timer starts only after a first response, and h11 has no header timeout.
Its ``limit_concurrency`` does not cap sockets either: it answers 503 to every request once that
many connections are open. So 1,100 idle sockets either use up the process's file descriptors
(the usual soft limit is 1,024, and the credential page shares its process with the MCP server)
or turn every real request into a 503.

What :class:`LimitedH11Protocol` adds to uvicorn's h11 protocol:

- at most ``max_connections`` open connections. When a new one would go over, the connection that
  has been idle longest is closed (idle: no request in flight, including one whose request head
  is still incomplete). If every connection is busy, the new one gets a 503 and is closed;
- a connection must complete its request head within ``head_timeout`` seconds of opening, or of
  its previous response. A silent or trickling client is closed, on top of uvicorn's
  ``timeout_keep_alive``.

:func:`uvicorn_options` gives the uvicorn settings that go with it. ``backlog`` limits how many
connections asyncio accepts in one loop pass, so even a burst keeps file descriptors near the
cap plus ``backlog``. ``h11_max_incomplete_event_size`` caps the memory of an incomplete head.
``timeout_graceful_shutdown`` keeps a long stream from holding the process at exit.
``limit_concurrency`` stays uvicorn's backstop on running tasks: it is one above the connection
cap because uvicorn counts the asking connection itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "HTTP_LIMITS",
    "PAGE_LIMITS",
    "HttpTransportProtocol",
    "LimitedH11Protocol",
    "ListenerLimits",
    "uvicorn_options",
]

log = logging.getLogger("trade_tracker.listener")

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 22\r\n\r\ntoo many connections\r\n"
)


@dataclass(frozen=True)
class ListenerLimits:
    """How many connections a listener keeps, and how long an idle one may stay."""

    max_connections: int
    keep_alive: int = 5  # seconds an idle keep-alive connection stays open after a response
    head_timeout: float = 10.0  # seconds to send a complete request head
    max_head_bytes: int = 16 * 1024
    graceful_shutdown: int = 5  # seconds running requests get at shutdown
    backlog: int = 128  # pending connections the kernel queues, and asyncio accepts per pass


#: The MCP streamable-HTTP transport: one user's editor needs a handful of connections.
HTTP_LIMITS = ListenerLimits(max_connections=100)
#: The one-time credential page: one browser tab.
PAGE_LIMITS = ListenerLimits(max_connections=16, graceful_shutdown=2)


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a request-head timeout (see the module docstring)."""

    limits: ClassVar[ListenerLimits] = HTTP_LIMITS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle_since: float | None = None
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self._became_idle()
        live = [c for c in self.connections if not c.transport.is_closing()]
        if len(live) <= self.limits.max_connections:
            return
        idle = [c for c in live if c is not self and isinstance(c, LimitedH11Protocol) and c._idle_since is not None]
        if idle:
            victim = min(idle, key=lambda c: c._idle_since or 0.0)
            log.debug("listener full (%d connections): closing the one idle longest", len(live))
            victim._close_idle()
        else:
            log.warning("listener full (%d busy connections): refusing a new one", len(live))
            self._cancel_head_timer()
            transport.write(_BUSY)
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self._idle_since = None
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not before:  # a request head arrived
            self._idle_since = None
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start a pipelined request (then it is not idle)
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._became_idle()

    def _became_idle(self) -> None:
        self._idle_since = self.loop.time()
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._idle_since is not None:
            self._close_idle()

    def _close_idle(self) -> None:
        self._cancel_head_timer()
        self._idle_since = None
        if self.transport.is_closing():
            return
        try:
            self.conn.send(h11.ConnectionClosed())
        except h11.LocalProtocolError:  # mid-request from h11's point of view: just drop it
            pass
        self.transport.close()


class HttpTransportProtocol(LimitedH11Protocol):
    """The protocol of ``serve --transport http``."""

    limits = HTTP_LIMITS


def uvicorn_options(protocol: type[LimitedH11Protocol]) -> dict[str, Any]:
    """The ``uvicorn.Config`` keyword arguments that go with ``protocol`` and its limits."""
    limits = protocol.limits
    return {
        "http": protocol,
        "limit_concurrency": limits.max_connections + 1,
        "backlog": limits.backlog,
        "timeout_keep_alive": limits.keep_alive,
        "h11_max_incomplete_event_size": limits.max_head_bytes,
        "timeout_graceful_shutdown": limits.graceful_shutdown,
    }
