"""``CoinbaseAdvanced``: SPEC-15's facts, the registry, the credential hooks, the live reads and the sync scopes.

The live reads and the key check run against the Advanced Trade simulator; the scopes are checked for
what matters to the store: a default sync is one walk of the account (``*``), asked products are one
walk under their own scope, so a filtered walk's cursor never claims the whole account.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdp_keys import ORG_NAME, ec_pem
from sim_fixtures import advanced_client
from trade_tracker.config import Settings
from trade_tracker.errors import InvalidArgument, InvalidCredential
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FillRow
from trade_tracker.sync.engine import sync_fills
from trade_tracker.venues.base import Venue
from trade_tracker.venues.coinbase_advanced.limits import ADVANCED_LIMITS
from trade_tracker.venues.coinbase_advanced.models import AdvancedFill
from trade_tracker.venues.coinbase_advanced.venue import ADVANCED, CoinbaseAdvanced, products_of_scope
from trade_tracker.venues.coinbase_exchange.limits import BUCKETS as EXCHANGE_BUCKETS
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.registry import VENUES, venue_of_client, venue_of_stored


def test_the_venue_facts_are_spec_15s() -> None:
    info = CoinbaseAdvanced.info
    assert info is ADVANCED
    assert (info.id, info.title, info.default_url, info.url_env, info.stored_as) == (
        "advanced",
        "Coinbase Advanced Trade",
        "https://api.coinbase.com",
        "AT_BASE_URL",
        "coinbase-advanced",
    )
    assert [(f.name, f.env, f.multiline) for f in info.fields] == [
        ("key_name", "AT_API_KEY_NAME", False),
        ("private_key", "AT_API_SECRET", True),
    ]
    assert (info.fill_scope, info.mutable_fill_columns, info.reports_permissions, info.max_fill_page) == (
        "account",
        (),
        True,
        250,
    )


def test_the_registry_knows_both_venues(sim_advanced: RunningAdvanced) -> None:
    assert VENUES["advanced"] is CoinbaseAdvanced and set(VENUES) == {"exchange", "advanced"}
    assert venue_of_stored("coinbase-advanced") is CoinbaseAdvanced and venue_of_stored("advanced") is CoinbaseAdvanced
    wrapped = venue_of_client(advanced_client(sim_advanced))
    assert isinstance(wrapped, CoinbaseAdvanced) and isinstance(wrapped, Venue)


def test_the_credential_hooks_delegate_to_the_key_parsing(tmp_path: Path) -> None:
    pem, _ = ec_pem()
    fields = CoinbaseAdvanced.fields_from_key_file(json.dumps({"name": ORG_NAME, "privateKey": pem, "x": 1}))
    assert fields == {"key_name": ORG_NAME, "private_key": pem}
    key = CoinbaseAdvanced.credential_from_fields({**fields, "label": "main"})
    assert key.algorithm == "ES256" and key.label == "main"
    assert CoinbaseAdvanced.fingerprint(fields) == key.fingerprint and pem not in CoinbaseAdvanced.fingerprint(fields)
    with pytest.raises(InvalidCredential, match="private_key") as refused:
        CoinbaseAdvanced.credential_from_fields({"key_name": ORG_NAME})
    assert pem not in str(refused.value)


def test_open_client_uses_at_base_url_and_its_own_buckets(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, trade_tracker_home=tmp_path, at_base_url="https://api.coinbase.com/")  # type: ignore[call-arg]
    exchange_buckets = RateLimits(EXCHANGE_BUCKETS)  # the app's buckets: not Advanced Trade's
    client = CoinbaseAdvanced.open_client(settings, None, rate_limits=exchange_buckets)
    assert client.root == "https://api.coinbase.com"
    assert client.rate_limits is not exchange_buckets and client.rate_limits.specs == ADVANCED_LIMITS
    disabled = RateLimits.disabled()
    assert CoinbaseAdvanced.open_client(settings, None, rate_limits=disabled).rate_limits is disabled
    # the credential service's key check passes none (the default): the client then takes its own buckets
    assert CoinbaseAdvanced.open_client(settings, None, rate_limits=None).rate_limits.specs == ADVANCED_LIMITS


def test_sync_scopes_one_walk_of_the_account_or_of_the_asked_products(tmp_path: Path) -> None:
    import asyncio

    venue = CoinbaseAdvanced(None)  # type: ignore[arg-type]  # scopes need no client
    with TradeStore(tmp_path / "t.db") as store:
        every = asyncio.run(venue.sync_scopes(store, "a", None, full=False))
        some = asyncio.run(venue.sync_scopes(store, "a", ["eth-usd", "BTC-USD", "ETH-USD"], full=False))
    assert every == (["*"], None)
    assert some == (["products:BTC-USD,ETH-USD"], None)
    assert products_of_scope("*") is None and products_of_scope("products:BTC-USD,ETH-USD") == ["BTC-USD", "ETH-USD"]
    with pytest.raises(InvalidArgument):
        products_of_scope("BTC-USD")


async def test_live_reads_and_the_key_check(sim_advanced: RunningAdvanced) -> None:
    async with CoinbaseAdvanced(advanced_client(sim_advanced)) as venue:
        products = await venue.list_products()
        assert "BTC-USD" in {p.product_id for p in products}
        ticker = await venue.get_ticker("BTC-USD")
        assert ticker.last is not None and isinstance(ticker.last.price, str)
        balances = await venue.list_balances()
        assert {"BTC", "USD"} <= {a.currency for a in balances}
        orders = await venue.list_orders(status=["open"], product_id=None, limit=10)
        assert orders and all(o.status == "OPEN" for o in orders)
        page = await venue.fill_page(product_id="ETH-USD", order_id=None, limit=5, cursor=None)
        assert len(page.fills) == 5 and {f.product_id for f in page.fills} == {"ETH-USD"} and page.cursor
        check = await venue.check_key()
        assert venue.requests_sent >= 6
    assert check == {
        "can_view": "true",
        "can_trade": "false",
        "can_transfer": "false",
        "portfolio_uuid": sim_advanced.advanced.portfolio_id,
        "portfolio_type": "DEFAULT",
    }


async def test_a_product_sync_has_its_own_cursor(sim_advanced: RunningAdvanced, tmp_path: Path) -> None:
    with TradeStore(tmp_path / "t.db") as store:
        async with advanced_client(sim_advanced) as client:
            result = await sync_fills(store, client, "a", ["ETH-USD"])
        assert [p.product_id for p in result.products] == ["products:ETH-USD"] and result.products[0].complete
        assert store.fill_products("a") == ["ETH-USD"]
        assert [s.scope for s in store.sync_states("a")] == ["products:ETH-USD"]  # no mark of the account's '*'


def test_to_row_is_the_spec_mapping() -> None:
    fill = AdvancedFill.model_validate(
        {
            "entry_id": "e" * 64,
            "trade_id": "t-1",
            "order_id": "o-1",
            "trade_time": "2026-01-18T01:37:38.091377090Z",
            "trade_type": "CORRECTION",
            "price": "21220.64",
            "size": "0.00468",
            "commission": "0.0248279488",
            "product_id": "BTC-USDT",
            "sequence_timestamp": "2026-01-18T01:37:38.092520Z",
            "liquidity_indicator": "UNKNOWN_LIQUIDITY_INDICATOR",
            "size_in_quote": True,
            "user_id": "u",
            "side": "BUY",
            "retail_portfolio_id": "p",
        }
    )
    row = fill.to_row("main")
    assert isinstance(row, FillRow)
    assert row == FillRow(
        "BTC-USDT", "t-1", "o-1", "buy", "21220.64", "0.00468", "0.0248279488", None, None, 1,
        "2026-01-18T01:37:38.091377Z", "p", "u", None, None, "main", "advanced", "e" * 64, "e" * 64,
        "CORRECTION", "2026-01-18T01:37:38.092520Z", "2026-01-18T01:37:38.091377090Z", 1, "0.0248279488",
        "UNKNOWN_LIQUIDITY_INDICATOR", "p",
    )  # fmt: skip
    assert fill.model_copy(update={"liquidity_indicator": "TAKER"}).to_row("main").liquidity == "T"
