"""The streamable-HTTP transport: Host (421), Origin (403) and bearer token (401) checks, loopback-only bind."""

import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from idle_sockets import IDLE_SOCKETS, close_all, fd_headroom, open_fds, open_idle
from trade_tracker.config import load_settings
from trade_tracker.errors import ConfigError
from trade_tracker.faces.mcp.serve import build_http_app, configure_logging, is_loopback, run_http

TOKEN = "test-token-" + "x" * 32


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


INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_no_token_is_401(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers=HEADERS)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_wrong_token_is_401(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers={**HEADERS, "Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_bad_host_is_421(http_server: str) -> None:
    r = httpx.post(
        f"{http_server}/mcp",
        json=INIT,
        headers={**HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": "evil.example.com"},
    )
    assert r.status_code == 421


def test_bad_host_is_421_even_without_token(http_server: str) -> None:
    r = httpx.post(f"{http_server}/mcp", json=INIT, headers={**HEADERS, "Host": "evil.example.com"})
    assert r.status_code == 421


def test_bad_origin_is_403(http_server: str) -> None:
    r = httpx.post(
        f"{http_server}/mcp",
        json=INIT,
        headers={**HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example.com"},
    )
    assert r.status_code == 403


def test_good_token_initializes(http_server: str) -> None:
    port = http_server.rsplit(":", 1)[1]
    r = httpx.post(
        f"{http_server}/mcp",
        json=INIT,
        headers={**HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": f"http://localhost:{port}"},
    )
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
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
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
    from trade_tracker.faces.mcp.serve import _allowed

    hosts, origins = _allowed("fe80::1", 8765)
    assert hosts == ["[fe80::1]:8765"] and origins == ["http://[fe80::1]:8765"]
    hosts, _ = _allowed("::1", 8765)
    assert set(hosts) == {"[::1]:8765", "127.0.0.1:8765", "localhost:8765"}


# -- the real `serve --transport http` process: bound port, token check, listener limits ----------------


def _start_serve(tmp_path: Path, port: int, token: str = TOKEN, nofile: int | None = None) -> subprocess.Popen[bytes]:
    """``trade-tracker serve --transport http`` in a child process, stdout and stderr to files in tmp_path."""
    home = tmp_path / "serve-home"
    home.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "TRADE_TRACKER_HOME": str(home), "TRADE_TRACKER_HTTP_TOKEN": token}

    def limit_fds() -> None:  # the usual soft limit, whatever this machine's default is
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    with open(tmp_path / "serve.out", "wb") as out, open(tmp_path / "serve.err", "wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "trade_tracker", "serve", "--transport", "http", "--port", str(port)],
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=limit_fds,
        )


def _endpoint(proc: subprocess.Popen[bytes], tmp_path: Path, timeout: float = 30) -> str:
    """The endpoint URL from the server's one stderr line saying it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"MCP endpoint (http://\S+/mcp)", (tmp_path / "serve.err").read_text())
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {(tmp_path / 'serve.err').read_text()}")
        time.sleep(0.05)
    raise AssertionError("serve printed no endpoint")


def _initialize(url: str, timeout: float = 10) -> httpx.Response:
    return httpx.post(
        url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"}, timeout=timeout, trust_env=False
    )


def _ready(url: str, timeout: float = 30) -> httpx.Response:
    """The first answer to ``initialize`` (retrying while the port does not accept yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _initialize(url)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def test_port_0_prints_the_port_actually_bound_on_stderr(tmp_path: Path) -> None:
    proc = _start_serve(tmp_path, 0)
    try:
        url = _endpoint(proc, tmp_path)
        port = int(url.split(":")[2].split("/")[0])
        assert port > 0 and url == f"http://127.0.0.1:{port}/mcp"
        r = _initialize(url)
        assert r.status_code == 200, r.text  # the Host check knows the bound port too
    finally:
        _stop(proc)
    assert (tmp_path / "serve.out").read_bytes() == b""
    err = (tmp_path / "serve.err").read_text()
    assert err.count("MCP endpoint") == 1 and TOKEN not in err


def test_a_short_http_token_is_a_settings_error_before_anything_listens(tmp_path: Path) -> None:
    proc = _start_serve(tmp_path, 0, token="too-short")
    try:
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            _stop(proc)
    err = (tmp_path / "serve.err").read_text()
    assert code == 2, err
    assert "TRADE_TRACKER_HTTP_TOKEN" in err and "secrets.token_urlsafe(32)" in err and "too-short" not in err
    assert "MCP endpoint" not in err and (tmp_path / "serve.out").read_bytes() == b""


def test_1100_idle_sockets_do_not_starve_the_http_transport(tmp_path: Path) -> None:
    """The server runs with the usual soft limit of 1,024 descriptors; 1,100 silent connections must not matter."""
    proc = _start_serve(tmp_path, _free_port(), nofile=1024)
    held: list[socket.socket] = []
    try:
        url = _endpoint(proc, tmp_path)
        assert _ready(url).status_code == 200
        with fd_headroom(IDLE_SOCKETS + 200):
            try:
                open_idle(int(url.split(":")[2].split("/")[0]), into=held)
                assert len(held) >= 1000, f"only {len(held)} connections opened"
                started = time.monotonic()
                r = _initialize(url)
                elapsed = time.monotonic() - started
                server_fds = open_fds(proc.pid)
            finally:
                close_all(held)
        assert r.status_code == 200, r.text
        assert elapsed < 5, f"a real request took {elapsed:.1f} s behind {IDLE_SOCKETS} idle sockets"
        assert server_fds == -1 or server_fds < 400, f"the server holds {server_fds} descriptors"
    finally:
        _stop(proc)


# -- a store the CLI refuses stops `serve` the same way, before any transport starts -------------------


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_serve_refuses_a_readable_store_with_the_cli_message(tmp_path: Path, transport: str) -> None:
    from trade_tracker.store import TradeStore

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    TradeStore(home / "trades.db").close()
    (home / "trades.db").chmod(0o644)
    env = {**os.environ, "TRADE_TRACKER_HOME": str(home)}
    env.pop("TRADE_TRACKER_HTTP_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "trade_tracker", "serve", "--transport", transport, "--port", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
    )
    err = done.stderr.decode()
    assert done.returncode == 5, err
    assert err.startswith("error: ") and "chmod 600" in err, err
    assert "ExceptionGroup" not in err and "Traceback" not in err and "MCP endpoint" not in err
    assert done.stdout == b""


def test_a_short_http_token_does_not_stop_stdio_which_never_uses_it(tmp_path: Path) -> None:
    """stdio starts (and ends at EOF on stdin) with a bad TRADE_TRACKER_HTTP_TOKEN; http refuses it (above)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {**os.environ, "TRADE_TRACKER_HOME": str(home), "TRADE_TRACKER_HTTP_TOKEN": "too-short"}
    done = subprocess.run(
        [sys.executable, "-m", "trade_tracker", "serve"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"TRADE_TRACKER_HTTP_TOKEN" not in done.stderr
