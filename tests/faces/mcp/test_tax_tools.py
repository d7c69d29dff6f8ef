"""``tax_report`` and ``export_trades(tax_year=...)`` through the SDK's in-memory client: the ETH-BTC leg is
valued at the simulator's BTC-USD candle close, fetched once and cached; offline uses the cache only."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from fill_rows import fill, insert
from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.sim import RunningSim
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.ratelimit import RateLimits


def _when(us: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def server_and_close(sim: RunningSim, isolated_env: Path) -> tuple[Any, str, int, Any]:
    settings = load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env)
    history = sim.exchange.history_of("BTC-USD")
    index = len(history) // 2
    minute_us = history.created_us[index] - history.created_us[index] % 60_000_000
    last = max(i for i in range(len(history)) if history.created_us[i] < minute_us + 60_000_000)
    close = format(history.price(last), "f")
    year = int(_when(minute_us)[:4])
    with TradeStore(settings.db_path) as store:
        insert(
            store,
            fill("BTC-USD", "buy", "10000", "1", f"{year}-01-01 00:00:00"),
            fill("ETH-BTC", "buy", "0.05", "2", _when(minute_us + 5_000_000)),  # pays 0.1 BTC
        )
    server = build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )
    return server, close, year, settings


async def test_tax_report_fetches_the_candle_once_then_works_offline(server_and_close: tuple) -> None:
    server, close, year, settings = server_and_close
    async with Client(server) as c:
        offline = await c.call_tool("tax_report", {"year": year, "offline": True})
        assert not offline.is_error
        data = offline.structured_content
        assert data["prices"]["missing_count"] == 1 and data["prices"]["fetched_requests"] == 0
        assert data["rows"][0][data["columns"].index("gain")] is None

        online = await c.call_tool("tax_report", {"year": year})
        assert not online.is_error
        data = online.structured_content
        assert data["prices"]["missing_count"] == 0 and data["prices"]["fetched_requests"] == 1
        (row,) = data["rows"]
        cells = dict(zip(data["columns"], row, strict=True))
        value = Decimal("0.1") * Decimal(close)
        assert (cells["asset"], Decimal(cells["proceeds"]), Decimal(cells["cost_basis"])) == (
            "BTC",
            value,
            Decimal(1000),
        )
        assert cells["note"] == "valued at candle close"
        assert data["note"].endswith("not tax advice.")

        again = await c.call_tool("tax_report", {"year": year, "offline": True})
        assert again.structured_content["rows"] == data["rows"]  # from the cache now
        cached = await c.call_tool("tax_report", {"year": year})
        assert cached.structured_content["prices"]["fetched_requests"] == 0  # fetched once, never again

        paged = await c.call_tool("tax_report", {"year": year, "limit": 1, "offset": 1})
        assert paged.structured_content["rows"] == [] and paged.structured_content["next_offset"] is None

        export = await c.call_tool("export_trades", {"tax_year": year, "tax_format": "8949"})
        assert not export.is_error, export.content
        path = Path(export.structured_content["path"])
        header, first = list(csv.reader(path.open(newline="")))
        assert header[0] == "Description" and first[0] == "0.1 BTC" and first[4] == "1000.00"

        bad = await c.call_tool("tax_report", {"year": year, "method": "specific"})
        assert bad.is_error
        mixed = await c.call_tool("export_trades", {"tax_year": year, "summary": True})
        assert mixed.is_error
        tools = {t.name: t for t in (await c.list_tools()).tools}
    ann = tools["tax_report"].annotations
    assert ann is not None and ann.read_only_hint is True and ann.open_world_hint is True


async def test_trade_summary_lists_open_lots_only_when_asked(server_and_close: tuple) -> None:
    server, _close, year, _settings = server_and_close
    async with Client(server) as c:
        plain = await c.call_tool("trade_summary", {})
        assert plain.structured_content["open_lots"] is None and plain.structured_content["omitted_lots"] is None
        until = f"{year}-01-01T12:00:00Z"  # before the ETH-BTC buy: the whole BTC lot is open
        early = await c.call_tool("trade_summary", {"with_lots": True, "until": until})
        (lot,) = early.structured_content["open_lots"]
        assert (lot["asset"], lot["quantity"], lot["cost_basis"], lot["holding_days"]) == ("BTC", "1", "10000", 0)
        assert lot["term_if_sold"] == "short" and lot["label"] == "main"
        now = await c.call_tool("trade_summary", {"with_lots": True, "product_id": "BTC-USD"})
        (btc,) = now.structured_content["open_lots"]
        assert (btc["quantity"], btc["cost_basis"]) == ("0.9", "9000")  # 0.1 BTC paid for the ETH
