"""The JWT checked independently: decoded with PyJWT and the PUBLIC key, every header and claim, both key types."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest

from cdp_keys import ORG_NAME, ec_pem, ed_b64_64, ed_key, new_uuid
from trade_tracker.venues.coinbase_advanced.auth import CdpJwtAuth, ServerClock, build_jwt, jwt_host, server_epoch
from trade_tracker.venues.coinbase_advanced.keys import CdpKey, parse_cdp_key


def _keys() -> list[tuple[CdpKey, Any, str]]:
    pem, ec_private = ec_pem()
    ed_private = ed_key()
    return [
        (parse_cdp_key(ORG_NAME, pem), ec_private.public_key(), "ES256"),
        (parse_cdp_key(new_uuid(), ed_b64_64(ed_private)), ed_private.public_key(), "EdDSA"),
    ]


def _decode(token: str, public: Any, algorithm: str, now: int) -> tuple[dict[str, Any], dict[str, Any]]:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token,
        public,
        algorithms=[algorithm],
        options={"require": ["sub", "iss", "nbf", "exp", "uri"], "verify_nbf": False, "verify_exp": False},
    )
    assert claims["nbf"] == now
    return header, claims


@pytest.mark.parametrize("index", [0, 1], ids=["ES256", "EdDSA"])
def test_build_jwt_header_and_claims(index: int) -> None:
    key, public, algorithm = _keys()[index]
    now = 1_709_005_034
    token = build_jwt(key, "get", "api.coinbase.com", "/api/v3/brokerage/accounts?limit=250", now, nonce="ab" * 16)
    header, claims = _decode(token, public, algorithm, now)
    assert header == {"alg": algorithm, "kid": key.key_name, "nonce": "ab" * 16, "typ": "JWT"}
    assert claims == {
        "sub": key.key_name,
        "iss": "cdp",
        "nbf": now,
        "exp": now + 120,
        "uri": "GET api.coinbase.com/api/v3/brokerage/accounts",
    }


def test_default_nonce_is_fresh_random_hex() -> None:
    key, _, _ = _keys()[1]
    nonces = {jwt.get_unverified_header(build_jwt(key, "GET", "h", "/p", 0))["nonce"] for _ in range(20)}
    assert len(nonces) == 20
    assert all(len(n) == 64 and int(n, 16) >= 0 for n in nonces)


def test_jwt_host_keeps_an_explicit_port_only() -> None:
    assert jwt_host(httpx.URL("https://api.coinbase.com/api/v3/brokerage/time")) == "api.coinbase.com"
    assert jwt_host(httpx.URL("https://api.coinbase.com:443/x")) == "api.coinbase.com"
    assert jwt_host(httpx.URL("http://127.0.0.1:8123/x?y=1")) == "127.0.0.1:8123"


def test_server_epoch_reads_strings_and_refuses_junk() -> None:
    assert server_epoch(b'{"iso":"2024-02-27T03:37:14Z","epochSeconds":"1709005034"}') == 1709005034.0
    assert server_epoch(b'{"epochSeconds": 1709005034}') == 1709005034.0
    for junk in (b"Unauthorized", b"[]", b'{"epochSeconds": true}', b'{"epochSeconds": "nan"}', b"{}"):
        assert server_epoch(junk) is None


@pytest.mark.parametrize("index", [0, 1], ids=["ES256", "EdDSA"])
def test_auth_flow_syncs_clock_once_then_signs_each_request_fresh(index: int) -> None:
    key, public, algorithm = _keys()[index]
    clock = ServerClock(time_source=lambda: 1000.0)
    auth = CdpJwtAuth(key, clock, "http://127.0.0.1:8123/api/v3/brokerage/time")
    tokens = []
    for attempt in range(2):
        request = httpx.Request("GET", "http://127.0.0.1:8123/api/v3/brokerage/orders/historical/fills?limit=250")
        flow = auth.auth_flow(request)
        first = next(flow)
        if attempt == 0:  # the first request of a client asks the server's time first
            assert first.url.path.endswith("/time") and "Authorization" not in first.headers
            first = flow.send(httpx.Response(200, json={"epochSeconds": "5000"}))
        token = first.headers["Authorization"].removeprefix("Bearer ")
        header, claims = _decode(token, public, algorithm, 5000)
        assert claims["uri"] == "GET 127.0.0.1:8123/api/v3/brokerage/orders/historical/fills"
        tokens.append(header["nonce"])
        with pytest.raises(StopIteration):
            flow.send(httpx.Response(200, json={}))
    assert tokens[0] != tokens[1]


def test_auth_flow_after_401_resyncs_and_resigns_once() -> None:
    key, public, algorithm = _keys()[0]
    now = [1000.0]
    clock = ServerClock(time_source=lambda: now[0])
    auth = CdpJwtAuth(key, clock, "https://api.coinbase.com/api/v3/brokerage/time")
    clock.correct(1000.0)
    flow = auth.auth_flow(httpx.Request("GET", "https://api.coinbase.com/api/v3/brokerage/accounts"))
    first_token = next(flow).headers["Authorization"]
    time_request = flow.send(httpx.Response(401, text="Unauthorized"))
    assert time_request.url.path == "/api/v3/brokerage/time"
    second = flow.send(httpx.Response(200, content=json.dumps({"epochSeconds": "2000"}).encode()))
    _, claims = _decode(second.headers["Authorization"][7:], public, algorithm, 2000)
    assert second.headers["Authorization"] != first_token
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(401, text="Unauthorized"))
    assert auth.signed == 2 and "Bearer" not in repr(auth)
