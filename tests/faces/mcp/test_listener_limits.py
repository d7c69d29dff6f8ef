"""The listener limits, on a real uvicorn server: the idle connection goes first, busy ones are kept, heads time out."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from trade_tracker.faces.mcp.listener_limits import (
    HTTP_LIMITS,
    PAGE_LIMITS,
    LimitedH11Protocol,
    ListenerLimits,
    uvicorn_options,
)


class Tiny(LimitedH11Protocol):
    limits = ListenerLimits(max_connections=3, keep_alive=30, head_timeout=0.6)


release = threading.Event()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        while not release.is_set():
            await asyncio.sleep(0.02)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def port() -> Iterator[int]:
    release.clear()
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, **uvicorn_options(Tiny))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    release.set()
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    time.sleep(0.05)  # let the server see it, in order
    return s


def closed_by_server(s: socket.socket, within: float = 2.0) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def get(s: socket.socket, path: str = "/") -> bytes:
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    s.settimeout(5)
    return s.recv(1024)


def test_a_full_listener_closes_the_connection_idle_longest(port: int) -> None:
    a, b, c = connect(port), connect(port), connect(port)
    assert get(b).startswith(b"HTTP/1.1 200")  # b is now idle since its response: newer than a
    d = connect(port)
    try:
        assert closed_by_server(a)
        assert not closed_by_server(b, 0.2) and not closed_by_server(c, 0.2)
        assert get(d).startswith(b"HTTP/1.1 200")
    finally:
        for s in (a, b, c, d):
            s.close()


def test_busy_connections_are_kept_and_a_new_one_is_told_503(port: int) -> None:
    busy = [connect(port) for _ in range(3)]
    for s in busy:
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    extra = connect(port)
    try:
        extra.settimeout(5)
        answer = extra.recv(1024)
        assert answer.startswith(b"HTTP/1.1 503") and b"too many connections" in answer
        assert closed_by_server(extra)
        release.set()
        for s in busy:
            s.settimeout(5)
            assert s.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        for s in (*busy, extra):
            s.close()


def test_a_silent_connection_is_closed_after_the_head_timeout(port: int) -> None:
    s = connect(port)
    try:
        started = time.monotonic()
        assert closed_by_server(s, 5)
        assert 0.4 < time.monotonic() - started < 3
    finally:
        s.close()


def test_a_trickled_head_after_a_response_is_closed_too(port: int) -> None:
    """uvicorn's keep-alive timer stops at the first byte; the head timeout does not."""
    s = connect(port)
    try:
        assert get(s).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        s.settimeout(0.1)
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                s.send(bytes([byte]))
                if s.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        elapsed = time.monotonic() - started
        assert elapsed < 3, "the trickling client was never closed"
    finally:
        s.close()


def test_the_uvicorn_options_follow_the_limits() -> None:
    options = uvicorn_options(Tiny)
    assert options["http"] is Tiny and options["limit_concurrency"] == 4 and options["timeout_keep_alive"] == 30
    assert options["h11_max_incomplete_event_size"] == 16 * 1024 and options["backlog"] == 128
    assert PAGE_LIMITS.max_connections < HTTP_LIMITS.max_connections
