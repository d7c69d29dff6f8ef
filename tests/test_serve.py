"""The streamable-HTTP transport: Host (421), Origin (403) and bearer token (401) checks, loopback-only bind."""

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from trade_tracker.config import load_settings
from trade_tracker.errors import ConfigError
from trade_tracker.serve import build_http_app, configure_logging, is_loopback, run_http

TOKEN = "test-token-" + "x" * 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server(tmp_path) -> Iterator[str]:
    port = _free_port()
    settings = load_settings(trade_tracker_home=tmp_path)
    app = build_http_app(settings, "127.0.0.1", port, TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_no_token_is_401(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers=HEADERS)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_wrong_token_is_401(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers={**HEADERS, "Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_bad_host_is_421(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT,
                   headers={**HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": "evil.example.com"})
    assert r.status_code == 421


def test_bad_host_is_421_even_without_token(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers={**HEADERS, "Host": "evil.example.com"})
    assert r.status_code == 421


def test_bad_origin_is_403(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT,
                   headers={**HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example.com"})
    assert r.status_code == 403


def test_good_token_initializes(http_server: str) -> None:
    port = http_server.rsplit(":", 1)[1]
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers={
        **HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": f"http://localhost:{port}"})
    assert r.status_code == 200


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_good_token_lists_tools(http_server: str, mode: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        async with Client(streamable_http_client(f"{http_server}/mcp", http_client=http), mode=mode) as client:
            tools = await client.list_tools()
    names = {t.name for t in tools.tools}
    assert {"list_products", "sync_fills", "query_trades", "store_credential"} <= names


def test_non_loopback_bind_refused(tmp_path) -> None:
    settings = load_settings(trade_tracker_home=tmp_path)
    with pytest.raises(ConfigError, match="--allow-remote"):
        run_http(settings, host="0.0.0.0", port=_free_port())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_logging_goes_to_stderr(capsys) -> None:
    import logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO")
        logging.getLogger("trade_tracker.test").warning("hello-stderr")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    captured = capsys.readouterr()
    assert "hello-stderr" in captured.err
    assert "hello-stderr" not in captured.out



@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]"])
def test_wildcard_binds_are_refused_even_with_allow_remote(tmp_path, host: str) -> None:
    settings = load_settings(trade_tracker_home=tmp_path)
    with pytest.raises(ConfigError, match="wildcard"):
        run_http(settings, host=host, port=_free_port(), allow_remote=True)


def test_ipv6_hosts_are_bracketed_in_the_allowed_host_list() -> None:
    from trade_tracker.serve import _allowed

    hosts, origins = _allowed("fe80::1", 8765)
    assert hosts == ["[fe80::1]:8765"] and origins == ["http://[fe80::1]:8765"]
    hosts, _ = _allowed("::1", 8765)
    assert set(hosts) == {"[::1]:8765", "127.0.0.1:8765", "localhost:8765"}
