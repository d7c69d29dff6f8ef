"""The one-time credential page, end to end over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from idle_sockets import IDLE_SOCKETS, close_all, fd_headroom, open_fds, open_idle
from trade_tracker.config import load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.errors import CredentialExists, InvalidArgument, InvalidCredential
from trade_tracker.faces.mcp.credential_page import OneTimeCredentialPage, PageOutcome
from trade_tracker.faces.mcp.listener_limits import PAGE_LIMITS
from trade_tracker.faces.mcp.page_server import _QuietH11
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

ACCOUNTS = [{"id": "a1", "currency": "USD", "balance": "1", "hold": "0", "available": "1"}]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exchange(status: int, body: object) -> Callable[[ApiCredential], CoinbaseClient]:
    def factory(credential: ApiCredential) -> CoinbaseClient:
        transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
        return CoinbaseClient(
            "https://api.test",
            credential,
            transport=transport,
            rate_limits=RateLimits.disabled(),
            retry=RetryPolicy.no_wait(1),
        )

    return factory


@pytest.fixture
def service(home: Path) -> CredentialService:
    settings = load_settings()
    return CredentialService(TradeStore(settings.db_path), settings, client_factory=exchange(200, ACCOUNTS))


@pytest.fixture
def form() -> dict[str, str]:
    return {
        "key": secrets.token_hex(16),
        "secret": base64.b64encode(os.urandom(64)).decode(),
        "passphrase": "pp-" + secrets.token_urlsafe(12),
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def page(service: CredentialService, clock: Clock) -> AsyncIterator[OneTimeCredentialPage]:
    async with OneTimeCredentialPage(service, clock=clock) as page:
        await page.start("main")
        yield page


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        yield client


async def submit(
    http: httpx.AsyncClient, page: OneTimeCredentialPage, form: dict[str, str], **headers: str
) -> httpx.Response:
    return await http.post(page.url, data=form, headers={"Origin": page.origin, **headers})


async def test_end_to_end(
    page: OneTimeCredentialPage,
    service: CredentialService,
    http: httpx.AsyncClient,
    form: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert page.url.startswith("http://127.0.0.1:") and "/credential/" in page.url
    token = page.url.rsplit("/", 1)[1]
    assert len(token) >= 40 and token not in repr(page)
    assert len(page.elicitation_id) == 32

    shown = await http.get(page.url)
    assert shown.status_code == 200 and '<form method="post"' in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in shown.headers["content-security-policy"]
    assert "server" not in shown.headers

    done = await submit(http, page, form, **{"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 200, done.text
    info = service.info("main")
    assert info.fingerprint in done.text.replace("&hellip;", "…")
    assert info.verify_status == "verified"
    outcome = await page.wait(timeout=5)
    assert outcome.status == "stored" and outcome.info == info and outcome.warnings
    assert service.get("main").secret == form["secret"]

    again = await submit(http, page, form)
    assert again.status_code == 410
    assert (await http.get(page.url)).status_code == 410

    everything = shown.text + done.text + again.text + caplog.text + repr(outcome)
    for value in form.values():
        assert value not in everything
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert not any(token in line for line in server_side)  # the test's own client logs its URLs
    assert not any(r.name == "uvicorn.access" for r in caplog.records)


async def test_html_is_escaped(
    service: CredentialService, http: httpx.AsyncClient, form: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def add(*_a: object, **_k: object) -> None:
        raise InvalidCredential('bad <script>alert("x")</script> & more')

    monkeypatch.setattr(service, "add_fields", add)
    async with OneTimeCredentialPage(service, verify=False) as page:
        await page.start("a-b_c.d")
        response = await submit(http, page, {**form, "key": "<b>k</b>"})
    assert response.status_code == 400
    assert "<script>" not in response.text and "<b>k" not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in response.text


async def test_expired_link(
    page: OneTimeCredentialPage,
    service: CredentialService,
    http: httpx.AsyncClient,
    form: dict[str, str],
    clock: Clock,
) -> None:
    clock.now += 600
    response = await submit(http, page, form)
    assert response.status_code == 410
    assert (await page.wait(timeout=5)).status == "expired"
    assert service.list() == []


async def test_wrong_token_is_404_and_spends_nothing(
    page: OneTimeCredentialPage, service: CredentialService, http: httpx.AsyncClient, form: dict[str, str]
) -> None:
    base = page.url.rsplit("/", 1)[0]
    for url in (base + "/" + secrets.token_urlsafe(32), base, page.origin + "/", page.url + "x"):
        response = await http.post(url, data=form, headers={"Origin": page.origin})
        assert response.status_code == 404
    assert service.list() == [] and not page.done
    assert (await submit(http, page, form)).status_code == 200


async def test_get_submission_is_refused(
    page: OneTimeCredentialPage, service: CredentialService, http: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await http.get(page.url, params=form)
    assert response.status_code == 405
    assert service.list() == [] and not page.done
    for method in ("PUT", "DELETE", "PATCH"):
        assert (await http.request(method, page.url, data=form)).status_code == 405
    assert service.list() == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 421),
        ({"Host": "localhost"}, 421),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://127.0.0.1:1"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
async def test_wrong_host_or_origin_is_refused(
    page: OneTimeCredentialPage,
    service: CredentialService,
    http: httpx.AsyncClient,
    form: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    response = await submit(http, page, form, **headers)
    assert response.status_code == status
    assert service.list() == [] and not page.done
    assert (await submit(http, page, form)).status_code == 200  # the link still works for its owner


async def test_non_form_body_is_refused(
    page: OneTimeCredentialPage, service: CredentialService, http: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await http.post(page.url, json=form, headers={"Origin": page.origin})
    assert response.status_code == 415
    huge = await http.post(page.url, data={"key": "x" * 20000}, headers={"Origin": page.origin})
    assert huge.status_code == 413
    assert service.list() == [] and not page.done


async def test_bad_credential_spends_the_link(
    page: OneTimeCredentialPage, service: CredentialService, http: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await submit(http, page, {**form, "secret": "too-short"})
    assert response.status_code == 400 and "Nothing was stored" in response.text
    outcome = await page.wait(timeout=5)
    assert outcome.status == "failed" and outcome.error_type == "InvalidCredential"
    assert "too-short" not in (outcome.error or "")
    assert (await submit(http, page, form)).status_code == 410
    assert service.list() == []


async def test_rejected_key_stores_nothing(
    service: CredentialService, http: httpx.AsyncClient, form: dict[str, str]
) -> None:
    service._client_factory = exchange(401, {"message": "Invalid Passphrase"})
    async with OneTimeCredentialPage(service) as page:
        await page.start("main")
        response = await submit(http, page, form)
        outcome = await page.wait(timeout=5)
    assert response.status_code == 400 and "passphrase is wrong" in response.text
    assert outcome.status == "failed" and outcome.error_type == "InvalidPassphrase"
    assert service.list() == []


async def test_label_checked_before_listening(service: CredentialService, form: dict[str, str]) -> None:
    with pytest.raises(InvalidArgument):
        await OneTimeCredentialPage(service).start("env")
    with pytest.raises(InvalidArgument):
        await OneTimeCredentialPage(service).start("no spaces")
    await service.add("taken", form["key"], form["secret"], form["passphrase"], verify=False)
    page = OneTimeCredentialPage(service)
    with pytest.raises(CredentialExists):
        await page.start("taken")
    assert page.port is None


async def test_stop_cancels_and_calls_back_once(service: CredentialService, http: httpx.AsyncClient) -> None:
    seen: list[PageOutcome] = []

    async def on_complete(outcome: PageOutcome) -> None:
        seen.append(outcome)

    page = OneTimeCredentialPage(service, on_complete=on_complete)
    url, _ = await page.start("main")
    await page.stop()
    await page.stop()
    assert [o.status for o in seen] == ["cancelled"]
    assert (await page.wait(timeout=1)).status == "cancelled"
    with pytest.raises(httpx.ConnectError):
        await http.get(url)


async def test_server_stops_itself_after_ttl(service: CredentialService, http: httpx.AsyncClient) -> None:
    page = OneTimeCredentialPage(service, ttl=0.2)
    url, _ = await page.start("main")
    outcome = await page.wait(timeout=5)
    assert outcome.status == "expired"
    await page.stop()
    with pytest.raises(httpx.ConnectError):
        await http.get(url)


async def test_unexpected_failure_ends_the_page_without_details(
    service: CredentialService, http: httpx.AsyncClient, form: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def add(*_a: object, **_k: object) -> None:
        raise ValueError("internal detail " + form["secret"])

    monkeypatch.setattr(service, "add_fields", add)
    async with OneTimeCredentialPage(service) as page:
        await page.start("main")
        response = await submit(http, page, form)
        outcome = await page.wait(timeout=5)
    assert response.status_code == 400 and form["secret"] not in response.text
    assert outcome.status == "failed" and "nothing was stored" in (outcome.error or "")
    assert form["secret"] not in (outcome.error or "")


# -- listener limits ---------------------------------------------------------------------------------


async def test_1100_idle_sockets_do_not_starve_the_page(
    page: OneTimeCredentialPage, http: httpx.AsyncClient, form: dict[str, str]
) -> None:
    """The page lives in the MCP server's process: its idle connections must not use up that process's files.

    This process gets just enough descriptors for the test's own 1,100 sockets plus 250, so a page that
    kept every connection would run out of them.
    """
    held: list[socket.socket] = []
    with fd_headroom(IDLE_SOCKETS + 250, exact=True):
        try:
            await asyncio.to_thread(open_idle, page.port or 0, into=held)
            assert len(held) >= 1000, f"only {len(held)} connections opened"
            started = time.monotonic()
            shown = await http.get(page.url)
            elapsed = time.monotonic() - started
            stored = await submit(http, page, form)
            in_use = open_fds()
        finally:
            close_all(held)
    assert shown.status_code == 200 and stored.status_code == 200, stored.text
    assert elapsed < 5, f"the page took {elapsed:.1f} s to answer behind {IDLE_SOCKETS} idle sockets"
    assert (await page.wait(timeout=5)).status == "stored"
    assert in_use < IDLE_SOCKETS + 200


async def test_a_silent_connection_is_closed_after_the_head_timeout(
    service: CredentialService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_QuietH11, "limits", dataclasses.replace(PAGE_LIMITS, head_timeout=0.3))
    async with OneTimeCredentialPage(service) as page:
        await page.start("main")
        reader, writer = await asyncio.open_connection("127.0.0.1", page.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1")  # a head that never ends
        await writer.drain()
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the page
        assert time.monotonic() - started < 3
        writer.close()
