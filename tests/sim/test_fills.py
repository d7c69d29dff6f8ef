"""``GET /fills``: the cursor model of the API notes (§3), limits, filters, per-product trade_ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sim_fixtures import SignedHttp
from trade_tracker.sim import RunningSim, SimExchange


def walk_older(http: SignedHttp, query: str, limit: int) -> list[dict[str, Any]]:
    """Follow after=<CB-AFTER> from the newest page until an empty page."""
    rows: list[dict[str, Any]] = []
    target = f"/fills?{query}&limit={limit}"
    while True:
        response = http.get(target)
        assert response.status_code == 200, response.text
        page = response.json()
        if not page:
            assert "cb-before" not in response.headers and "cb-after" not in response.headers
            return rows
        assert len(page) <= min(limit, 100)
        assert int(response.headers["cb-before"]) == page[0]["trade_id"]
        assert int(response.headers["cb-after"]) == page[-1]["trade_id"]
        rows += page
        target = f"/fills?{query}&limit={limit}&after={response.headers['cb-after']}"


def walk_newer(http: SignedHttp, query: str, limit: int, start: int) -> list[dict[str, Any]]:
    """Follow before=<CB-BEFORE> from ``start`` until an empty page; returns rows newest first."""
    rows: list[dict[str, Any]] = []
    cursor = start
    while True:
        response = http.get(f"/fills?{query}&limit={limit}&before={cursor}")
        page = response.json()
        if not page:
            return rows
        ids = [f["trade_id"] for f in page]
        assert ids == sorted(ids, reverse=True) and ids[-1] > cursor
        rows = page + rows
        cursor = int(response.headers["cb-before"])


@pytest.mark.parametrize("product_id", ["BTC-USD", "SOL-USD", "MATIC-USD"])
def test_walk_older_then_newer_matches_history(sim: RunningSim, sim_http: SignedHttp, product_id: str) -> None:
    history = sim.exchange.history(product_id)
    older = walk_older(sim_http, f"product_id={product_id}", 100)
    assert older == history
    oldest = history[-1]["trade_id"]
    newer = walk_newer(sim_http, f"product_id={product_id}", 100, oldest - 1)
    assert newer == history


def test_odd_page_sizes(sim: RunningSim, sim_http: SignedHttp) -> None:
    history = sim.exchange.history("ETH-USD")
    assert walk_older(sim_http, "product_id=ETH-USD", 7) == history
    assert walk_newer(sim_http, "product_id=ETH-USD", 13, 0) == history


def test_cursor_semantics(sim: RunningSim, sim_http: SignedHttp) -> None:
    ids = [f["trade_id"] for f in sim.exchange.history("BTC-USD")]  # descending
    x = ids[50]
    after = [f["trade_id"] for f in sim_http.get(f"/fills?product_id=BTC-USD&limit=5&after={x}").json()]
    assert after == ids[51:56]  # just older than x, newest first
    before = [f["trade_id"] for f in sim_http.get(f"/fills?product_id=BTC-USD&limit=5&before={x}").json()]
    assert before == ids[45:50]  # the 5 just newer than x (not the newest 5), newest first
    first = [f["trade_id"] for f in sim_http.get("/fills?product_id=BTC-USD&limit=5&before=1").json()]
    assert first == sorted(ids)[:5][::-1]  # before=1 gives the oldest fills (CoinbasePro-Powershell #8)
    beyond = sim_http.get(f"/fills?product_id=BTC-USD&before={ids[0]}")
    assert beyond.json() == [] and "cb-before" not in beyond.headers


def test_default_limit_and_cap(sim_http: SignedHttp) -> None:
    assert len(sim_http.get("/fills?product_id=BTC-USD").json()) == 100
    assert len(sim_http.get("/fills?product_id=BTC-USD&limit=1000").json()) == 100
    assert len(sim_http.get("/fills?product_id=BTC-USD&limit=3").json()) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "Invalid limit"),
        ("limit=0", "Invalid limit"),
        ("limit=-5", "Invalid limit"),
        ("before=abc", "before cursor value is not valid"),
        ("after=1.5", "after cursor value is not valid"),
        ("before=10&after=5", "before and after cannot be used together"),
        ("start_date=yesterday", "Invalid start_date"),
        ("market_type=futures", "Invalid market_type"),
    ],
)
def test_bad_parameters_are_400(sim_http: SignedHttp, query: str, message: str) -> None:
    response = sim_http.get(f"/fills?product_id=BTC-USD&{query}")
    assert (response.status_code, response.json()) == (400, {"message": message})


def test_product_or_order_id_is_required(sim_http: SignedHttp) -> None:
    for target in ("/fills", "/fills?limit=5", "/fills?product_id=", "/fills?Product_id=BTC-USD"):
        response = sim_http.get(target)
        assert (response.status_code, response.json()) == (400, {"message": "product_id or order_id is required"})


def test_trade_ids_are_per_product_and_overlap(sim: RunningSim) -> None:
    ids = {p: {f["trade_id"] for f in sim.exchange.history(p)} for p in sim.exchange.product_ids()}
    assert ids["BTC-USD"] & ids["ETH-USD"], "products must share some trade_ids"
    assert ids["BTC-USD"] & ids["ETH-USD"] & ids["SOL-USD"] & ids["MATIC-USD"]  # all start at the same id
    for product_id, product_ids in ids.items():
        assert len(product_ids) == sim.exchange.fill_count(product_id)  # unique within a product


def test_shared_trade_id_resolves_per_product(sim: RunningSim, sim_http: SignedHttp) -> None:
    btc = {f["trade_id"]: f for f in sim.exchange.history("BTC-USD")}
    eth = {f["trade_id"]: f for f in sim.exchange.history("ETH-USD")}
    shared = sorted(set(btc) & set(eth))[len(set(btc) & set(eth)) // 2]
    for product_id, rows in (("BTC-USD", btc), ("ETH-USD", eth)):
        page = sim_http.get(f"/fills?product_id={product_id}&limit=1&after={shared + 1}").json()
        assert page == [rows[shared]]


def test_fills_by_order_id(sim: RunningSim, sim_http: SignedHttp) -> None:
    history = sim.exchange.history("SOL-USD")
    counts: dict[str, int] = {}
    for fill in history:
        counts[fill["order_id"]] = counts.get(fill["order_id"], 0) + 1
    order_id = max(counts, key=lambda k: counts[k])
    assert counts[order_id] > 1, "some orders have several fills"
    expected = [f for f in history if f["order_id"] == order_id]
    assert sim_http.get(f"/fills?order_id={order_id}").json() == expected
    assert sim_http.get(f"/fills?order_id={order_id}&product_id=SOL-USD").json() == expected
    assert sim_http.get(f"/fills?order_id={order_id}&product_id=BTC-USD").json() == []
    assert walk_older(sim_http, f"order_id={order_id}", 1) == expected
    assert sim.exchange.history(order_id=order_id) == expected
    assert sim_http.get("/fills?order_id=00000000-0000-4000-8000-000000000000").json() == []
    assert sim_http.get("/fills?order_id=xyz").json() == {"message": "Invalid order id"}


def test_date_filters_are_inclusive(sim: RunningSim, sim_http: SignedHttp) -> None:
    history = sim.exchange.history("BTC-USD")
    pick = history[30]
    day = pick["created_at"][:10]
    same_day = [f for f in history if f["created_at"].startswith(day)]
    page = sim_http.get(f"/fills?product_id=BTC-USD&start_date={day}&end_date={day}").json()
    assert page == same_day[:100]
    exact = sim_http.get(
        f"/fills?product_id=BTC-USD&start_date={pick['created_at']}&end_date={pick['created_at']}"
    ).json()
    assert exact == [pick]
    assert sim_http.get("/fills?product_id=BTC-USD&market_type=rfq").json() == []


def test_unsettled_fills_are_the_newest(sim: RunningSim) -> None:
    for product_id in ("BTC-USD", "ETH-USD", "SOL-USD"):
        settled = [f["settled"] for f in sim.exchange.history(product_id)]
        assert settled[:3] == [False] * 3 and all(settled[3:])
    assert all(f["settled"] for f in sim.exchange.history("MATIC-USD"))


def test_delisted_product_has_older_history(sim: RunningSim) -> None:
    matic_newest = sim.exchange.history("MATIC-USD")[0]["created_at"]
    btc_newest = sim.exchange.history("BTC-USD")[0]["created_at"]
    assert matic_newest < btc_newest


def test_history_is_deterministic_per_seed() -> None:
    # A fixed end: with the default (the history ends now) two simulators built across a second boundary
    # differ by that whole second, which a loaded machine made happen.
    end = datetime(2026, 6, 1, tzinfo=UTC)
    a, b = SimExchange(fills=300, seed=7, history_end=end), SimExchange(fills=300, seed=7, history_end=end)
    c = SimExchange(fills=300, seed=8, history_end=end)
    assert a.history() == b.history()
    assert a.history() != c.history()
    assert len(a.history()) == 300
    assert a.orders(statuses=["all"], limit=1000) == b.orders(statuses=["all"], limit=1000)


def test_fill_count_spreads_over_products() -> None:
    exchange = SimExchange(fills=1000, products=["BTC-USD", "DOGE-USD"], delisted=["XRP-USD"])
    counts = {p: exchange.fill_count(p) for p in exchange.product_ids()}
    assert sum(counts.values()) == 1000 and all(counts.values())
    doge = exchange.history("DOGE-USD")[0]
    assert doge["size"].endswith("0000000")  # base_increment 0.1
    assert exchange.product("XRP-USD")["status"] == "delisted"


def test_page_latency_at_100k_fills() -> None:
    """Cheap scale check (the 1M figures are in bench/bench_sim.py): build fast, page by bisect."""
    import time

    started = time.perf_counter()
    exchange = SimExchange(fills=100_000, seed=3)
    assert time.perf_counter() - started < 5
    last = exchange.history_of("BTC-USD").trade_ids[-1]
    started = time.perf_counter()
    for cursor in range(last - 20_000, last, 1000):
        page = exchange.fills_page(product_id="BTC-USD", after=cursor, limit=100)
        assert len(page.fills) == 100
    assert (time.perf_counter() - started) / 20 < 0.05
