"""Issue 15 item 9: the MCP tools for a label of Coinbase Advanced Trade, against its simulator, beside an
Exchange label: list_fills without a product and its opaque cursor, the venue in list_credentials,
query_trades and trade_summary, both venues' statuses, and Exchange still asking for a product."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.mcp.server import INSTRUCTIONS, build_server
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.sim.core.server import RunningSim
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.ratelimit import RateLimits


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


@pytest.fixture
def server(isolated_env: Path, sim: RunningSim, sim_advanced: RunningAdvanced) -> Any:
    """Both simulators, an Exchange key under 'ex' and the simulator's ECDSA CDP key under 'at'."""
    settings = load_settings(ex_base_url=sim.url, at_base_url=sim_advanced.url, trade_tracker_home=isolated_env)
    key = sim_advanced.ecdsa
    assert key.path is not None
    with TradeStore(settings.db_path) as store:
        service = CredentialService(store, settings)
        c = sim.credential
        asyncio.run(service.add("ex", c.key, c.secret, c.passphrase))
        fields = service_fields(key.path.read_text())
        asyncio.run(service.add_fields("at", fields, venue="advanced"))
    return build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )


def service_fields(key_file: str) -> dict[str, str]:
    from trade_tracker.venues.registry import VENUES

    return VENUES["advanced"].fields_from_key_file(key_file)


async def test_every_live_tool_answers_for_an_advanced_label(server: Any) -> None:
    async with Client(server) as c:
        page = await c.call_tool("list_fills", {"label": "at", "limit": 5})  # no product: the whole account
        assert not page.is_error, _text(page)
        data = page.structured_content
        assert data["venue"] == "advanced" and data["count"] == 5
        assert data["columns"][-3:] == ["entry_id", "trade_type", "size_in_quote"]
        assert isinstance(data["next_after"], str) and data["next_after"]
        older = (
            await c.call_tool("list_fills", {"label": "at", "limit": 5, "after": data["next_after"]})
        ).structured_content
        entry = data["columns"].index("entry_id")
        assert not {r[entry] for r in older["rows"]} & {r[entry] for r in data["rows"]}  # the next page, not again

        exchange = await c.call_tool("list_fills", {"label": "ex"})  # Exchange still needs one: today's message
        assert exchange.is_error and "needs product_id or order_id" in _text(exchange)
        ex_page = (
            await c.call_tool("list_fills", {"label": "ex", "product_id": "BTC-USD", "limit": 2})
        ).structured_content
        assert ex_page["venue"] == "exchange" and ex_page["next_after"].isdigit()

        ticker = (await c.call_tool("get_ticker", {"product_id": "BTC-USD", "venue": "advanced"})).structured_content
        assert isinstance(ticker["trade_id"], str) and ticker["price"]
        ex_ticker = (await c.call_tool("get_ticker", {"product_id": "BTC-USD"})).structured_content
        assert isinstance(ex_ticker["trade_id"], int)  # Exchange's answer as before
        products = (
            await c.call_tool("list_products", {"venue": "advanced", "quote_currency": "USDC"})
        ).structured_content
        assert [r[0] for r in products["rows"]] == ["BTC-USDC"]

        accounts = (await c.call_tool("list_accounts", {"label": "at"})).structured_content
        assert accounts["count"] > 0 and all(a["balance"] for a in accounts["accounts"])
        done = await c.call_tool("list_orders", {"label": "at", "status": ["done"]})
        assert {r[4] for r in done.structured_content["rows"]} <= {"filled", "cancelled", "expired", "failed"}
        filled = await c.call_tool("list_orders", {"label": "ex", "status": ["filled"]})  # not an Exchange status
        assert filled.is_error and "Coinbase Exchange has no order status 'filled'" in _text(filled)


async def test_store_tools_name_the_venue(server: Any) -> None:
    async with Client(server) as c:
        creds = (await c.call_tool("list_credentials", {})).structured_content["credentials"]
        by_label = {cred["label"]: cred for cred in creds}
        assert by_label["at"]["venue"] == "advanced" and by_label["ex"]["venue"] == "exchange"
        assert (by_label["at"]["can_view"], by_label["at"]["can_trade"], by_label["at"]["can_transfer"]) == (
            True,
            False,
            False,
        )
        assert by_label["at"]["portfolio"] and by_label["ex"]["can_trade"] is None  # Exchange does not say
        for label in ("at", "ex"):
            synced = await c.call_tool("sync_fills", {"label": label, "wait_seconds": 40})
            assert synced.structured_content["status"] == "completed", _text(synced)
        trades = (await c.call_tool("query_trades", {"label": "at", "limit": 3})).structured_content
        assert trades["venue"] == "advanced" and trades["label"] == "at"  # one venue: hoisted
        mixed = (await c.call_tool("query_trades", {"limit": 200})).structured_content
        venue = mixed["columns"].index("venue")
        assert {r[venue] for r in mixed["rows"]} <= {"exchange", "advanced"} and mixed["venue"] is None
        summary = (await c.call_tool("trade_summary", {})).structured_content
        venues = {e["product_id"]: e["venue"] for e in summary["products"]}
        assert venues["BTC-USDC"] == "advanced" and venues["BTC-USD"] == "advanced,exchange"
        only_at = (await c.call_tool("trade_summary", {"label": "at"})).structured_content
        assert {e["venue"] for e in only_at["products"]} == {"advanced"}


def test_the_instructions_explain_both_venues() -> None:
    for words in ("Coinbase Exchange (venue exchange)", "Coinbase Advanced Trade (venue advanced)", "AT_API_SECRET"):
        assert words in INSTRUCTIONS
    assert "production (https://api.coinbase.com)" in INSTRUCTIONS and "SANDBOX" in INSTRUCTIONS
    assert "never places" in INSTRUCTIONS and "env-advanced" in INSTRUCTIONS


async def test_the_env_advanced_credential_is_listed_with_its_venue(
    isolated_env: Path, sim_advanced: RunningAdvanced, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = sim_advanced.ed25519
    monkeypatch.setenv("AT_BASE_URL", sim_advanced.url)
    monkeypatch.setenv("AT_API_KEY_NAME", key.name)
    monkeypatch.setenv("AT_API_SECRET", key.secret_text())
    settings = load_settings(trade_tracker_home=isolated_env)
    server = build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )
    async with Client(server) as c:
        (listed,) = (await c.call_tool("list_credentials", {})).structured_content["credentials"]
        assert (listed["label"], listed["venue"], listed["source"]) == ("env-advanced", "advanced", "env")
        assert key.secret_text()[:20] not in json.dumps(listed)
        page = await c.call_tool("list_fills", {"limit": 2})  # the only credential: the default label
        assert not page.is_error and page.structured_content["label"] == "env-advanced"
