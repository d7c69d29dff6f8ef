"""The MCP prompts through the in-memory Client, in both protocol modes: list, get with arguments, the
tools each names, bad arguments as one clear protocol error, and no secret or exchange call."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client, MCPError

from mcp_surface import CanaryKey, NoNetwork

MODES = ["legacy", "auto"]


def _text(result: Any) -> str:
    return "\n".join(m.content.text for m in result.messages)


@pytest.mark.parametrize("mode", MODES)
async def test_list_names_arguments_and_titles(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        prompts = (await c.list_prompts()).prompts
    shape = {p.name: [(a.name, a.required) for a in p.arguments or []] for p in prompts}
    assert shape == {
        "monthly_review": [("month", True), ("label", False)],
        "fee_audit": [("since", False), ("product_id", False)],
        "reconcile": [("label", False)],
    }
    assert all(p.title and p.description for p in prompts)
    assert all(a.description for p in prompts for a in p.arguments or [])


@pytest.mark.parametrize("mode", MODES)
async def test_monthly_review_names_the_tools_and_both_months(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        got = await c.get_prompt("monthly_review", {"month": "2026-02", "label": "main"})
    text = _text(got)
    assert got.messages[0].role == "user"
    assert "2026-02" in text and "2026-01" in text and 'label "main"' in text
    assert "trade_summary" in text and "query_trades" in text and '"group_by": "month"' in text
    assert '"until": "2026-02-28"' in text  # the month's real last day
    assert "holds 2 fills" in text  # what the local store holds for February, offline


@pytest.mark.parametrize("mode", MODES)
async def test_fee_audit_and_reconcile(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        fees = _text(await c.get_prompt("fee_audit", {"since": "2026-01-01", "product_id": "btc-usd"}))
        every = _text(await c.get_prompt("fee_audit", {}))
        rec = _text(await c.get_prompt("reconcile", {"label": "main"}))
    assert '"product_id": "BTC-USD"' in fees and "maker" in fees and "taker" in fees and "holds 3 fills" in fees
    assert "whole stored history" in every and "trade_summary" in every
    assert "list_accounts" in rec and "trade-tracker://positions" in rec and "deposits or withdrawals" in rec
    assert "another portfolio" in rec


BAD = [
    ("monthly_review", {"month": "2026-13"}, "month must be a month as YYYY-MM"),
    ("monthly_review", {"month": "February"}, "month must be a month as YYYY-MM"),
    ("monthly_review", {"month": "2026-02", "label": "has space"}, "label"),
    ("monthly_review", {}, "the prompt monthly_review needs month"),
    ("no_such_prompt", {}, "the prompts are: fee_audit, monthly_review, reconcile"),
    ("fee_audit", {"product_id": "BTCUSD"}, "product_id must look like BASE-QUOTE"),
    ("fee_audit", {"since": "yesterday"}, "since"),
    ("reconcile", {"label": "../etc"}, "label"),
]


@pytest.mark.parametrize("mode", MODES)
async def test_bad_arguments_are_one_clear_error(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        for name, args, says in BAD:
            with pytest.raises(MCPError) as info:
                await c.get_prompt(name, args)
            message = str(info.value)
            assert says in message, (name, args, message)
            assert "Traceback" not in message and len(message) < 300
        assert (await c.get_prompt("reconcile", {})).messages  # still serving


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_leak_no_secret_and_call_no_exchange(
    offline_server: Any, canary_key: CanaryKey, no_network: NoNetwork, mode: str
) -> None:
    async with Client(offline_server, mode=mode) as c:
        for name, args in (
            ("monthly_review", {"month": "2026-01", "label": "main"}),
            ("fee_audit", {}),
            ("reconcile", {"label": "main"}),
            ("reconcile", {}),
        ):
            got = await c.get_prompt(name, args)
            canary_key.assert_absent(name, got.model_dump_json())
    assert no_network.requests == []
