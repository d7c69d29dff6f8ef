"""The Advanced Trade routes: public market data, /time, accounts, permissions and portfolios, the error
JSON shape, missing scopes, rate limits with their headers, and injected faults."""

from __future__ import annotations

import time
from typing import Any

import httpx

from sim_fixtures import AdvancedHttp
from trade_tracker.sim.advanced import RunningAdvanced


def test_time_numbers_are_strings(advanced_http: AdvancedHttp) -> None:
    body = advanced_http.public("time").json()
    assert set(body) == {"iso", "epochSeconds", "epochMillis"}
    assert all(isinstance(v, str) for v in body.values())
    assert abs(int(body["epochSeconds"]) - time.time()) < 5
    assert int(body["epochMillis"]) // 1000 == int(body["epochSeconds"])
    assert body["iso"].endswith("Z")


def test_products_show_the_alias_pair(advanced_http: AdvancedHttp) -> None:
    body = advanced_http.public("market/products").json()
    products = {p["product_id"]: p for p in body["products"]}
    assert body["num_products"] == len(products) == 4
    assert products["BTC-USD"]["alias_to"] == ["BTC-USDC"] and products["BTC-USD"]["alias"] == ""
    assert products["BTC-USDC"]["alias"] == "BTC-USD" and products["BTC-USDC"]["alias_to"] == []
    one = advanced_http.public("market/products/eth-usd").json()
    assert one == products["ETH-USD"]  # not wrapped


def test_ticker_has_best_bid_ask_and_trades(advanced_http: AdvancedHttp) -> None:
    body = advanced_http.public("market/products/BTC-USD/ticker", params={"limit": "3"}).json()
    assert len(body["trades"]) == 3 and float(body["best_ask"]) > float(body["best_bid"])
    assert {"trade_id", "product_id", "price", "size", "time", "side", "bid", "ask"} == set(body["trades"][0])


def test_an_unknown_product_is_the_documented_error_json(advanced_http: AdvancedHttp) -> None:
    for response in (
        advanced_http.public("market/products/NOPE-USD"),
        advanced_http.public("market/products/NOPE-USD/ticker"),
        advanced_http.get("products/NOPE-USD"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "error": "NOT_FOUND",
            "error_details": "valid product_id is required",
            "message": "valid product_id is required",
        }


def test_accounts_page_by_cursor_and_has_next(advanced_http: AdvancedHttp) -> None:
    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        body = advanced_http.get("accounts", params={"limit": "2", **({"cursor": cursor} if cursor else {})}).json()
        assert body["size"] == len(body["accounts"]) <= 2
        seen += body["accounts"]
        assert body["has_next"] == bool(body["cursor"])
        cursor = body["cursor"]
        if not cursor:
            break
    assert [a["currency"] for a in seen] == ["BTC", "ETH", "SOL", "USD", "USDC"]
    assert all(a["available_balance"]["currency"] == a["currency"] for a in seen)


def test_bad_limits_are_invalid_arguments(advanced_http: AdvancedHttp) -> None:
    for path in ("accounts", "orders/historical/batch", "orders/historical/fills"):
        for bad in ("0", "-3", "ten"):
            response = advanced_http.get(path, params={"limit": bad})
            assert response.status_code == 400, (path, bad)
            assert response.json()["error"] == "INVALID_ARGUMENT" and "limit" in response.json()["message"]
    everything = advanced_http.get("orders/historical/batch", params={"limit": "5000"}).json()
    assert everything["has_next"] is False and everything["cursor"] == ""  # capped at 1000; 600 fills have fewer
    assert len(everything["orders"]) == len(advanced_http.running.advanced.orders) < 1000


def test_key_permissions_and_portfolios(advanced_http: AdvancedHttp, sim_advanced: RunningAdvanced) -> None:
    perms = advanced_http.get("key_permissions").json()
    assert perms == {
        "can_view": True,
        "can_trade": False,
        "can_transfer": False,
        "portfolio_uuid": sim_advanced.advanced.portfolio_id,
        "portfolio_type": "DEFAULT",
    }
    portfolios = advanced_http.get("portfolios").json()["portfolios"]
    assert [(p["uuid"], p["type"]) for p in portfolios] == [(perms["portfolio_uuid"], "DEFAULT")]
    assert advanced_http.get("portfolios", params={"portfolio_type": "CONSUMER"}).json() == {"portfolios": []}


def test_initial_permissions_and_portfolio_are_settings(sim_advanced_factory: Any) -> None:
    sim = sim_advanced_factory(key_permissions={"can_trade": True, "can_transfer": True}, portfolio_id="p-1")
    http = AdvancedHttp(sim, sim.ed25519)
    perms = http.get("key_permissions").json()
    assert (perms["can_view"], perms["can_trade"], perms["can_transfer"]) == (True, True, True)
    assert perms["portfolio_uuid"] == "p-1"
    assert {f["retail_portfolio_id"] for f in http.admin("GET", "history")} == {"p-1"}
    http.close()


def test_a_key_without_view_is_missing_scopes(advanced_http: AdvancedHttp, sim_advanced: RunningAdvanced) -> None:
    advanced_http.admin("POST", "permissions", {"key_name": sim_advanced.ecdsa.name, "can_view": False})
    response = advanced_http.get("orders/historical/fills")
    assert response.status_code == 403
    assert '"error_details":"Missing required scopes"' in response.text
    assert response.json()["error"] == "PERMISSION_DENIED"
    assert advanced_http.get("key_permissions").json()["can_view"] is False  # still answers
    assert advanced_http.get("accounts", key=sim_advanced.ed25519).status_code == 200  # the other key


def test_rate_limits_answer_429_with_headers(sim_advanced_factory: Any) -> None:
    sim = sim_advanced_factory(rate_limits=True, private_rate=5.0, public_rate=3.0)
    frozen = [1000.0]
    sim.advanced.limiter.clock = lambda: frozen[0]
    http = AdvancedHttp(sim)
    answers = [http.get("accounts") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {"5"}
    assert answers[-1].headers["x-ratelimit-reset"] == "1" and answers[-1].content == b""
    public = [http.public("market/products") for _ in range(4)]
    assert [a.status_code for a in public] == [200, 200, 200, 429]
    assert public[0].headers["x-ratelimit-limit"] == "3"
    frozen[0] += 1.0
    assert http.get("accounts").status_code == 200
    http.admin("POST", "config", {"private_rate": 50.0})
    assert http.get("accounts").headers["x-ratelimit-limit"] == "50"
    http.close()


def test_rate_limits_are_on_by_default_at_30_and_10() -> None:
    from trade_tracker.sim.advanced import SimAdvanced

    limiter = SimAdvanced(fills=10).limiter
    assert limiter.enabled and limiter.limits == {"private": (30.0, 30.0), "public": (10.0, 10.0)}


def test_injected_failures_have_the_real_shapes(advanced_http: AdvancedHttp) -> None:
    advanced_http.admin("POST", "fail", {"status": 401, "count": 1})
    unauthorized = advanced_http.get("accounts")
    assert (unauthorized.status_code, unauthorized.text) == (401, "Unauthorized")
    advanced_http.admin("POST", "fail", {"status": 503, "count": 1, "path": "/api/v3/brokerage/orders"})
    assert advanced_http.get("accounts").status_code == 200  # other path
    failed = advanced_http.get("orders/historical/fills")
    assert failed.status_code == 503 and set(failed.json()) == {"error", "error_details", "message"}
    advanced_http.admin("POST", "fail", {"status": 429})
    limited = advanced_http.get("accounts")
    assert limited.status_code == 429 and "x-ratelimit-reset" in limited.headers
    advanced_http.admin("POST", "fail", {"status": 502})
    assert "Bad Gateway" in advanced_http.get("accounts").text
    assert advanced_http.get("accounts").status_code == 200


def test_unknown_routes_are_not_found_json(sim_advanced: RunningAdvanced) -> None:
    response = httpx.get(sim_advanced.url + "/api/v3/brokerage/nothing-here")
    assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"
