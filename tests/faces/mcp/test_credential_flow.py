"""store_credential's page lifecycle: one open page per label (a new call replaces it), and its URL never logged."""

from __future__ import annotations

import asyncio
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import ElicitResult

from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.sim import RunningSim
from trade_tracker.venues.ratelimit import RateLimits

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy, and urllib logs nothing


@pytest.fixture
def tracker(sim: RunningSim, isolated_env: Path) -> Iterator[TradeTracker]:
    tracker = TradeTracker.open(
        load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env), rate_limits=RateLimits.disabled()
    )
    yield tracker


@pytest.fixture
def server(tracker: TradeTracker) -> Any:
    return build_server(tracker.settings, tracker_factory=lambda: tracker)


def _fetch(url: str, form: dict[str, str] | None = None) -> int:
    """What a browser does: GET the page, or POST its form. The HTTP status, or 0 when nothing listens."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    headers = {"Origin": url.split("/credential/")[0]} if form is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return 0


async def fetch(url: str, form: dict[str, str] | None = None) -> int:
    return await asyncio.to_thread(_fetch, url, form)


def _form(sim: RunningSim) -> dict[str, str]:
    c = sim.credential
    return {"key": c.key, "secret": c.secret, "passphrase": c.passphrase}


async def _elicited_url(c: Client, label: str) -> str:
    with pytest.raises(MCPError) as excinfo:
        await c.call_tool("store_credential", {"label": label})
    return str(excinfo.value.error.data["elicitations"][0]["url"])


async def test_a_new_call_replaces_the_open_page_and_the_old_url_stops_working(
    server: Any, tracker: TradeTracker, sim: RunningSim
) -> None:
    async def never(context: Any, params: Any) -> ElicitResult:  # stateless: no back-channel
        raise AssertionError("no back-channel in stateless mode")

    async with Client(server, mode="auto", elicitation_callback=never) as c:
        first = await _elicited_url(c, "main")
        assert await fetch(first) == 200
        second = await _elicited_url(c, "main")  # the user asked again before submitting
        assert second != first
        assert list(tracker.credential_pages) == ["main"]
        assert await fetch(first) == 0  # its server is gone
        assert await fetch(first, _form(sim)) == 0
        assert await fetch(second, _form(sim)) == 200
        result = await c.call_tool("store_credential", {"label": "main"})
        assert result.structured_content["status"] == "stored"
    assert tracker.credential_pages == {}


async def test_a_waiting_call_is_told_its_page_was_replaced(
    server: Any, tracker: TradeTracker, sim: RunningSim
) -> None:
    urls: list[str] = []
    first_shown = asyncio.Event()

    async def user(context: Any, params: Any) -> ElicitResult:
        urls.append(params.url)
        if len(urls) == 1:
            first_shown.set()  # the user opens the first link, then asks again in the chat
        else:
            assert await fetch(params.url, _form(sim)) == 200
        return ElicitResult(action="accept")

    async with Client(server, mode="legacy", elicitation_callback=user) as c:
        first_call = asyncio.create_task(c.call_tool("store_credential", {"label": "main"}))
        await asyncio.wait_for(first_shown.wait(), 20)
        second = await c.call_tool("store_credential", {"label": "main"})
        first = await asyncio.wait_for(first_call, 20)
    assert len(urls) == 2 and urls[0] != urls[1]
    assert second.structured_content["status"] == "stored"
    assert first.structured_content["status"] == "cancelled"
    assert "newer store_credential call" in first.structured_content["message"]
    assert await fetch(urls[0]) == 0
    assert tracker.credential_pages == {}


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=1)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {self.format(record)} {record.args!r}")


@pytest.fixture
def every_log_line() -> Iterator[list[str]]:
    """Every record of every logger, down to uvicorn's TRACE (5), while the test runs."""
    handler = _Everything()
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(1)
        lg.disabled = False
        if not lg.propagate:
            lg.addHandler(handler)
    logging.getLogger().addHandler(handler)
    try:
        yield handler.lines
    finally:
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
            if handler in lg.handlers:
                lg.removeHandler(handler)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_page_url_never_reaches_a_log_even_at_debug(
    server: Any, sim: RunningSim, every_log_line: list[str], mode: str
) -> None:
    urls: list[str] = []

    async def user(context: Any, params: Any) -> ElicitResult:
        urls.append(params.url)
        assert await fetch(params.url) == 200
        assert await fetch(params.url, _form(sim)) == 200
        assert await fetch(params.url) == 410
        return ElicitResult(action="accept")

    async with Client(server, mode=mode, elicitation_callback=user) as c:
        if mode == "auto":  # stateless: the URL comes back in the error, then a second call reports
            urls.append(await _elicited_url(c, "main"))
            assert await fetch(urls[0], _form(sim)) == 200
            assert await fetch(urls[0] + "x") == 404
        result = await c.call_tool("store_credential", {"label": "main"})
        assert result.structured_content["status"] == "stored"
        again = await c.call_tool("store_credential", {"label": "main"})  # label taken: an error, logged or not
        assert again.is_error
    assert urls
    assert len(every_log_line) > 10, "the capture saw nothing: it does not capture"
    token = urls[0].rsplit("/", 1)[1]
    leaked = [line for line in every_log_line if token in line or "/credential/" in line]
    assert leaked == []
