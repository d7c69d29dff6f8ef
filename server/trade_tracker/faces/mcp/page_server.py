"""The uvicorn server the one-time credential page runs on: it logs nothing about requests, at any level.

The page's URL holds its token, so no log line may carry a request's path. uvicorn writes it in two
places: the access log, and (with the ``uvicorn.error`` logger at TRACE or below) the ASGI message
log, which prints every request's scope. This server has neither, and changes no one else's
logging. It also keeps the page's connection limits (``listener_limits.PAGE_LIMITS``) and captures
no signals, because it lives inside another program's event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.middleware.message_logger import MessageLoggerMiddleware

from .listener_limits import PAGE_LIMITS, LimitedH11Protocol, uvicorn_options

__all__ = ["quiet_server"]


class _Server(uvicorn.Server):
    """uvicorn without signal capture: the page lives inside another program's event loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _QuietConfig(uvicorn.Config):
    """uvicorn's config without its ASGI message logger.

    When the ``uvicorn.error`` logger is at TRACE (5) or below (root at ``TRACE``, or at 1), uvicorn
    wraps the app in ``MessageLoggerMiddleware``, which logs every request's scope: the path, and so
    the page's token. This server never gets that wrapper.
    """

    def load(self) -> None:
        super().load()
        if isinstance(self.loaded_app, MessageLoggerMiddleware):
            self.loaded_app = self.loaded_app.app


class _QuietH11(LimitedH11Protocol):
    """h11 without the access log, with the page's connection limits.

    uvicorn turns its access log on whenever the ``uvicorn.access`` logger has a handler
    anywhere up the tree (the root logger counts), and ``Config(access_log=False)`` works by
    detaching that logger process-wide. Switching it off per connection touches no one else's
    logging, and the tokenised URL is never written anywhere.
    """

    limits = PAGE_LIMITS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False


def quiet_server(app: Any) -> uvicorn.Server:
    """A uvicorn server for ``app`` (ASGI 3, no lifespan): quiet, limited, signal-free; serve it with sockets."""
    config = _QuietConfig(
        app,
        interface="asgi3",
        lifespan="off",
        log_config=None,
        log_level=None,
        proxy_headers=False,
        server_header=False,
        date_header=False,
        **uvicorn_options(_QuietH11),
    )
    return _Server(config)
