"""``completion/complete`` through the in-memory Client, in both protocol modes: product_id from the stored
products, label from the credentials and the store, prefix matching, empty for anything else, no exchange."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference

from mcp_surface import NoNetwork
from trade_tracker.faces.mcp.completions import MAX_VALUES, complete

MODES = ["legacy", "auto"]
FILLS_REF = ResourceTemplateReference(type="ref/resource", uri="trade-tracker://fills/{product_id}")


async def _values(c: Client, ref: Any, name: str, value: str) -> list[str]:
    result = await c.complete(ref=ref, argument={"name": name, "value": value})
    return result.completion.values


@pytest.mark.parametrize("mode", MODES)
async def test_product_id_from_the_stored_products(offline_server: Any, no_network: NoNetwork, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        assert c.server_capabilities.completions is not None
        fee_audit = PromptReference(type="ref/prompt", name="fee_audit")
        assert await _values(c, fee_audit, "product_id", "") == ["BTC-USD", "ETH-USD", "SOL-USD"]
        assert await _values(c, fee_audit, "product_id", "e") == ["ETH-USD"]
        assert await _values(c, FILLS_REF, "product_id", "bt") == ["BTC-USD"]
        full = await c.complete(ref=FILLS_REF, argument={"name": "product_id", "value": ""})
        assert full.completion.total == 3 and full.completion.has_more is False
    assert no_network.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_label_from_the_credentials_and_the_store(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        for prompt in ("monthly_review", "reconcile"):
            ref = PromptReference(type="ref/prompt", name=prompt)
            assert await _values(c, ref, "label", "") == ["alt", "main"]  # main: a credential; alt: stored fills
            assert await _values(c, ref, "label", "M") == ["main"]


@pytest.mark.parametrize("mode", MODES)
async def test_anything_else_completes_to_nothing(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        monthly = PromptReference(type="ref/prompt", name="monthly_review")
        assert await _values(c, monthly, "month", "2026") == []
        assert await _values(c, PromptReference(type="ref/prompt", name="nope"), "label", "") == []
        other = ResourceTemplateReference(type="ref/resource", uri="trade-tracker://exports/{name}")
        assert await _values(c, other, "name", "") == []


def test_at_most_max_values() -> None:
    class Store:
        def fill_products(self) -> list[str]:
            return [f"C{i:03d}-USD" for i in range(MAX_VALUES + 20)]

    class State:
        class tracker:  # noqa: N801 - stands in for the attribute
            store = Store()

    got = complete(State(), "fee_audit", "product_id", "c")  # type: ignore[arg-type]
    assert len(got.values) == MAX_VALUES and got.total == MAX_VALUES + 20 and got.has_more is True
