"""Running the MCP server: stdio (default) or streamable HTTP behind a bearer token.

stdio: stdout carries only MCP messages; every log line goes to stderr.

HTTP: binds 127.0.0.1 by default and refuses a non-loopback bind unless explicitly
allowed. Every request passes three checks before it reaches MCP, in this order:
``Host`` must be this server's own (else 421, against DNS rebinding), a present
``Origin`` must be a loopback origin (else 403), and ``Authorization: Bearer <token>``
must match (else 401). The token comes from ``TRADE_TRACKER_HTTP_TOKEN`` (at least 32
characters, checked by ``config.http_token`` when the HTTP transport starts, so stdio ignores it)
or is generated at start and printed to stderr once.

The socket is bound before the app is built, so ``--port 0`` works: the Host/Origin checks and
the endpoint line printed on stderr use the port actually bound. Connections are capped and idle
ones closed (``listener_limits.py``).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from trade_tracker.config import Settings, http_token, load_settings
from trade_tracker.errors import ConfigError

if TYPE_CHECKING:
    from trade_tracker.app import TradeTracker

__all__ = [
    "BearerAndOriginGuard",
    "bind_listener",
    "build_http_app",
    "configure_logging",
    "is_loopback",
    "open_core",
    "run",
    "run_http",
    "run_stdio",
]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def configure_logging(level: str = "WARNING") -> None:
    """Send every log record to stderr (never stdout, which is the stdio transport)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "WARNING")
    # httpx logs each request line at INFO; keep it quiet unless debugging.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))


def is_loopback(host: str) -> bool:
    host = host.lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerAndOriginGuard:
    """ASGI middleware: Host (421), Origin (403) and bearer token (401) checks, in that order."""

    def __init__(self, app: ASGIApp, *, token: str, allowed_hosts: list[str], allowed_origins: list[str]) -> None:
        self.app = app
        self._token = token.encode()
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.allowed_origins = {o.lower() for o in allowed_origins}

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        if host not in self.allowed_hosts:
            await _reject(send, 421, "Invalid Host header")
            return
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.allowed_origins:
            await _reject(send, 403, "Origin not allowed")
            return
        auth = headers.get("authorization", "")
        scheme, _, presented = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), self._token):
            await _reject(send, 401, "Missing or invalid bearer token", www_authenticate=True)
            return
        await self.app(scope, receive, send)


async def _reject(
    send: Callable[[Any], Awaitable[None]], status: int, message: str, www_authenticate: bool = False
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if www_authenticate:
        headers.append((b"www-authenticate", b'Bearer realm="trade-tracker"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _host_header_name(host: str) -> str:
    """How a host appears in a Host header: IPv6 literals in brackets."""
    bare = host.strip("[]")
    return f"[{bare}]" if ":" in bare else bare


def _allowed(host: str, port: int) -> tuple[list[str], list[str]]:
    names = {_host_header_name(host)}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost"}
    hosts = [f"{n}:{port}" for n in names]
    origins = [f"http://{n}:{port}" for n in names]
    return hosts, origins


def build_http_app(settings: Settings, host: str, port: int, token: str, tracker: TradeTracker | None = None) -> Any:
    """The streamable-HTTP Starlette app wrapped in the guard (over ``tracker`` when one is open already)."""
    from mcp.server.transport_security import TransportSecuritySettings

    from .server import build_server

    hosts, origins = _allowed(host, port)
    server = build_server(settings) if tracker is None else _served_by(tracker, settings)
    app = server.streamable_http_app(
        host=host,
        transport_security=TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins),
    )
    return BearerAndOriginGuard(app, token=token, allowed_hosts=hosts, allowed_origins=origins)


def open_core(settings: Settings) -> TradeTracker:
    """Open the store (its mode and file checks) before any transport starts.

    Opened inside the server's lifespan, a refused store (``trades.db`` mode 0644, a symlinked
    ``-wal``) surfaced as anyio's ``ExceptionGroup`` or a uvicorn traceback; opened here, it is the
    CLI's own one-line error with its exit code.
    """
    from trade_tracker.app import TradeTracker

    return TradeTracker.open(settings)


def _served_by(tracker: TradeTracker, settings: Settings) -> Any:
    """The MCP server over an already opened core; its lifespan closes it at shutdown."""
    from .server import build_server

    return build_server(settings, tracker_factory=lambda: tracker)


def run_stdio(settings: Settings) -> None:
    _served_by(open_core(settings), settings).run("stdio")


def run_http(settings: Settings, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False) -> None:
    import uvicorn  # here, not at the top: stdio never loads the HTTP stack

    from .listener_limits import HttpTransportProtocol, uvicorn_options

    if not is_loopback(host) and not allow_remote:
        raise ConfigError(
            f"refusing to serve on {host}: only loopback binds are allowed; pass --allow-remote if you really "
            "mean to expose your Coinbase data to the network (and put TLS in front)"
        )
    if host.strip("[]") in ("0.0.0.0", "::", ""):
        raise ConfigError(
            f"refusing to serve on the wildcard address {host!r}: requests are only accepted for the Host they "
            "were sent to, so bind the one address clients will use (e.g. --host 192.168.1.5)"
        )
    given = http_token(settings)  # checked here only: stdio never uses it
    token = given.get_secret_value() if given is not None else secrets.token_urlsafe(32)
    tracker = open_core(settings)
    try:
        sock = bind_listener(host, port)
    except BaseException:
        tracker.store.close()
        raise
    port = sock.getsockname()[1]  # the port actually bound (``--port 0`` picks a free one)
    if settings.mcp_http_token is None:
        print(f"trade-tracker: HTTP bearer token for this run: {token}", file=sys.stderr, flush=True)
    print(f"trade-tracker: MCP endpoint http://{_host_header_name(host)}:{port}/mcp", file=sys.stderr, flush=True)
    app = build_http_app(settings, host, port, token, tracker)
    config = uvicorn.Config(app, log_level="warning", access_log=False, **uvicorn_options(HttpTransportProtocol))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 first when a name resolves to both)."""
    from .listener_limits import HTTP_LIMITS

    bare = host.strip("[]")
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot bind {host!r}: {exc.strerror}; pass --host with an address of this machine"
        ) from None
    family, *_, address = sorted(infos, key=lambda info: info[0] != socket.AF_INET)[0]
    try:
        return socket.create_server(address[:2], family=family, backlog=HTTP_LIMITS.backlog)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port (0 picks a free one)"
        ) from None


def run(
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8765,
    allow_remote: bool = False,
    settings: Settings | None = None,
) -> None:
    """Entry point for ``trade-tracker serve``."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    if transport == "stdio":
        run_stdio(settings)
    elif transport == "http":
        run_http(settings, host, port, allow_remote)
    else:
        raise ConfigError(f"unknown transport {transport!r}; use stdio or http")
