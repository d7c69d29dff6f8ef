"""The Advanced Trade simulator verifies CDP JWTs exactly: both key types accepted, every bad token a
plain-text 401 ``Unauthorized`` (tokens made by the independent ``advanced_jwt`` signer)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from sim_fixtures import AdvancedHttp, advanced_jwt
from trade_tracker.sim.advanced import RunningAdvanced, SimKey

PATH = "/api/v3/brokerage/accounts"


def _send(sim: RunningAdvanced, token: str | None, target: str = PATH, scheme: str = "Bearer") -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
    return httpx.get(sim.url + target, headers=headers, timeout=10)


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.text == "Unauthorized"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("key_type", ["ecdsa", "ed25519"])
def test_both_key_types_are_accepted(sim_advanced: RunningAdvanced, key_type: str) -> None:
    key = sim_advanced.advanced.key_of_type(key_type)
    assert key.algorithm == ("ES256" if key_type == "ecdsa" else "EdDSA")
    token = advanced_jwt(key, "GET", sim_advanced.host_port, PATH)
    response = _send(sim_advanced, token)
    assert response.status_code == 200, response.text
    assert response.json()["accounts"]


def test_the_query_is_not_part_of_the_signed_uri(advanced_http: AdvancedHttp) -> None:
    response = advanced_http.get("orders/historical/fills", params={"limit": "5", "product_ids": "BTC-USD"})
    assert response.status_code == 200
    assert len(response.json()["fills"]) == 5


def _cases(sim: RunningAdvanced) -> dict[str, dict[str, Any]]:
    host, now = sim.host_port, time.time()
    other_ec = SimKey("organizations/x/apiKeys/y", "ecdsa", ec.generate_private_key(ec.SECP256R1()))
    return {
        "uri with the query": {"claims": {"uri": f"GET {host}{PATH}?limit=5"}},
        "uri without the port": {"claims": {"uri": f"GET 127.0.0.1{PATH}"}},
        "uri with another method": {"claims": {"uri": f"POST {host}{PATH}"}},
        "uri of another path": {"claims": {"uri": f"GET {host}/api/v3/brokerage/portfolios"}},
        "no uri": {"claims": {"uri": None}},
        "expired": {"now": now - 200},
        "nbf in the future": {"now": now + 60},
        "exp - nbf > 120": {"claims": {"nbf": int(now), "exp": int(now) + 121}},
        "exp before nbf": {"claims": {"nbf": int(now), "exp": int(now) - 1}},
        "string times": {"claims": {"nbf": str(int(now)), "exp": str(int(now) + 60)}},
        "wrong iss": {"claims": {"iss": "coinbase-cloud"}},
        "sub not the kid": {"claims": {"sub": sim.ed25519.name}},
        "unknown kid": {"headers": {"kid": "organizations/x/apiKeys/unknown"}, "claims": {"sub": "x"}},
        "no nonce": {"headers": {"nonce": None}},
        "wrong alg (HS256)": {"algorithm": "HS256", "signing_key": "a-shared-secret-of-enough-length-123"},
        "bad signature": {"signing_key": other_ec.private_key},
    }


@pytest.mark.parametrize(
    "case",
    [
        "uri with the query",
        "uri without the port",
        "uri with another method",
        "uri of another path",
        "no uri",
        "expired",
        "nbf in the future",
        "exp - nbf > 120",
        "exp before nbf",
        "string times",
        "wrong iss",
        "sub not the kid",
        "unknown kid",
        "no nonce",
        "wrong alg (HS256)",
        "bad signature",
    ],
)
def test_every_bad_token_is_a_plain_401(sim_advanced: RunningAdvanced, case: str) -> None:
    options = _cases(sim_advanced)[case]
    _assert_unauthorized(
        _send(sim_advanced, advanced_jwt(sim_advanced.ecdsa, "GET", sim_advanced.host_port, PATH, **options))
    )


def test_an_ed25519_token_with_es256_in_its_header_is_refused(sim_advanced: RunningAdvanced) -> None:
    key = sim_advanced.ed25519
    token = advanced_jwt(
        key, "GET", sim_advanced.host_port, PATH, algorithm="ES256", signing_key=sim_advanced.ecdsa.private_key
    )
    _assert_unauthorized(_send(sim_advanced, token))
    assert isinstance(key.private_key, ed25519.Ed25519PrivateKey)


def test_a_replayed_nonce_is_refused(sim_advanced: RunningAdvanced) -> None:
    token = advanced_jwt(sim_advanced.ecdsa, "GET", sim_advanced.host_port, PATH)
    assert _send(sim_advanced, token).status_code == 200
    _assert_unauthorized(_send(sim_advanced, token))
    same_nonce = advanced_jwt(
        sim_advanced.ecdsa,
        "GET",
        sim_advanced.host_port,
        PATH,
        headers={"nonce": jwt.get_unverified_header(token)["nonce"]},
    )
    _assert_unauthorized(_send(sim_advanced, same_nonce))


def test_a_forged_token_does_not_burn_the_nonce(sim_advanced: RunningAdvanced) -> None:
    good = advanced_jwt(sim_advanced.ecdsa, "GET", sim_advanced.host_port, PATH)
    nonce = jwt.get_unverified_header(good)["nonce"]
    forged = advanced_jwt(
        sim_advanced.ecdsa, "GET", sim_advanced.host_port, PATH, headers={"nonce": nonce}, claims={"iss": "x"}
    )
    _assert_unauthorized(_send(sim_advanced, forged))
    assert _send(sim_advanced, good).status_code == 200


@pytest.mark.parametrize("header", [None, "Basic", "bearer"])
def test_a_missing_or_other_authorization_is_a_plain_401(sim_advanced: RunningAdvanced, header: str | None) -> None:
    token = advanced_jwt(sim_advanced.ecdsa, "GET", sim_advanced.host_port, PATH)
    _assert_unauthorized(_send(sim_advanced, None if header is None else token, scheme=header or "Bearer"))


def test_the_server_clock_offset_decides_expiry(sim_advanced_factory: Any) -> None:
    sim = sim_advanced_factory(clock_offset=600)
    _assert_unauthorized(_send(sim, advanced_jwt(sim.ecdsa, "GET", sim.host_port, PATH)))
    server_now = float(httpx.get(sim.url + "/api/v3/brokerage/time").json()["epochSeconds"])
    assert _send(sim, advanced_jwt(sim.ecdsa, "GET", sim.host_port, PATH, now=server_now)).status_code == 200


def test_issuers_are_configurable(sim_advanced_factory: Any) -> None:
    sim = sim_advanced_factory(issuers=("cdp", "coinbase-cloud"))
    token = advanced_jwt(
        sim.ed25519, "GET", sim.host_port, PATH, claims={"iss": "coinbase-cloud", "aud": ["retail_rest_api_proxy"]}
    )
    assert _send(sim, token).status_code == 200


def test_the_public_routes_need_no_token_and_their_private_twins_do(sim_advanced: RunningAdvanced) -> None:
    assert httpx.get(sim_advanced.url + "/api/v3/brokerage/market/products").status_code == 200
    _assert_unauthorized(_send(sim_advanced, None, "/api/v3/brokerage/products"))
    token = advanced_jwt(sim_advanced.ecdsa, "GET", sim_advanced.host_port, "/api/v3/brokerage/products")
    assert _send(sim_advanced, token, "/api/v3/brokerage/products").status_code == 200
