"""Driving the simulator while it runs: /_admin routes, the in-process handle, rate limits, faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from sim_fixtures import SignedHttp
from trade_tracker.sim import RunningSim, SimExchange, build_app


def test_admin_add_fills_then_settle(sim: RunningSim, sim_http: SignedHttp) -> None:
    before = sim.exchange.history("BTC-USD")
    newest = before[0]["trade_id"]
    added = sim_http.client.post("/_admin/fills", json={"product_id": "BTC-USD", "count": 150}).json()
    assert added["count"] == 150
    new_ids = [f["trade_id"] for f in added["fills"]]
    assert {f["product_id"] for f in added["fills"]} == {"BTC-USD"}
    assert new_ids == sorted(new_ids) and new_ids[0] > newest
    # Newer fills come back through before=<newest stored>, and are unsettled.
    newer = sim_http.get(f"/fills?product_id=BTC-USD&before={newest}").json()
    assert [f["trade_id"] for f in newer] == new_ids[:100][::-1]
    assert not any(f["settled"] for f in newer)
    assert newer[-1]["created_at"] > before[0]["created_at"]
    settled = sim_http.client.post("/_admin/settle", json={"product_id": "BTC-USD"}).json()
    assert settled["count"] == 150 + 3  # the new ones plus the 3 initially unsettled
    assert all(f["settled"] for f in sim.exchange.history("BTC-USD"))
    assert sim_http.client.post("/_admin/settle").json()["count"] == 6  # the ETH and SOL ones


def test_admin_add_fills_spread_over_online_products(sim: RunningSim, sim_http: SignedHttp) -> None:
    added = sim_http.client.post("/_admin/fills", json={"count": 500}).json()
    assert {f["product_id"] for f in added["fills"]} == {"BTC-USD", "ETH-USD", "SOL-USD"}
    refused = sim_http.client.post("/_admin/fills", json={"product_id": "MATIC-USD", "count": 5})
    assert refused.status_code == 400
    assert sim_http.client.post("/_admin/fills", json={"product_id": "FOO-USD"}).status_code == 404


def test_admin_fee_change_and_unsettle(sim: RunningSim, sim_http: SignedHttp) -> None:
    fill = sim.exchange.history("ETH-USD")[40]
    changed = sim_http.client.post(
        "/_admin/fee", json={"product_id": "ETH-USD", "trade_id": fill["trade_id"], "fee": "0.5"}
    ).json()["fill"]
    assert changed["fee"] == "0.5000000000000000"
    assert {k: v for k, v in changed.items() if k != "fee"} == {k: v for k, v in fill.items() if k != "fee"}
    page = sim_http.get(f"/fills?product_id=ETH-USD&limit=1&after={fill['trade_id'] + 1}").json()
    assert page == [changed]
    sim_http.client.post("/_admin/unsettle", json={"product_id": "ETH-USD", "trade_id": fill["trade_id"]})
    assert sim.exchange.history("ETH-USD")[40]["settled"] is False
    assert sim.exchange.settle("ETH-USD")[0] == ("ETH-USD", fill["trade_id"])
    missing = sim_http.client.post("/_admin/fee", json={"product_id": "ETH-USD", "trade_id": 1, "fee": "1"})
    assert missing.status_code == 404
    assert sim_http.client.post("/_admin/fee", json={"product_id": "ETH-USD"}).status_code == 400


def test_admin_history_and_state(sim: RunningSim, sim_http: SignedHttp) -> None:
    history = sim_http.client.get("/_admin/history?product_id=SOL-USD").json()
    assert history == sim.exchange.history("SOL-USD")
    assert len(sim_http.client.get("/_admin/history").json()) == 600
    state = sim_http.client.get("/_admin/state").json()
    assert state["products"]["MATIC-USD"]["status"] == "delisted"
    assert sum(p["fills"] for p in state["products"].values()) == 600
    assert state["settings"]["rate_limits"] is False


def test_admin_keys_and_config(sim: RunningSim, sim_http: SignedHttp) -> None:
    made = sim_http.client.post("/_admin/keys", json={"permissions": ["view", "trade"]}).json()
    assert made["permissions"] == ["trade", "view"]
    trader = SignedHttp(sim.url, sim.exchange.keys[made["key"]].credential)
    assert trader.get("/accounts").status_code == 200
    trader.close()
    settings = sim_http.client.post("/_admin/config", json={"clock_offset": 300, "latency_ms": 0}).json()
    assert settings["clock_offset"] == 300
    assert sim_http.client.get("/time").json()["epoch"] > time.time() + 250
    assert sim_http.client.post("/_admin/config", json={"seed": 1}).status_code == 400


def test_admin_routes_skip_auth_and_faults(sim: RunningSim, sim_http: SignedHttp) -> None:
    sim.exchange.configure(rate_limits=True)
    sim.exchange.fail_next(503, 50)
    for _ in range(30):
        assert sim_http.client.get("/_admin/state").status_code == 200
    assert sim.exchange.faults.pending() == 50


async def test_admin_routes_answer_loopback_clients_only() -> None:
    app = build_app(SimExchange(fills=10))
    outside = httpx.AsyncClient(transport=httpx.ASGITransport(app, client=("192.0.2.7", 5000)), base_url="http://x")
    inside = httpx.AsyncClient(transport=httpx.ASGITransport(app, client=("127.0.0.1", 5000)), base_url="http://x")
    async with outside, inside:
        denied = await outside.get("/_admin/state")
        assert denied.status_code == 403
        assert (await outside.get("/time")).status_code == 200  # the API itself is not restricted
        assert (await inside.get("/_admin/state")).status_code == 200


# ---- rate limits ---------------------------------------------------------------------------------


def burst(send: Callable[[], httpx.Response], n: int) -> list[int]:
    return [send().status_code for _ in range(n)]


class FrozenClock:
    """A monotonic clock for the simulator's buckets that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("target", "private", "burst_size", "rate", "message"),
    [
        ("/products", False, 15, 10, "Public rate limit exceeded"),
        ("/profiles", True, 30, 15, "Private rate limit exceeded"),
        ("/fills?product_id=BTC-USD&limit=1", True, 20, 10, "Private rate limit exceeded"),
        ("/accounts", True, 50, 25, "Private rate limit exceeded"),
    ],
)
def test_token_buckets(
    sim_factory: Callable[..., RunningSim], target: str, private: bool, burst_size: int, rate: int, message: str
) -> None:
    sim = sim_factory(rate_limits=True, fills=100)
    clock = sim.exchange.limiter.clock = FrozenClock()
    http = SignedHttp(sim.url, sim.credential)
    try:
        send = (lambda: http.get(target)) if private else (lambda: http.client.get(target))
        assert burst(send, burst_size + 3) == [200] * burst_size + [429] * 3
        limited = send()
        assert (limited.status_code, limited.json()) == (429, {"message": message})
        clock.now += 0.5  # lazy fill: rate * 0.5 s tokens
        assert burst(send, rate // 2 + 1) == [200] * (rate // 2) + [429]
        clock.now += 3600  # never more than the burst
        assert burst(send, burst_size + 1) == [200] * burst_size + [429]
        http.client.post("/_admin/reset-limits")
        assert burst(send, burst_size) == [200] * burst_size
    finally:
        http.close()


def test_buckets_are_separate_and_switchable(sim_factory: Callable[..., RunningSim]) -> None:
    sim = sim_factory(rate_limits=True, fills=100)
    sim.exchange.limiter.clock = FrozenClock()
    http = SignedHttp(sim.url, sim.credential)
    try:
        assert 429 in burst(lambda: http.get("/fills?product_id=BTC-USD&limit=1"), 21)
        assert http.get("/profiles").status_code == 200
        assert http.get("/accounts").status_code == 200
        assert http.client.get("/products").status_code == 200
        sim.exchange.configure(rate_limits=False)
        assert burst(lambda: http.get("/fills?product_id=BTC-USD&limit=1"), 40) == [200] * 40
    finally:
        http.close()


def test_buckets_refill_in_real_time(sim_factory: Callable[..., RunningSim]) -> None:
    sim = sim_factory(rate_limits=True, fills=20)
    with httpx.Client(base_url=sim.url) as client:
        codes = [client.get("/time").status_code for _ in range(40)]  # /time is never limited
        assert codes == [200] * 40
        codes = [client.get("/products").status_code for _ in range(40)]
        assert 429 in codes
        time.sleep(0.25)
        assert client.get("/products").status_code == 200


# ---- faults --------------------------------------------------------------------------------------


def test_forced_failures(sim: RunningSim, sim_http: SignedHttp) -> None:
    sim_http.client.post("/_admin/fail", json={"status": 429, "count": 2})
    first, second = sim_http.client.get("/products"), sim_http.get("/accounts")
    assert (first.status_code, first.json()) == (429, {"message": "Public rate limit exceeded"})
    assert (second.status_code, second.json()) == (429, {"message": "Private rate limit exceeded"})
    assert sim_http.get("/accounts").status_code == 200
    sim.exchange.fail_next(503, 1, path="/fills")
    assert sim_http.client.get("/products").status_code == 200  # other paths unaffected
    failed = sim_http.get("/fills?product_id=BTC-USD")
    assert (failed.status_code, failed.json()) == (503, {"message": "Service Unavailable"})
    sim.exchange.fail_next(502)
    proxy = sim_http.client.get("/time")
    assert proxy.status_code == 502 and proxy.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in proxy.text
    sim.exchange.fail_next(500, message="oops")
    assert sim_http.client.get("/time").json() == {"message": "oops"}
    assert sim_http.client.get("/time").status_code == 200


def test_random_failures_are_deterministic_by_seed(sim_factory: Callable[..., RunningSim]) -> None:
    def statuses(seed: int) -> list[int]:
        sim = sim_factory(fills=20, seed=seed, fail_rate=0.3)
        with httpx.Client(base_url=sim.url) as client:
            return [client.get("/time").status_code for _ in range(60)]

    a, b, c = statuses(1), statuses(1), statuses(2)
    assert a == b and a != c
    failures = [s for s in a if s != 200]
    assert 5 <= len(failures) <= 35 and set(failures) <= {500, 502, 503}


def test_fail_statuses_are_configurable(sim_factory: Callable[..., RunningSim]) -> None:
    sim = sim_factory(fills=20, fail_rate=1.0, fail_statuses=(504,))
    with httpx.Client(base_url=sim.url) as client:
        assert {client.get("/time").status_code for _ in range(5)} == {504}
        assert client.get("/_admin/state").status_code == 200


def test_latency(sim_factory: Callable[..., RunningSim]) -> None:
    sim = sim_factory(fills=20, latency_ms=300)
    with httpx.Client(base_url=sim.url) as client:
        client.get("/_admin/state")
        started = time.perf_counter()
        client.get("/time")
        assert time.perf_counter() - started >= 0.29
        started = time.perf_counter()
        client.get("/_admin/state")
        assert time.perf_counter() - started < 0.25  # admin routes get no latency


def test_in_process_handle(sim: RunningSim) -> None:
    exchange = sim.exchange
    assert sim.url.startswith("http://127.0.0.1:") and sim.port > 0
    added = exchange.add_fills(10, "SOL-USD")
    assert len(added) == 10 and exchange.fill_count("SOL-USD") == exchange.fill_count("SOL-USD")
    fill = exchange.set_fee("SOL-USD", added[0][1], Decimal("0.12345678901234567"))
    assert fill["fee"] == "0.1234567890123457"
    assert ("SOL-USD", added[-1][1]) in exchange.settle()
    assert "SimCredential(key=" in repr(sim.credential) and sim.credential.secret not in repr(sim.credential)


async def test_async_context_manager() -> None:
    from trade_tracker.sim import running_sim

    async with running_sim(fills=50) as sim:
        async with httpx.AsyncClient(base_url=sim.url) as client:
            assert (await client.get("/products")).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.url + "/time")
