"""Every simulator endpoint answers in the documented JSON shape."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest

from sim_fixtures import SignedHttp
from trade_tracker.sim import RunningSim

ISO_US = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DEC = re.compile(r"^\d+\.\d+$")

PRODUCT_KEYS = {
    "id",
    "base_currency",
    "quote_currency",
    "quote_increment",
    "base_increment",
    "display_name",
    "min_market_funds",
    "margin_enabled",
    "post_only",
    "limit_only",
    "cancel_only",
    "status",
    "status_message",
    "auction_mode",
}
FILL_KEYS = [
    "created_at",
    "trade_id",
    "product_id",
    "order_id",
    "user_id",
    "profile_id",
    "liquidity",
    "price",
    "size",
    "fee",
    "side",
    "settled",
    "usd_volume",
    "funding_currency",
    "market_type",
]


def places(text: str) -> int:
    return len(text.split(".")[1])


def test_time(sim: RunningSim, sim_http: SignedHttp) -> None:
    body = sim_http.client.get("/time").json()
    assert set(body) == {"iso", "epoch"}
    assert isinstance(body["epoch"], float)
    assert abs(body["epoch"] - time.time()) < 5
    assert ISO_US.match(body["iso"])


def test_products_include_a_delisted_one(sim_http: SignedHttp) -> None:
    response = sim_http.client.get("/products?type=spot")
    products = {p["id"]: p for p in response.json()}
    assert list(products) == ["BTC-USD", "ETH-USD", "SOL-USD", "MATIC-USD"]
    for product in products.values():
        assert PRODUCT_KEYS <= set(product)
        assert DEC.match(product["quote_increment"]) and DEC.match(product["base_increment"])
    btc = products["BTC-USD"]
    assert (btc["status"], btc["trading_disabled"], btc["quote_increment"]) == ("online", False, "0.01000000")
    matic = products["MATIC-USD"]
    assert (matic["status"], matic["trading_disabled"]) == ("delisted", True)


def test_product_ids_match_case_insensitively(sim_http: SignedHttp) -> None:
    assert sim_http.client.get("/products/btc-usd").json()["id"] == "BTC-USD"
    assert sim_http.client.get("/products/BtC-uSd/ticker").status_code == 200
    assert sim_http.get("/fills?product_id=eth-usd&limit=1").json()[0]["product_id"] == "ETH-USD"


@pytest.mark.parametrize(
    "target",
    [
        "/products/FOO-BAR",
        "/products/FOO-BAR/ticker",
        "/products/FOO-BAR/stats",
        "/no/such/route",
        "/products/BTC-USD/nope",
    ],
)
def test_unknown_things_are_404_notfound(sim_http: SignedHttp, target: str) -> None:
    response = sim_http.client.get(target)
    assert (response.status_code, response.json()) == (404, {"message": "NotFound"})


def test_unknown_product_on_fills_is_404(sim_http: SignedHttp) -> None:
    response = sim_http.get("/fills?product_id=FOO-BAR")
    assert (response.status_code, response.json()) == (404, {"message": "NotFound"})


def test_ticker_and_stats(sim: RunningSim, sim_http: SignedHttp) -> None:
    ticker = sim_http.client.get("/products/BTC-USD/ticker").json()
    assert set(ticker) >= {"trade_id", "price", "size", "time", "bid", "ask", "volume"}
    assert isinstance(ticker["trade_id"], int)
    assert Decimal(ticker["bid"]) < Decimal(ticker["price"]) < Decimal(ticker["ask"])
    newest = sim.exchange.history("BTC-USD")[0]
    assert Decimal(ticker["price"]) == Decimal(newest["price"])
    stats = sim_http.client.get("/products/BTC-USD/stats").json()
    assert set(stats) >= {"open", "high", "low", "last", "volume", "volume_30day"}
    assert Decimal(stats["low"]) <= Decimal(stats["open"]) <= Decimal(stats["high"])
    assert Decimal(stats["last"]) == Decimal(newest["price"])
    delisted = sim_http.client.get("/products/MATIC-USD/ticker").json()
    assert delisted["trade_id"] == sim.exchange.history("MATIC-USD")[0]["trade_id"]


def test_accounts(sim: RunningSim, sim_http: SignedHttp) -> None:
    accounts = sim_http.get("/accounts").json()
    currencies = [a["currency"] for a in accounts]
    assert currencies[:2] == ["USD", "USDC"] and {"BTC", "ETH", "SOL", "MATIC"} <= set(currencies)
    for account in accounts:
        assert set(account) == {"id", "currency", "balance", "hold", "available", "profile_id", "trading_enabled"}
        assert UUID.match(account["id"])
        assert places(account["balance"]) == 16
        assert Decimal(account["available"]) == Decimal(account["balance"]) - Decimal(account["hold"])
        assert account["profile_id"] == sim.exchange.profile_id


def test_profiles_and_active_filter(sim_http: SignedHttp) -> None:
    everything = sim_http.get("/profiles").json()
    assert len(everything) == 2
    assert set(everything[0]) == {"id", "user_id", "name", "active", "is_default", "created_at"}
    assert [p["name"] for p in sim_http.get("/profiles?active=true").json()] == ["default"]
    assert [p["active"] for p in sim_http.get("/profiles?active=false").json()] == [False]
    assert sim_http.get("/profiles?active=maybe").status_code == 400


def test_fill_shape_and_money(sim: RunningSim, sim_http: SignedHttp) -> None:
    fills = sim_http.get("/fills?product_id=BTC-USD&limit=100").json()
    assert len(fills) == 100
    for fill in fills:
        assert list(fill) == FILL_KEYS
        assert isinstance(fill["trade_id"], int)
        assert ISO_US.match(fill["created_at"])
        assert UUID.match(fill["order_id"]) and UUID.match(fill["profile_id"])
        assert re.match(r"^[0-9a-f]{24}$", fill["user_id"])
        assert fill["liquidity"] in ("M", "T") and fill["side"] in ("buy", "sell")
        assert fill["funding_currency"] in ("USD", "USDC") and fill["market_type"] == "spot"
        assert (places(fill["price"]), places(fill["size"])) == (8, 8)
        assert (places(fill["fee"]), places(fill["usd_volume"])) == (16, 16)
        price, size = Decimal(fill["price"]), Decimal(fill["size"])
        assert price % Decimal("0.01") == 0 and size % Decimal("0.00000001") == 0 and size > 0
        rate = Decimal("0.004") if fill["liquidity"] == "M" else Decimal("0.006")
        assert Decimal(fill["fee"]) == (price * size * rate).quantize(Decimal("1e-16"))
        assert Decimal(fill["usd_volume"]) == price * size
        assert 30_000 <= price <= 70_000
    created = [f["created_at"] for f in fills]
    assert created == sorted(created, reverse=True)  # created_at increases with trade_id


def test_realistic_price_levels_per_product(sim: RunningSim) -> None:
    bands = {"BTC-USD": (30_000, 70_000), "ETH-USD": (1_500, 4_000), "SOL-USD": (20, 250), "MATIC-USD": (0.3, 2.5)}
    for product_id, (low, high) in bands.items():
        prices = [Decimal(f["price"]) for f in sim.exchange.history(product_id)]
        assert prices and all(Decimal(str(low)) <= p <= Decimal(str(high)) for p in prices), product_id


def test_orders_default_statuses(sim_http: SignedHttp) -> None:
    orders = sim_http.get("/orders").json()
    assert orders and {o["status"] for o in orders} <= {"open", "pending", "active"}
    assert {"open", "pending", "active"} == {o["status"] for o in orders}
    pending = next(o for o in orders if o["status"] == "pending")
    assert "time_in_force" not in pending and "post_only" not in pending


def test_orders_status_filters(sim_http: SignedHttp) -> None:
    done = sim_http.get("/orders?status=done&limit=50").json()
    assert len(done) == 50 and {o["status"] for o in done} == {"done"}
    for order in done:
        assert order["done_reason"] == "filled" and ISO_US.match(order["done_at"])
        assert Decimal(order["filled_size"]) > 0 and places(order["fill_fees"]) == 16
    mixed = sim_http.get("/orders?status=done&status=rejected&limit=1000").json()
    assert {o["status"] for o in mixed} == {"done", "rejected"}
    everything = sim_http.get("/orders?status=all&limit=1000").json()
    assert {o["status"] for o in everything} == {"done", "open", "pending", "active", "rejected"}
    assert sim_http.get("/orders?status=bogus").status_code == 400


def test_orders_product_filter_and_limit(sim_http: SignedHttp) -> None:
    sol = sim_http.get("/orders?status=all&product_id=sol-usd&limit=1000").json()
    assert sol and {o["product_id"] for o in sol} == {"SOL-USD"}
    assert len(sim_http.get("/orders?status=all&limit=5000").json()) <= 1000
    assert sim_http.get("/orders?limit=x").status_code == 400


def test_orders_page_by_created_at_cursors(sim: RunningSim, sim_http: SignedHttp) -> None:
    """after=<CB-AFTER> walks older; before=<CB-BEFORE> walks newer; together they cover everything once."""
    everything = sim_http.get("/orders?status=all&limit=1000").json()
    assert len(everything) < 1000
    older: list[dict[str, object]] = []
    target = "/orders?status=all&limit=37"
    while True:
        response = sim_http.get(target)
        page = response.json()
        if not page:
            assert "cb-after" not in response.headers
            break
        assert response.headers["cb-before"] == page[0]["created_at"]
        assert response.headers["cb-after"] == page[-1]["created_at"]
        older += page
        target = f"/orders?status=all&limit=37&after={response.headers['cb-after']}"
    assert [o["id"] for o in older] == [o["id"] for o in everything]
    newer: list[dict[str, object]] = []
    cursor = "2000-01-01T00:00:00Z"
    while True:
        response = sim_http.get(f"/orders?status=all&limit=41&before={cursor}")
        page = response.json()
        if not page:
            break
        newer = page + newer
        cursor = response.headers["cb-before"]
    assert [o["id"] for o in newer] == [o["id"] for o in everything]


def test_orders_cursor_must_be_a_date(sim_http: SignedHttp) -> None:
    response = sim_http.get("/orders?before=2")
    assert (response.status_code, response.json()) == (400, {"message": "before cursor value is not valid"})
    assert sim_http.get("/orders?after=nope").json() == {"message": "after cursor value is not valid"}


def test_get_one_order(sim: RunningSim, sim_http: SignedHttp) -> None:
    fill = sim.exchange.history("ETH-USD")[10]
    order = sim_http.get(f"/orders/{fill['order_id']}").json()
    assert order["id"] == fill["order_id"] and order["product_id"] == "ETH-USD"
    undashed = fill["order_id"].replace("-", "").upper()
    assert sim_http.get(f"/orders/{undashed}").json()["id"] == fill["order_id"]
    unknown = sim_http.get("/orders/00000000-0000-4000-8000-000000000000")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "NotFound"})
    assert sim_http.get("/orders/not-a-uuid").json() == {"message": "Invalid order id"}


def test_order_aggregates_its_fills(sim: RunningSim, sim_http: SignedHttp) -> None:
    history = sim.exchange.history("BTC-USD")
    by_order: dict[str, list[dict[str, object]]] = {}
    for fill in history:
        by_order.setdefault(str(fill["order_id"]), []).append(fill)
    order_id, fills = next((k, v) for k, v in by_order.items() if len(v) > 1)
    order = sim_http.get(f"/orders/{order_id}").json()
    assert Decimal(order["filled_size"]) == sum(Decimal(str(f["size"])) for f in fills)
    assert Decimal(order["fill_fees"]) == sum(Decimal(str(f["fee"])) for f in fills)
    assert order["side"] == fills[0]["side"]
    assert order["created_at"] < min(str(f["created_at"]) for f in fills)


def test_placing_an_order(sim: RunningSim) -> None:
    http = SignedHttp(sim.url, sim.exchange.add_key(["view", "trade"]))
    try:
        placed = http.post("/orders", b'{"product_id":"sol-usd","side":"sell","size":"1.5","price":"150.25"}')
        assert placed.status_code == 200
        order = placed.json()
        assert (order["status"], order["product_id"], order["price"]) == ("pending", "SOL-USD", "150.25000000")
        listed = http.get("/orders?product_id=SOL-USD").json()
        assert order["id"] in {o["id"] for o in listed}
        bad = {
            b"not json": "Invalid JSON body",
            b'{"product_id":"MATIC-USD","side":"buy","size":"1","price":"1"}': "Trading is disabled for this product",
            b'{"product_id":"BTC-USD","side":"up","size":"1","price":"1"}': "Invalid side",
            b'{"product_id":"BTC-USD","side":"buy","size":"-1","price":"1"}': "Invalid size or price",
        }
        for body, message in bad.items():
            response = http.post("/orders", body)
            assert (response.status_code, response.json()) == (400, {"message": message}), body
    finally:
        http.close()


def test_every_answer_exposes_the_cursor_headers(sim_http: SignedHttp) -> None:
    for response in (
        sim_http.client.get("/products"),
        sim_http.get("/fills?product_id=BTC-USD"),
        sim_http.client.get("/nope"),
    ):
        assert "cb-before" in response.headers["access-control-expose-headers"]
        assert "cb-after" in response.headers["access-control-expose-headers"]
