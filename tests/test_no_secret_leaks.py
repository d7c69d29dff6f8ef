"""P16: no secret byte in any exception text, repr or log line, on every error path.

A fresh canary credential is run through every failure the client can meet (respx, and a real
socket so that httpcore's own debug logging is exercised too). The secret's base64 text, its raw
bytes (hex and repr) and the passphrase must appear nowhere: not in ``str``/``repr`` of the error
or anything it chains to, not in the formatted traceback, not in the client's, credential's or
signer's ``repr``, and not in anything logged at DEBUG by any logger or written to stdout/stderr.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import pickle
import secrets
import socket
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from trade_tracker.config import load_settings
from trade_tracker.errors import (
    AuthenticationError,
    ConfigError,
    ExchangeProtocolError,
    ExchangeUnavailable,
    ExchangeUnreachable,
    InvalidArgument,
    InvalidCredential,
    NotFound,
    PermissionDenied,
    RateLimited,
    TradeTrackerError,
)
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential, CoinbaseAuth, ServerClock
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

BASE = "https://api.canary.example"
LOGGERS = ("", "httpx", "httpcore", "stamina", "trade_tracker", "trade_tracker.coinbase", "respx", "asyncio")


class Canary:
    """A generated credential and every form its secrets could leak in."""

    def __init__(self) -> None:
        self.raw = os.urandom(64)
        self.secret = base64.b64encode(self.raw).decode("ascii")
        self.passphrase = "pp" + secrets.token_urlsafe(24)
        self.key = secrets.token_hex(16)
        self.credential = ApiCredential(key=self.key, secret=self.secret, passphrase=self.passphrase, label="canary")

    def forms(self) -> dict[str, str]:
        raw_repr = repr(self.raw)[2:-1]
        return {
            "secret-base64": self.secret,
            "secret-base64-head": self.secret[:20],
            "secret-base64-tail": self.secret[-20:],
            "secret-hex": self.raw.hex(),
            "secret-hex-head": self.raw.hex()[:24],
            "secret-hex-upper": self.raw.hex().upper()[:24],
            "secret-bytes-repr": raw_repr[:24],
            "passphrase": self.passphrase,
        }

    def assert_absent(self, where: str, text: str) -> None:
        for form, needle in self.forms().items():
            assert needle not in text, f"{form} leaked into {where}"


@pytest.fixture
def canary() -> Canary:
    return Canary()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    yield caplog


def _exception_texts(exc: BaseException) -> dict[str, str]:
    texts: dict[str, str] = {"traceback": "".join(traceback.format_exception(exc))}
    seen: set[int] = set()
    depth = 0
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts[f"str(chain[{depth}])"] = str(current)
        texts[f"repr(chain[{depth}])"] = repr(current)
        texts[f"args(chain[{depth}])"] = repr(current.args)
        texts[f"vars(chain[{depth}])"] = repr({k: v for k, v in vars(current).items() if k != "request"})
        depth += 1
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return texts


def _check_everything(
    canary: Canary,
    exc: BaseException,
    client: CoinbaseClient,
    logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, err = capsys.readouterr()
    places = {
        **_exception_texts(exc),
        "repr(client)": repr(client),
        "str(client)": str(client),
        "repr(credential)": repr(canary.credential),
        "str(credential)": str(canary.credential),
        "f-string(credential)": f"{canary.credential!s} {canary.credential!r}",
        "repr(auth)": repr(client._auth),
        "repr(rate_limits)": repr(client.rate_limits),
        "caplog": logs.text,
        "log records": repr([(r.name, r.msg, r.args) for r in logs.records]),
        "stdout": out,
        "stderr": err,
    }
    for where, text in places.items():
        canary.assert_absent(where, text)


def test_checker_detects_a_leak(canary: Canary) -> None:
    """The check above can fail: every form of the secret is caught."""
    for form, needle in canary.forms().items():
        with pytest.raises(AssertionError, match=form):
            canary.assert_absent("test", f"prefix {needle} suffix")
    with pytest.raises(AssertionError):
        canary.assert_absent("headers", repr(httpx.Headers({"CB-ACCESS-PASSPHRASE": canary.passphrase})))


# -- every error path through respx ------------------------------------------------------------

Call = Callable[[CoinbaseClient], Awaitable[Any]]


def _time_ok() -> httpx.Response:
    return httpx.Response(200, json={"iso": "2030-01-01T00:00:00Z", "epoch": time.time()})


ERROR_PATHS: dict[str, tuple[dict[str, Any], Call, type[Exception]]] = {
    "401-invalid-signature": (
        {"/accounts": httpx.Response(401, json={"message": "invalid signature"})},
        lambda c: c.list_accounts(),
        AuthenticationError,
    ),
    "401-invalid-passphrase": (
        {"/accounts": httpx.Response(401, json={"message": "Invalid Passphrase"})},
        lambda c: c.list_accounts(),
        AuthenticationError,
    ),
    "401-invalid-api-key": (
        {"/fills": httpx.Response(401, json={"message": "Invalid API Key"})},
        lambda c: c.list_fills("BTC-USD"),
        AuthenticationError,
    ),
    "401-missing-header": (
        {"/orders": httpx.Response(401, json={"message": "CB-ACCESS-KEY header is required"})},
        lambda c: c.list_orders(status=["done"]),
        AuthenticationError,
    ),
    "401-timestamp-expired": (
        {"/accounts": httpx.Response(401, json={"message": "request timestamp expired"}), "/time": _time_ok()},
        lambda c: c.list_accounts(),
        AuthenticationError,
    ),
    "400-invalid-signature-old": (
        {"/profiles": httpx.Response(400, json={"message": "invalid signature"})},
        lambda c: c.list_profiles(),
        AuthenticationError,
    ),
    "401-html": (
        {"/accounts": httpx.Response(401, text="<html>401 Unauthorized</html>")},
        lambda c: c.list_accounts(),
        AuthenticationError,
    ),
    "403": (
        {"/accounts": httpx.Response(403, json={"message": "Forbidden"})},
        lambda c: c.list_accounts(),
        PermissionDenied,
    ),
    "404": (
        {"/products/FOO-BAR": httpx.Response(404, json={"message": "NotFound"})},
        lambda c: c.get_product("FOO-BAR"),
        NotFound,
    ),
    "429-exhausted": (
        {"/fills": httpx.Response(429, json={"message": "Private rate limit exceeded"})},
        lambda c: c.list_fills("BTC-USD"),
        RateLimited,
    ),
    "503-exhausted": (
        {"/accounts": httpx.Response(503, text="<html>Service Unavailable</html>")},
        lambda c: c.list_accounts(),
        ExchangeUnavailable,
    ),
    "500": (
        {"/accounts": httpx.Response(500, json={"message": "Internal server error"})},
        lambda c: c.list_accounts(),
        ExchangeUnavailable,
    ),
    "connect-error": (
        {"/accounts": httpx.ConnectError("connection refused")},
        lambda c: c.list_accounts(),
        ExchangeUnreachable,
    ),
    "connect-timeout": (
        {"/fills": httpx.ConnectTimeout("connect timed out")},
        lambda c: c.list_fills("BTC-USD"),
        ExchangeUnreachable,
    ),
    "read-timeout": (
        {"/accounts": httpx.ReadTimeout("read timed out")},
        lambda c: c.list_accounts(),
        ExchangeUnreachable,
    ),
    "malformed-json": (
        {"/accounts": httpx.Response(200, text='{"id": "7fd0abc0", "currency": ')},
        lambda c: c.list_accounts(),
        ExchangeProtocolError,
    ),
    "bad-shape": (
        {"/fills": httpx.Response(200, json=[{"trade_id": "not-a-number", "price": "NaN"}])},
        lambda c: c.list_fills("BTC-USD"),
        ExchangeProtocolError,
    ),
    "paging-stuck": (
        {
            "/fills": httpx.Response(
                200,
                json=[
                    {
                        "trade_id": 7,
                        "product_id": "BTC-USD",
                        "order_id": "41473628-db2c-464e-b9f4-82df7e4fb4f4",
                        "side": "buy",
                        "price": "1",
                        "size": "1",
                        "fee": "0",
                        "created_at": "2024-01-01T00:00:00Z",
                    }
                ],
                headers={"CB-AFTER": "7", "CB-BEFORE": "7"},
            )
        },
        lambda c: _drain(c.iter_fill_pages("BTC-USD")),
        ExchangeProtocolError,
    ),
    "bad-argument": ({}, lambda c: c.list_fills(), InvalidArgument),
    "bad-product": ({}, lambda c: c.get_ticker("../accounts"), InvalidArgument),
}


async def _drain(pages: Any) -> None:
    async for _ in pages:
        pass


@pytest.mark.parametrize("name", list(ERROR_PATHS))
async def test_error_path_leaks_nothing(
    name: str, canary: Canary, debug_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    routes, call, expected = ERROR_PATHS[name]
    sent: list[httpx.Request] = []
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        for path, answer in routes.items():

            def answer_for(request: httpx.Request, answer: Any = answer) -> httpx.Response:
                sent.append(request)
                if isinstance(answer, Exception):
                    raise answer
                return answer

            router.get(path).mock(side_effect=answer_for)
        client = CoinbaseClient(
            BASE, canary.credential, retry=RetryPolicy.no_wait(2), rate_limits=RateLimits.disabled()
        )
        async with client:
            with pytest.raises(expected) as info:
                await call(client)
    assert isinstance(info.value, TradeTrackerError)
    if any(not path.startswith("/products") for path in routes):
        # The canary really was on the wire, so its absence everywhere else means something.
        assert any(r.headers.get("CB-ACCESS-PASSPHRASE") == canary.passphrase for r in sent)
    _check_everything(canary, info.value, client, debug_logs, capsys)


def test_credential_cannot_be_pickled(canary: Canary) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(canary.credential)
    with pytest.raises(TypeError):
        pickle.dumps({"nested": [canary.credential]})


def test_credential_repr_and_auth_repr(canary: Canary) -> None:
    auth = CoinbaseAuth(canary.credential, ServerClock(), time_url=f"{BASE}/time")
    for text in (
        repr(canary.credential),
        str(canary.credential),
        repr(auth),
        str(auth),
        repr(CoinbaseClient(BASE, canary.credential)),
    ):
        canary.assert_absent("repr", text)
        assert canary.key not in text


def test_invalid_credential_errors_leak_nothing(canary: Canary) -> None:
    cases = [
        {"secret": canary.secret[:-8], "passphrase": canary.passphrase},  # truncated
        {"secret": canary.secret + "!!", "passphrase": canary.passphrase},  # not base64
        {"secret": base64.b64encode(canary.raw[:32]).decode(), "passphrase": canary.passphrase},
        {"secret": "-----BEGIN EC PRIVATE" + " KEY-----\n" + canary.secret, "passphrase": canary.passphrase},
        {"secret": canary.secret, "passphrase": ""},
    ]
    for kwargs in cases:
        with pytest.raises(InvalidCredential) as info:
            ApiCredential(key=canary.key, label="canary", **kwargs)
        for where, text in _exception_texts(info.value).items():
            canary.assert_absent(where, text)
            assert canary.secret[:-8] not in text


def test_settings_errors_leak_nothing(canary: Canary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_API_KEY_READ", canary.key)
    monkeypatch.setenv("EX_API_SECRET_READ", canary.secret)
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", canary.passphrase)
    settings = load_settings()
    canary.assert_absent("repr(settings)", repr(settings) + str(settings) + settings.model_dump_json())
    monkeypatch.setenv("EX_HTTP_TIMEOUT", "forever")
    with pytest.raises(ConfigError) as info:
        load_settings()
    for where, text in _exception_texts(info.value).items():
        canary.assert_absent(where, text)


# -- a real socket: httpcore's own debug logging ---------------------------------------------------


def _http(status: str, body: bytes, extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


async def _serve(answers: list[bytes]) -> tuple[asyncio.Server, list[bytes], str]:
    received: list[bytes] = []
    queue = list(answers)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while queue:
                received.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(queue.pop(0))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, received, f"http://127.0.0.1:{port}"


REAL_SOCKET_PATHS: dict[str, tuple[list[bytes], Call, type[Exception]]] = {
    "401": (
        [_http("401 Unauthorized", b'{"message":"Invalid Passphrase"}')],
        lambda c: c.list_accounts(),
        AuthenticationError,
    ),
    "429-exhausted": (
        [_http("429 Too Many Requests", b'{"message":"Private rate limit exceeded"}')] * 2,
        lambda c: c.list_fills("BTC-USD"),
        RateLimited,
    ),
    "malformed-json": ([_http("200 OK", b"<html>not json</html>")], lambda c: c.list_accounts(), ExchangeProtocolError),
    "bad-shape": ([_http("200 OK", b'[{"id": 1}]')], lambda c: c.list_accounts(), ExchangeProtocolError),
}


@pytest.mark.parametrize("name", list(REAL_SOCKET_PATHS))
async def test_real_socket_error_path_leaks_nothing(
    name: str, canary: Canary, debug_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    answers, call, expected = REAL_SOCKET_PATHS[name]
    server, received, base_url = await _serve(answers)
    try:
        async with CoinbaseClient(
            base_url, canary.credential, retry=RetryPolicy.no_wait(2), rate_limits=RateLimits.disabled(), timeout=5.0
        ) as client:
            with pytest.raises(expected) as info:
                await call(client)
    finally:
        server.close()
        await server.wait_closed()
    assert received and canary.passphrase.encode() in received[0]  # the canary went over the socket
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)  # httpcore did log at DEBUG
    _check_everything(canary, info.value, client, debug_logs, capsys)


async def test_real_connection_refused_leaks_nothing(
    canary: Canary, debug_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with CoinbaseClient(
        f"http://127.0.0.1:{port}",
        canary.credential,
        retry=RetryPolicy.no_wait(2),
        rate_limits=RateLimits.disabled(),
        timeout=2.0,
    ) as client:
        with pytest.raises(ExchangeUnreachable) as info:
            await client.list_accounts()
    assert f"127.0.0.1:{port}" in str(info.value)
    _check_everything(canary, info.value, client, debug_logs, capsys)


# -- the MCP surface beyond tools: resources, prompts, completions, the chart ----------------------------


async def test_resources_prompts_and_completions_leak_nothing(
    canary: Canary,
    surface_settings: Any,
    no_network: Any,
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The canary key stored under a label with fills: every resource, template, prompt, completion and the
    chart's answer (both protocol eras) and everything logged carry none of it, and nothing reached a socket."""
    from mcp import Client
    from mcp.types import PromptReference

    from mcp_surface import FILLS
    from trade_tracker.app import TradeTracker
    from trade_tracker.credentials.service import CredentialService
    from trade_tracker.faces.mcp.server import build_server
    from trade_tracker.store.connection import TradeStore

    with TradeStore(surface_settings.db_path) as store:
        await CredentialService(store, surface_settings).add(
            "main", canary.key, canary.secret, canary.passphrase, verify=False
        )
        store.upsert_fills(FILLS)
    server = build_server(
        surface_settings,
        tracker_factory=lambda: TradeTracker.open(
            surface_settings, rate_limits=RateLimits.disabled(), transport=no_network
        ),
    )
    seen: list[str] = []
    for mode in ("legacy", "auto"):
        async with Client(server, mode=mode) as c:
            uris = [str(r.uri) for r in (await c.list_resources()).resources]
            uris += [f"trade-tracker://fills/{p}" for p in ("BTC-USD", "ETH-USD")]
            seen += [(await c.read_resource(u)).model_dump_json() for u in uris]
            seen.append((await c.list_resource_templates()).model_dump_json())
            for name, args in (("monthly_review", {"month": "2026-02"}), ("fee_audit", {}), ("reconcile", {})):
                seen.append((await c.get_prompt(name, args)).model_dump_json())
            for prompt, arg in (("reconcile", "label"), ("fee_audit", "product_id")):
                ref = PromptReference(type="ref/prompt", name=prompt)
                seen.append((await c.complete(ref=ref, argument={"name": arg, "value": ""})).model_dump_json())
            seen.append((await c.call_tool("show_pnl_chart", {})).model_dump_json())
    assert any('"main"' in s for s in seen)  # the canary's label is there; its key is not
    for i, text in enumerate(seen):
        canary.assert_absent(f"surface answer {i}", text)
    for record in debug_logs.records:
        canary.assert_absent(f"log {record.name}", record.getMessage())
    out, err = capsys.readouterr()
    canary.assert_absent("stdout/stderr", out + err)
    assert no_network.requests == []
