"""The project's Coinbase client against the simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from sim_fixtures import SignedHttp
from trade_tracker.errors import (
    ConfigError,
    ExchangeUnavailable,
    InvalidApiKey,
    InvalidPassphrase,
    InvalidSignature,
    NotFound,
    PermissionDenied,
    RateLimited,
    TimestampExpired,
)
from trade_tracker.formats import decimal_text
from trade_tracker.sim import RunningSim, SimCredential
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

FAST_RETRY = RetryPolicy(attempts=6, timeout=30, wait_initial=0.05, wait_max=0.3, wait_jitter=0.0)


def api_credential(credential: SimCredential, **changes: str) -> ApiCredential:
    fields = {"key": credential.key, "secret": credential.secret, "passphrase": credential.passphrase, **changes}
    return ApiCredential(label="sim", **fields)


def client(sim: RunningSim, credential: ApiCredential | None = None, retry: RetryPolicy = FAST_RETRY) -> CoinbaseClient:
    return CoinbaseClient(sim.url, credential, retry=retry, rate_limits=RateLimits.disabled())


def same_fill(model: Any, row: dict[str, Any]) -> bool:
    """The parsed fill keeps every money string exactly."""
    return (
        model.trade_id == row["trade_id"]
        and model.product_id == row["product_id"]
        and model.order_id == row["order_id"]
        and model.settled is row["settled"]
        and all(decimal_text(getattr(model, k)) == row[k] for k in ("price", "size", "fee", "usd_volume"))
    )


async def collect(c: CoinbaseClient, **kwargs: Any) -> list[Any]:
    return [fill async for page in c.iter_fill_pages(**kwargs) for fill in page.fills]


async def test_public_endpoints(sim: RunningSim) -> None:
    async with client(sim) as c:
        assert abs((await c.get_time()).epoch - sim.exchange.now()) < 5
        products = await c.list_products()
        assert [p.id for p in products] == ["BTC-USD", "ETH-USD", "SOL-USD", "MATIC-USD"]
        assert products[-1].status == "delisted" and products[-1].trading_disabled is True
        assert (await c.get_product("btc-usd")).quote_increment == Decimal("0.01")
        ticker = await c.get_ticker("ETH-USD")
        assert ticker.price == Decimal(sim.exchange.history("ETH-USD")[0]["price"])
        stats = await c.get_stats("SOL-USD")
        assert stats.low <= stats.high
        with pytest.raises(NotFound):
            await c.get_product("FOO-BAR")
        with pytest.raises(ConfigError):
            await c.list_accounts()  # no credential: refused before any request


async def test_private_endpoints(sim: RunningSim, sim_api_credential: ApiCredential) -> None:
    async with client(sim, sim_api_credential) as c:
        accounts = await c.list_accounts()
        assert {a.currency for a in accounts} >= {"USD", "BTC", "ETH", "SOL", "MATIC"}
        assert [p.name for p in await c.list_profiles(active=True)] == ["default"]
        assert len(await c.list_profiles()) == 2
        assert {o.status for o in await c.list_orders()} == {"open", "pending", "active"}
        done = await c.list_orders(status=["done"], product_id="ETH-USD", limit=1000)
        assert done and {(o.status, o.product_id) for o in done} == {("done", "ETH-USD")}
        page = await c.list_fills(product_id="BTC-USD", limit=50)
        history = sim.exchange.history("BTC-USD")
        assert len(page.fills) == 50 and all(map(same_fill, page.fills, history[:50]))
        assert (page.before, page.after) == (str(history[0]["trade_id"]), str(history[49]["trade_id"]))
        order_id = history[7]["order_id"]
        by_order = await c.list_fills(order_id=order_id)
        assert [f.trade_id for f in by_order.fills] == [f["trade_id"] for f in history if f["order_id"] == order_id]


@pytest.mark.parametrize("product_id", ["BTC-USD", "MATIC-USD"])
async def test_paging_both_directions(sim: RunningSim, sim_api_credential: ApiCredential, product_id: str) -> None:
    history = sim.exchange.history(product_id)
    async with client(sim, sim_api_credential) as c:
        older = await collect(c, product_id=product_id, limit=30)
        assert len(older) == len(history) and all(map(same_fill, older, history))
        newer = await collect(c, product_id=product_id, newer_than=history[-1]["trade_id"] - 1, limit=30)
        assert sorted(f.trade_id for f in newer) == sorted(f["trade_id"] for f in history)
        assert await collect(c, product_id=product_id, newer_than=history[0]["trade_id"]) == []


async def test_incremental_paging_after_new_fills(sim: RunningSim, sim_api_credential: ApiCredential) -> None:
    newest = sim.exchange.history("ETH-USD")[0]["trade_id"]
    added = [tid for _, tid in sim.exchange.add_fills(250, "ETH-USD")]
    async with client(sim, sim_api_credential) as c:
        newer = await collect(c, product_id="ETH-USD", newer_than=newest)
        assert sorted(f.trade_id for f in newer) == added
        assert not any(f.settled for f in newer)
        settled = {tid for _, tid in sim.exchange.settle("ETH-USD")}
        assert set(added) <= settled
        again = await collect(c, product_id="ETH-USD", newer_than=newest)
        assert all(f.settled for f in again)


@pytest.mark.parametrize("auth_status", [401, 400])
async def test_auth_failures_map_to_errors(sim: RunningSim, auth_status: int) -> None:
    sim.exchange.configure(auth_failure_status=auth_status)
    good = sim.credential
    flipped = good.secret[:10] + ("A" if good.secret[10] != "A" else "B") + good.secret[11:]
    cases: list[tuple[ApiCredential, type[Exception]]] = [
        (api_credential(good, secret=flipped), InvalidSignature),
        (api_credential(good, passphrase="login-password"), InvalidPassphrase),
        (api_credential(good, key="f" * 32), InvalidApiKey),
    ]
    for credential, error in cases:
        async with client(sim, credential) as c:
            with pytest.raises(error) as caught:
                await c.list_accounts()
            assert caught.value.status_code == auth_status  # type: ignore[attr-defined]


async def test_permission_denied(sim: RunningSim) -> None:
    transfer_only = api_credential(sim.exchange.add_key(["transfer"]))
    async with client(sim, transfer_only) as c:
        with pytest.raises(PermissionDenied):
            await c.list_accounts()


async def test_server_clock_offset_is_corrected(sim: RunningSim, sim_api_credential: ApiCredential) -> None:
    sim.exchange.configure(clock_offset=-600.0)
    async with client(sim, sim_api_credential) as c:
        assert len((await c.list_fills(product_id="SOL-USD", limit=5)).fills) == 5
        assert c.clock.offset == pytest.approx(-600, abs=5)


async def test_timestamp_expired_after_correction(sim: RunningSim, sim_api_credential: ApiCredential) -> None:
    sim.exchange.fail_next(401, 2, path="/accounts", message="request timestamp expired")
    async with client(sim, sim_api_credential) as c:
        with pytest.raises(TimestampExpired):
            await c.list_accounts()


@pytest.mark.parametrize(("status", "count"), [(429, 3), (503, 2), (502, 2), (504, 1)])
async def test_transient_failures_are_retried(
    sim: RunningSim, sim_api_credential: ApiCredential, status: int, count: int
) -> None:
    sim.exchange.fail_next(status, count, path="/fills")
    async with client(sim, sim_api_credential) as c:
        page = await c.list_fills(product_id="BTC-USD", limit=10)
        assert len(page.fills) == 10
    assert sim.exchange.faults.pending() == 0


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, RateLimited), (503, ExchangeUnavailable), (500, ExchangeUnavailable), (502, ExchangeUnavailable)],
)
async def test_persistent_failures_raise(
    sim: RunningSim, sim_api_credential: ApiCredential, status: int, error: type[Exception]
) -> None:
    sim.exchange.fail_next(status, 50)
    retry = RetryPolicy(attempts=3, timeout=10, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0)
    async with client(sim, sim_api_credential, retry) as c:
        with pytest.raises(error):
            await c.list_fills(product_id="BTC-USD")


async def test_real_buckets_are_survived_by_retries(sim_factory: Callable[..., RunningSim]) -> None:
    sim = sim_factory(fills=600, rate_limits=True)
    real_clock = sim.exchange.limiter.clock
    frozen = real_clock()
    sim.exchange.limiter.clock = lambda: frozen  # empty the bucket exactly, however slow the machine
    http = SignedHttp(sim.url, sim.credential)
    try:
        codes = [http.get("/fills?product_id=BTC-USD&limit=1").status_code for _ in range(21)]
        assert codes[-1] == 429  # the /fills bucket is empty now
    finally:
        http.close()
        sim.exchange.limiter.clock = real_clock
    async with client(sim, api_credential(sim.credential)) as c:
        assert len((await c.list_fills(product_id="BTC-USD", limit=5)).fills) == 5
        history = sim.exchange.history("BTC-USD")
        walked = await collect(c, product_id="BTC-USD", limit=10)  # ~25 pages: more than the burst of 20
        assert [f.trade_id for f in walked] == [f["trade_id"] for f in history]


async def test_random_faults_are_survived_by_retries(sim_factory: Callable[..., RunningSim]) -> None:
    sim = sim_factory(fills=600, fail_rate=0.25, fail_statuses=(502, 503))
    async with client(sim, api_credential(sim.credential)) as c:
        walked = await collect(c, product_id="ETH-USD", limit=20)
        assert [f.trade_id for f in walked] == [f["trade_id"] for f in sim.exchange.history("ETH-USD")]
        assert len(await c.list_products()) == 4
