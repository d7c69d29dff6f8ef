"""show_pnl_chart and its ui:// resource through the in-memory Client, in both protocol modes, with and
without the MCP Apps extension advertised; the HTML is self-contained (no network)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from mcp_surface import NoNetwork
from trade_tracker.faces.mcp.chart import CHART_URI
from trade_tracker.faces.mcp.chart_html import PNL_CHART_HTML

MODES = ["legacy", "auto"]
APPS = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


@pytest.mark.parametrize("mode", MODES)
async def test_tool_binds_the_ui_resource(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode, extensions=APPS) as c:
        if mode == "auto":  # the 2025-11-25 capabilities have no extensions map
            assert EXTENSION_ID in (c.server_capabilities.extensions or {})
        tool = next(t for t in (await c.list_tools()).tools if t.name == "show_pnl_chart")
        assert tool.meta["ui"]["resourceUri"] == CHART_URI
        assert tool.annotations.read_only_hint is True and tool.annotations.open_world_hint is False
        page = await c.read_resource(CHART_URI)
    assert page.contents[0].mime_type == APP_MIME_TYPE and page.contents[0].text == PNL_CHART_HTML


@pytest.mark.parametrize("mode", MODES)
async def test_with_apps_the_data_is_structured_and_the_text_short(
    offline_server: Any, no_network: NoNetwork, mode: str
) -> None:
    async with Client(offline_server, mode=mode, extensions=APPS) as c:
        result = await c.call_tool("show_pnl_chart", {"label": "main"})
    assert not result.is_error, _text(result)
    data = result.structured_content
    assert data["group_by"] == "month" and data["fill_count"] == 4
    (usd,) = data["series"]
    assert usd["currency"] == "USD" and [p["period"] for p in usd["periods"]] == ["2026-01", "2026-02"]
    feb = usd["periods"][1]
    assert feb["realized_pnl"] == "2500" and feb["cumulative_realized_pnl"] == "2500"
    # after fees: January's 20.50 of fees, then February's 11.25 + 2.00
    assert feb["cumulative_net_realized_pnl"] == "2466.25"
    assert "chart shown" in _text(result) and "2466.25" in _text(result)
    assert "|" not in _text(result)
    assert no_network.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_without_apps_the_text_is_a_period_table(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        result = await c.call_tool("show_pnl_chart", {"group_by": "day", "product_id": "BTC-USD"})
        empty = await c.call_tool("show_pnl_chart", {"since": "2020-01-01", "until": "2020-02-01"})
        bad = await c.call_tool("show_pnl_chart", {"group_by": "year"})
    text = _text(result)
    assert "USD: period | volume | fees | realized PnL" in text
    assert "2026-02-10 | 22500 | 11.25 | 2500 | 2500 | 2468.25" in text
    assert result.structured_content["group_by"] == "day"
    assert empty.structured_content["series"] == [] and "0 fills" in _text(empty)
    assert bad.is_error and "group_by must be one of: month, day" in _text(bad)


def test_the_html_is_self_contained() -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", PNL_CHART_HTML)
    for forbidden in ("fetch(", "XMLHttpRequest", "WebSocket", "import(", "@import", "url("):
        assert forbidden not in PNL_CHART_HTML, forbidden
    for needed in ("ui/initialize", "ui/notifications/tool-result", "structuredContent", "window.__PNL_DATA__"):
        assert needed in PNL_CHART_HTML, needed


def test_structured_content_round_trips_as_json(offline_server: Any) -> None:
    from trade_tracker.faces.mcp.chart import ChartOut

    sample = ChartOut(
        title="t", group_by="month", label=None, product_id=None, since=None, until=None, fill_count=0, series=[]
    )
    assert json.loads(sample.model_dump_json())["series"] == []
