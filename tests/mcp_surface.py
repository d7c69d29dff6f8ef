"""Pytest plugin (registered in conftest.py) for the MCP surface tests (resources, prompts, completions, the
chart): a store with known fills and a canary credential, and a server whose exchange transport refuses (and
records) every request.

``offline_server``'s tracker is built with an httpx transport that fails any request, so a test that reads
resources, gets prompts or completes arguments proves that none of them calls the exchange.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from trade_tracker.app import TradeTracker
from trade_tracker.config import Settings, load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FillRow
from trade_tracker.store.sync_state import SyncState
from trade_tracker.venues.ratelimit import RateLimits


def stored_fill(label: str, product: str, n: int, side: str, price: str, size: str, fee: str, at: str) -> FillRow:
    return FillRow(
        product_id=product,
        trade_id=n,
        order_id=f"00000000-0000-4000-8000-{n:012d}",
        side=side,
        price=price,
        size=size,
        fee=fee,
        usd_volume=None,
        liquidity="M" if n % 2 else "T",
        settled=1,
        created_at=at,
        profile_id="profile-1",
        user_id=None,
        funding_currency="USD",
        market_type="spot",
        label=label,
    )


#: Label "main": BTC-USD bought twice, sold once (open 0.5 BTC), ETH-USD bought (open 2 ETH); "alt": SOL-USD.
FILLS = [
    stored_fill("main", "BTC-USD", 1, "buy", "40000.00", "0.50000000", "10.00", "2026-01-05T10:00:00.000000Z"),
    stored_fill("main", "BTC-USD", 2, "buy", "42000.00", "0.50000000", "10.50", "2026-01-20T10:00:00.000000Z"),
    stored_fill("main", "BTC-USD", 3, "sell", "45000.00", "0.50000000", "11.25", "2026-02-10T10:00:00.000000Z"),
    stored_fill("main", "ETH-USD", 4, "buy", "2000.00", "2.00000000", "2.00", "2026-02-11T10:00:00.000000Z"),
    stored_fill("alt", "SOL-USD", 5, "buy", "100.00", "10.00000000", "0.50", "2026-02-12T10:00:00.000000Z"),
]


@dataclass
class CanaryKey:
    """A generated Exchange key stored (unverified) under label ``main``; none of it may appear anywhere."""

    key: str = field(default_factory=lambda: secrets.token_hex(16))
    secret: str = field(default_factory=lambda: base64.b64encode(os.urandom(64)).decode())
    passphrase: str = field(default_factory=lambda: "pp" + secrets.token_urlsafe(20))

    def assert_absent(self, where: str, text: str) -> None:
        for name, value in (("key", self.key), ("secret", self.secret), ("passphrase", self.passphrase)):
            for needle in (value, value[:16], value[-16:]):
                assert needle not in text, f"the canary {name} leaked into {where}"


class NoNetwork(httpx.AsyncBaseTransport):
    """An exchange transport that refuses every request and remembers it was asked."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise httpx.ConnectError("the surface tests forbid exchange calls", request=request)


@pytest.fixture
def canary_key() -> CanaryKey:
    return CanaryKey()


@pytest.fixture
def surface_settings(isolated_env: Path) -> Settings:
    return load_settings(ex_base_url="http://127.0.0.1:9", trade_tracker_home=isolated_env)


@pytest.fixture
def filled_store(surface_settings: Settings, canary_key: CanaryKey) -> Iterator[None]:
    """The store holds :data:`FILLS` with their sync state, and the canary key under label ``main``."""
    with TradeStore(surface_settings.db_path) as store:
        asyncio.run(
            CredentialService(store, surface_settings).add(
                "main", canary_key.key, canary_key.secret, canary_key.passphrase, verify=False
            )
        )
        for label, product in sorted({(f.label, f.product_id) for f in FILLS}):
            rows = [f for f in FILLS if (f.label, f.product_id) == (label, product)]

            def advance(state: SyncState, at: str = rows[-1].created_at) -> SyncState:
                return state.model_copy(update={"full_history_complete": True, "last_run_at": at})

            store.commit_page(label, product, rows, advance)
    yield


@pytest.fixture
def no_network() -> NoNetwork:
    return NoNetwork()


@pytest.fixture
def offline_server(surface_settings: Settings, filled_store: None, no_network: NoNetwork) -> Any:
    return build_server(
        surface_settings,
        tracker_factory=lambda: TradeTracker.open(
            surface_settings, rate_limits=RateLimits.disabled(), transport=no_network
        ),
    )
