"""Running the Advanced Trade simulator: in a background thread for tests, or in the foreground for the CLI.

``running_advanced(**AdvancedConfig fields)`` serves a ``SimAdvanced`` through the core's runner
(``core.server.RunningSim``). ``serve_advanced_main()`` is what ``python -m trade_tracker.sim --venue
advanced`` and ``trade-tracker sim --venue advanced`` call: it builds the history, binds, prints one
JSON line ``{"venue", "url", "key_dir", "key_files", "key_names"}`` (never a private key) and serves
until SIGINT/SIGTERM, then returns 0. With ``key_dir``, the keys there are reused and the port is kept
there, so a credential stored for the simulator stays valid across restarts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import IO, Any

from ..core.catalog import DEFAULT_PRODUCTS
from ..core.server import RunningSim, bind_socket, check_host, serve_socket, socket_url
from .app import build_app
from .keys import SimKey, fresh_key_dir, remember_port_in, stored_port_in
from .state import SimAdvanced

__all__ = ["RunningAdvanced", "ready_line", "running_advanced", "serve_advanced_main"]


class RunningAdvanced(RunningSim):
    """A served ``SimAdvanced``: ``.url``, ``.advanced`` (the state), ``.ecdsa`` / ``.ed25519`` keys."""

    @property
    def advanced(self) -> SimAdvanced:
        state: SimAdvanced = self.exchange
        return state

    @property
    def ecdsa(self) -> SimKey:
        return self.advanced.key_of_type("ecdsa")

    @property
    def ed25519(self) -> SimKey:
        return self.advanced.key_of_type("ed25519")

    @property
    def host_port(self) -> str:
        """What a client puts in the JWT ``uri`` after the method: ``host:port``."""
        return self.url.split("://", 1)[1]

    def __repr__(self) -> str:
        return f"RunningAdvanced(url={self.url!r})"


def running_advanced(
    state: SimAdvanced | None = None, *, host: str = "127.0.0.1", port: int = 0, **config: Any
) -> RunningAdvanced:
    """A simulator to run as ``with running_advanced(fills=500) as sim:`` (or ``async with``)."""
    if state is not None and config:
        raise TypeError("pass either a state or config keywords, not both")
    state = state or SimAdvanced(**config)
    return RunningAdvanced(state, host, port, app=build_app(state))


def ready_line(url: str, state: SimAdvanced) -> dict[str, Any]:
    """The startup JSON: where to connect and which key files to import (paths and names only)."""
    keys = state.keys.values()
    files = {k.type: str(k.path) for k in keys if k.path is not None}
    folder = os.path.dirname(next(iter(files.values()))) if files else None
    return {
        "venue": "advanced",
        "url": url,
        "key_dir": folder,
        "key_files": files,
        "key_names": {k.type: k.name for k in keys},
    }


def serve_advanced_main(
    host: str = "127.0.0.1",
    port: int | None = None,
    fills: int = 2_000,
    products: Sequence[str] = DEFAULT_PRODUCTS,
    seed: int | str = 42,
    allow_non_loopback: bool = False,
    out: IO[str] | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    **config: Any,
) -> int:
    """Build, bind, print the ready line, serve until SIGINT/SIGTERM; return 0.

    Extra keywords are ``AdvancedConfig`` fields. Raises ``ValueError`` for a non-loopback ``host``
    (unless allowed) or an unusable ``key_dir``, and ``OSError`` if the port cannot be bound.
    """
    check_host(host, allow_non_loopback)
    ready: IO[str] = out or sys.stdout
    kept_dir = key_dir is not None
    folder = os.fspath(key_dir) if key_dir is not None else str(fresh_key_dir())
    state = SimAdvanced(fills=fills, products=tuple(products), seed=seed, key_dir=folder, **config)
    kept = stored_port_in(folder) if kept_dir and port is None else None
    sock = bind_socket(host, port if port is not None else (kept or 0))
    try:
        if kept_dir and kept is None:
            remember_port_in(folder, sock.getsockname()[1])
        ready.write(json.dumps(ready_line(socket_url(sock), state)) + "\n")
        ready.flush()
        serve_socket(build_app(state), sock)
    finally:
        sock.close()
    return 0
