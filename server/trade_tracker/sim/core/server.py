"""Running the simulator: in a background thread for tests, or in the foreground for the CLI.

``running_sim()`` serves a ``SimExchange`` on 127.0.0.1 with a free port from a daemon
thread (its own event loop), usable as ``with`` or ``async with``. ``serve_main()`` is what
``python -m trade_tracker.sim`` and the ``trade-tracker sim`` command call: it builds the
history, binds, prints one JSON line ``{"url", "key", "secret", "passphrase"}`` and serves
until SIGINT/SIGTERM, then returns 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Generator, Sequence
from types import FrameType, TracebackType
from typing import IO, Any

import uvicorn
from starlette.types import ASGIApp

from ..exchange.app import build_app
from ..exchange.auth import SimCredential
from ..exchange.state import SimExchange
from .catalog import DEFAULT_PRODUCTS
from .keyfile import load_or_create_key, remember_port, stored_port

__all__ = [
    "RunningSim",
    "bind_socket",
    "check_host",
    "is_loopback_host",
    "running_sim",
    "serve_main",
    "serve_socket",
    "socket_url",
]

_START_TIMEOUT = 15.0


class _Server(uvicorn.Server):
    """uvicorn's server with two changes.

    - No re-raising of captured signals after shutdown: uvicorn re-raises SIGINT/SIGTERM
      once it has shut down (a KeyboardInterrupt or a death by signal); a simulator stopped
      with Ctrl-C or ``kill`` should just exit 0.
    - ``request_exit()`` wakes the main loop at once instead of at its next 0.1 s tick, so a
      test suite starting a simulator per test does not wait for the next tick at each teardown.
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def request_exit(self) -> None:
        """Ask the server to shut down; safe from any thread."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(wake.set)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

        originals = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, original in originals.items():
                signal.signal(sig, original)


def _server(app: ASGIApp) -> _Server:
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the host process's logging alone
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    return _Server(config)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names a loopback interface (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int | None, kept: int | None, key_file: object) -> socket.socket:
    """Bind ``port``, or when it was not given the port kept in the key file (else a free one)."""
    if port is not None or kept is None:
        return bind_socket(host, port or 0)
    try:
        return bind_socket(host, kept)
    except OSError as exc:
        raise ValueError(
            f"--key-file {key_file}: port {kept}, kept with this key so stored credentials stay valid, cannot be "
            f"bound ({exc.strerror or exc}); stop what uses it, or pass --port (a credential stored for the old "
            "URL then has to be added again)"
        ) from None


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free port."""
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP; without it, Nagle delays every second write of a keep-alive answer by ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def socket_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RunningSim:
    """A simulator served from a background thread; a handle to its URL, credential and state."""

    def __init__(self, exchange: Any, host: str = "127.0.0.1", port: int = 0, *, app: ASGIApp | None = None) -> None:
        """Serve ``exchange`` (a ``SimExchange``, or another venue's state when its ``app`` is given)."""
        self.exchange = exchange
        self._app = app
        self.host, self._port = host, port
        self.url = ""
        self._sock: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def credential(self) -> SimCredential:
        """The default key (permissions from ``SimConfig.key_permissions``)."""
        return self.exchange.credential

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1]) if self.url else self._port

    def start(self) -> RunningSim:
        """Bind, start serving in a daemon thread, and return once the server accepts requests."""
        if self._thread is not None:
            raise RuntimeError("already started")
        self._sock = bind_socket(self.host, self._port)
        self.url = socket_url(self._sock)
        self._server = _server(self._app if self._app is not None else build_app(self.exchange))
        self._thread = threading.Thread(target=self._run, name=f"sim {self.url}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"simulator did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # reported by start(); a thread has nowhere else to raise
            self._error = exc

    def stop(self) -> None:
        """Shut the server down and wait for its thread (idempotent)."""
        if self._server is not None:
            self._server.request_exit()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> RunningSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> RunningSim:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        return f"RunningSim(url={self.url!r})"


def running_sim(
    exchange: SimExchange | None = None, *, host: str = "127.0.0.1", port: int = 0, **config: Any
) -> RunningSim:
    """A simulator to run as ``with running_sim(fills=500) as sim:`` (or ``async with``).

    Pass an existing ``exchange``, or ``SimConfig`` fields as keywords to build one.
    """
    if exchange is not None and config:
        raise TypeError("pass either an exchange or config keywords, not both")
    return RunningSim(exchange or SimExchange(**config), host, port)


def check_host(host: str, allow_non_loopback: bool) -> None:
    """Raise ``ValueError`` for a non-loopback ``host`` unless ``allow_non_loopback``."""
    if not allow_non_loopback and not is_loopback_host(host):
        raise ValueError(
            f"refusing to listen on {host!r}: the simulator serves a demo credential and admin routes; "
            "use a loopback address, or allow non-loopback explicitly"
        )


def serve_main(
    host: str = "127.0.0.1",
    port: int | None = None,
    fills: int = 10_000,
    products: Sequence[str] = DEFAULT_PRODUCTS,
    seed: int | str = 42,
    rate_limits: bool = True,
    fail_rate: float = 0.0,
    latency_ms: float = 0,
    key: str | None = None,
    secret: str | None = None,
    passphrase: str | None = None,
    allow_non_loopback: bool = False,
    out: IO[str] | None = None,
    key_file: str | os.PathLike[str] | None = None,
    **config: Any,
) -> int:
    """Build the history, bind, print the JSON ready line, serve until SIGINT/SIGTERM; return 0.

    The credential is ``key``/``secret``/``passphrase`` where given, else ``SIM_KEY`` /
    ``SIM_SECRET`` / ``SIM_PASSPHRASE`` from the environment, else freshly generated. With
    ``key_file``, the key stored there (written 0600 on the first run; ``keyfile.py``), and its port:
    ``port`` None (not given) reuses the port kept there, else 0 (a free port); the port bound is kept
    there when it has none yet, so a credential stored for this URL stays valid across restarts.
    Extra keywords are ``SimConfig`` fields (``delisted``, ``auth_failure_status``,
    ``clock_offset``, ``key_permissions``…). Raises ``ValueError`` for a non-loopback
    ``host`` unless ``allow_non_loopback``, and ``OSError`` if the port cannot be bound.
    """
    check_host(host, allow_non_loopback)
    ready: IO[str] = out or sys.stdout  # where the JSON ready line goes
    kept_port: int | None = None
    if key_file is not None:
        stored = load_or_create_key(key_file)
        key, secret, passphrase = stored.key, stored.secret, stored.passphrase
        kept_port = stored_port(key_file)
    exchange = SimExchange(
        fills=fills,
        products=tuple(products),
        seed=seed,
        rate_limits=rate_limits,
        fail_rate=fail_rate,
        latency_ms=latency_ms,
        key=key or os.environ.get("SIM_KEY") or None,
        secret=secret or os.environ.get("SIM_SECRET") or None,
        passphrase=passphrase or os.environ.get("SIM_PASSPHRASE") or None,
        **config,
    )
    sock = _bind(host, port, kept_port, key_file)
    try:
        if key_file is not None and kept_port is None:
            remember_port(key_file, sock.getsockname()[1])
        ready.write(json.dumps({"url": socket_url(sock), **exchange.credential.as_dict()}) + "\n")
        ready.flush()
        serve_socket(build_app(exchange), sock)
    finally:
        sock.close()
    return 0


def serve_socket(app: ASGIApp, sock: socket.socket) -> None:
    """Serve ``app`` on the bound ``sock`` in the foreground until SIGINT/SIGTERM."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_server(app).serve(sockets=[sock]))
