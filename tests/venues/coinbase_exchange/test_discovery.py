"""Product discovery against the simulator: every product the account traded, closed ones too,
at the documented cost (issue 12, item 1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from trade_tracker.errors import ExchangeUnavailable
from trade_tracker.sim import RunningSim
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.discovery_state import discovered_products, discovery_state
from trade_tracker.sync.engine import sync_fills
from trade_tracker.sync.results import partial_result
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

LABEL = "sim"


@pytest.fixture
def closed_sim(sim_factory: Callable[..., RunningSim]) -> RunningSim:
    """BTC, ETH, SOL (sold down to exactly 0 at the end of its history) and delisted MATIC."""
    return sim_factory(fills=1500, seed=11)


@pytest.fixture
async def client(closed_sim: RunningSim) -> AsyncIterator[CoinbaseClient]:
    c = closed_sim.credential
    async with CoinbaseClient(
        closed_sim.url,
        ApiCredential(c.key, c.secret, c.passphrase, label=LABEL),
        retry=RetryPolicy.no_wait(2),
        rate_limits=RateLimits.disabled(),
    ) as client:
        yield client


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TradeStore]:
    with TradeStore(tmp_path / "trades.db") as s:
        yield s


def stored_ids(store: TradeStore, product_id: str) -> list[int]:
    rows = store.conn.execute("SELECT trade_id FROM fills WHERE product_id = ? ORDER BY trade_id", (product_id,))
    return [r[0] for r in rows]


def sim_ids(sim: RunningSim, product_id: str) -> list[int]:
    return sorted(f["trade_id"] for f in sim.exchange.history(product_id))


async def test_first_default_sync_stores_every_fill_of_a_position_closed_to_zero(store, client, closed_sim):
    balances = {a.currency: a.balance for a in await client.list_accounts()}
    assert balances["SOL"] == 0 and sim_ids(closed_sim, "SOL-USD")  # traded, then sold to exactly 0
    result = await sync_fills(store, client, LABEL)
    assert stored_ids(store, "SOL-USD") == sim_ids(closed_sim, "SOL-USD")
    for product_id in closed_sim.exchange.product_ids():
        assert stored_ids(store, product_id) == sim_ids(closed_sim, product_id), product_id
    assert result.inserted == closed_sim.exchange.fill_count() and not result.failed
    discovery = result.discovery
    assert discovery is not None and discovery.mode == "full" and discovery.method == "orders"
    assert discovery.products_found == sorted(closed_sim.exchange.product_ids()) == discovery.new_products
    orders = sum(len(h.order_first) for h in closed_sim.exchange.histories) + len(closed_sim.exchange.open_orders)
    assert discovery.orders_seen == orders
    assert discovery.requests == orders // 1000 + 2  # full pages, the last short one, the empty one


async def test_a_sync_with_nothing_new_costs_one_discovery_request_plus_one_per_product(store, client, closed_sim):
    await sync_fills(store, client, LABEL)
    closed_sim.exchange.settle()  # the newest fills were unsettled: settle, so no re-read is due
    await sync_fills(store, client, LABEL)
    quiet = await sync_fills(store, client, LABEL)
    products = len(closed_sim.exchange.product_ids())
    assert quiet.requests == products + 1  # /orders (an empty page) + one empty /fills page per product
    assert (quiet.inserted, quiet.updated) == (0, 0)
    discovery = quiet.discovery
    assert discovery is not None and discovery.mode == "incremental" and discovery.requests == 1
    assert (discovery.orders_seen, discovery.products_found, discovery.new_products) == (0, [], [])
    assert discovery.followed == products and discovery.since and discovery.watermark
    assert discovery.since > discovery.watermark  # only orders newer than the newest seen


async def test_incremental_discovery_sees_new_orders_only(store, client, closed_sim):
    await sync_fills(store, client, LABEL)
    closed_sim.exchange.add_fills(30, "SOL-USD")  # the trader opens SOL again
    result = await sync_fills(store, client, LABEL)
    discovery = result.discovery
    assert discovery is not None and discovery.products_found == ["SOL-USD"] and discovery.new_products == []
    assert 0 < discovery.orders_seen <= 30 and discovery.requests == 2
    assert stored_ids(store, "SOL-USD") == sim_ids(closed_sim, "SOL-USD")


async def test_a_discovered_product_stays_followed_after_its_first_sync_failed(store, client, closed_sim):
    closed_sim.exchange.fail_next(400, 50, path="/fills", message="service paused")
    failed = await sync_fills(store, client, LABEL)
    assert failed.failed and all(p.error for p in failed.products) and store.count_fills() == 0
    assert discovered_products(store, LABEL) == sorted(closed_sim.exchange.product_ids())
    closed_sim.exchange.faults.clear()
    again = await sync_fills(store, client, LABEL)
    assert again.discovery is not None and again.discovery.orders_seen == 0  # nothing new to discover
    assert [p.product_id for p in again.products] == sorted(closed_sim.exchange.product_ids())
    assert again.inserted == closed_sim.exchange.fill_count() and not again.failed


async def test_discovery_cut_short_keeps_its_products_and_redoes_the_walk(store, client, closed_sim):
    closed_sim.exchange.fail_next(503, 10, path="/orders")
    with pytest.raises(ExchangeUnavailable) as caught:
        await sync_fills(store, client, LABEL)
    partial = partial_result(caught.value)
    assert partial is not None and partial.products == [] and store.count_fills() == 0
    closed_sim.exchange.faults.clear()
    assert discovery_state(store, LABEL) is None  # no watermark from a walk that did not finish
    result = await sync_fills(store, client, LABEL)
    assert result.discovery is not None and result.discovery.mode == "full"
    assert result.inserted == closed_sim.exchange.fill_count()


async def test_a_full_sync_discovers_from_every_order_again(store, client, closed_sim):
    await sync_fills(store, client, LABEL)
    again = await sync_fills(store, client, LABEL, full_history=True)
    assert again.discovery is not None and again.discovery.mode == "full"
    assert again.discovery.products_found == sorted(closed_sim.exchange.product_ids())
    assert again.discovery.new_products == [] and again.inserted == 0
