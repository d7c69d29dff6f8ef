"""Signing: ``sign()`` equals the documented recipe, computed independently here with hmac/hashlib/base64."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import pickle

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from trade_tracker.errors import InvalidCredential
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential, CoinbaseAuth, ServerClock, key_fingerprint, sign

BASE = "https://api.test.example"

# A fixed vector secret: base64 of bytes 0..63.
VECTOR_SECRET = base64.b64encode(bytes(range(64))).decode()


def oracle(secret_b64: str, timestamp: str, method: str, request_path: str, body: str = "") -> str:
    """The docs' reference signer, written out independently of the code under test."""
    key = base64.b64decode(secret_b64)
    assert len(key) == 64
    prehash = f"{timestamp}{method.upper()}{request_path}{body}".encode()
    return base64.b64encode(hmac.new(key, prehash, hashlib.sha256).digest()).decode()


def _hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.HMAC(key, message, digestmod="sha256").digest()).decode()


# -- test vectors -------------------------------------------------------------------------------


def test_sign_get_with_query_string() -> None:
    ts, path = "1700000000", "/fills?product_id=BTC-USD&limit=100"
    expected = _hmac_b64(bytes(range(64)), b"1700000000GET/fills?product_id=BTC-USD&limit=100")
    assert sign(VECTOR_SECRET, ts, "GET", path) == expected
    # The query string really is part of what is signed.
    assert sign(VECTOR_SECRET, ts, "GET", path) != sign(VECTOR_SECRET, ts, "GET", "/fills")


def test_sign_get_without_query_string() -> None:
    expected = _hmac_b64(bytes(range(64)), b"1700000000.123GET/accounts")
    assert sign(VECTOR_SECRET, "1700000000.123", "GET", "/accounts") == expected
    assert sign(VECTOR_SECRET, "1700000000.123", "GET", "/accounts", "") == expected


def test_sign_post_with_json_body() -> None:
    body = json.dumps({"size": "0.01", "price": "0.100", "side": "buy", "product_id": "BTC-USD"})
    expected = _hmac_b64(bytes(range(64)), ("1700000001POST/orders" + body).encode())
    assert sign(VECTOR_SECRET, "1700000001", "POST", "/orders", body) == expected
    # The body is signed: a byte of difference changes the signature.
    assert sign(VECTOR_SECRET, "1700000001", "POST", "/orders", body + " ") != expected


def test_sign_output_is_base64_of_32_bytes() -> None:
    sig = sign(VECTOR_SECRET, "1", "GET", "/time")
    assert len(base64.b64decode(sig, validate=True)) == 32
    # Not a hex digest, and not keyed with the raw (undecoded) secret: the sat-hunter bug.
    wrong = base64.b64encode(hmac.new(VECTOR_SECRET.encode(), b"1GET/time", hashlib.sha256).digest()).decode()
    assert sig != wrong
    assert sig != hmac.new(bytes(range(64)), b"1GET/time", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("method", ["get", "Get", "gEt", "GET"])
def test_method_is_upper_cased(method: str) -> None:
    assert sign(VECTOR_SECRET, "1700000000", method, "/accounts") == oracle(
        VECTOR_SECRET, "1700000000", "GET", "/accounts"
    )
    assert sign(VECTOR_SECRET, "1700000000", "post", "/orders", "{}") == _hmac_b64(
        bytes(range(64)), b"1700000000POST/orders{}"
    )


def test_credential_signature_matches_sign(credential: ApiCredential) -> None:
    for args in (("1", "get", "/fills?product_id=BTC-USD"), ("2.5", "POST", "/orders", '{"a":1}')):
        assert credential.signature(*args) == sign(credential.secret, *args) == oracle(credential.secret, *args)


_paths = st.builds(
    lambda segs, q: "/" + "/".join(segs) + (f"?{q}" if q else ""),
    st.lists(
        st.text(
            alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="?/"),
            min_size=1,
            max_size=12,
        ),
        min_size=1,
        max_size=4,
    ),
    st.text(max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(
    secret=st.binary(min_size=64, max_size=64),
    timestamp=st.one_of(
        st.integers(min_value=0, max_value=2**34).map(str),
        st.floats(min_value=0, max_value=2e9, allow_nan=False).map(repr),
    ),
    method=st.sampled_from(["GET", "get", "POST", "post", "DELETE", "Put"]),
    path=_paths,
    body=st.one_of(
        st.just(""), st.text(max_size=200), st.dictionaries(st.text(max_size=8), st.text(max_size=8)).map(json.dumps)
    ),
)
def test_sign_matches_oracle(secret: bytes, timestamp: str, method: str, path: str, body: str) -> None:
    secret_b64 = base64.b64encode(secret).decode()
    assert sign(secret_b64, timestamp, method, path, body) == oracle(secret_b64, timestamp, method, path, body)


# -- ApiCredential hygiene --------------------------------------------------------------------


def test_credential_repr_shows_label_and_fingerprint_only(credential: ApiCredential) -> None:
    shown = repr(credential) + str(credential) + f"{credential}"
    assert "test-key" in shown
    assert credential.fingerprint in shown
    assert credential.secret not in shown
    assert credential.passphrase not in shown
    assert credential.key not in shown  # only the last 4 characters
    assert credential.fingerprint == key_fingerprint(credential.key)
    assert credential.fingerprint.startswith("…" + credential.key[-4:])


def test_credential_refuses_pickling_and_copy(credential: ApiCredential) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(credential, protocol=protocol)
    with pytest.raises(TypeError):
        copy.copy(credential)


def test_credential_is_frozen(credential: ApiCredential) -> None:
    with pytest.raises(AttributeError):
        credential.secret = "x"  # type: ignore[misc]


# -- ServerClock ------------------------------------------------------------------------------


def test_server_clock_whole_seconds_and_correction() -> None:
    now = [1_700_000_000.75]
    clock = ServerClock(time_source=lambda: now[0])
    assert clock.timestamp() == "1700000000"
    clock.correct(1_700_000_100.25)  # exchange is 99.5 s ahead
    assert clock.offset == pytest.approx(99.5)
    assert clock.timestamp() == "1700000100"
    now[0] += 10
    assert clock.timestamp() == "1700000110"


# -- CoinbaseAuth over the bytes actually sent --------------------------------------------------


def _check_signed(request: httpx.Request, credential: ApiCredential) -> None:
    ts = request.headers["CB-ACCESS-TIMESTAMP"]
    prehash = ts.encode() + request.method.encode() + request.url.raw_path + request.content
    assert request.headers["CB-ACCESS-SIGN"] == _hmac_b64(base64.b64decode(credential.secret), prehash)
    assert request.headers["CB-ACCESS-KEY"] == credential.key
    assert request.headers["CB-ACCESS-PASSPHRASE"] == credential.passphrase


async def test_auth_signs_post_json_body_as_sent(credential: ApiCredential) -> None:
    seen: list[httpx.Request] = []
    auth = CoinbaseAuth(credential, ServerClock(), time_url=f"{BASE}/time")
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/orders").mock(side_effect=lambda r: seen.append(r) or httpx.Response(200, json={}))
        async with httpx.AsyncClient(base_url=BASE, auth=auth) as http:
            await http.post("/orders", json={"price": "0.10", "size": "1", "note": "é ü"})
    (request,) = seen
    assert request.content  # a real body was sent
    _check_signed(request, credential)
    body = request.content.decode()
    ts = request.headers["CB-ACCESS-TIMESTAMP"]
    assert request.headers["CB-ACCESS-SIGN"] == oracle(credential.secret, ts, "POST", "/orders", body)


async def test_auth_signs_query_as_sent(credential: ApiCredential) -> None:
    seen: list[httpx.Request] = []
    auth = CoinbaseAuth(credential, ServerClock(), time_url=f"{BASE}/time")
    params = [("status", "done"), ("status", "open"), ("q", "a b/c+d&é")]
    with respx.mock(base_url=BASE) as router:
        router.get("/orders").mock(side_effect=lambda r: seen.append(r) or httpx.Response(200, json=[]))
        async with httpx.AsyncClient(base_url=BASE, auth=auth) as http:
            await http.get("/orders", params=params)
    (request,) = seen
    assert b"%2F" in request.url.raw_path and b"status=done&status=open" in request.url.raw_path
    _check_signed(request, credential)


async def test_auth_timestamp_comes_from_the_clock(credential: ApiCredential) -> None:
    seen: list[httpx.Request] = []
    clock = ServerClock(offset=1000.0, time_source=lambda: 1_600_000_000.0)
    auth = CoinbaseAuth(credential, clock, time_url=f"{BASE}/time")
    with respx.mock(base_url=BASE) as router:
        router.get("/accounts").mock(side_effect=lambda r: seen.append(r) or httpx.Response(200, json=[]))
        async with httpx.AsyncClient(base_url=BASE, auth=auth) as http:
            await http.get("/accounts")
    assert seen[0].headers["CB-ACCESS-TIMESTAMP"] == "1600001000"
    _check_signed(seen[0], credential)


def test_auth_repr_hides_secrets(credential: ApiCredential) -> None:
    auth = CoinbaseAuth(credential, ServerClock(), time_url=f"{BASE}/time")
    shown = repr(auth) + str(auth)
    assert credential.secret not in shown and credential.passphrase not in shown


def test_different_secrets_give_different_signatures() -> None:
    a = base64.b64encode(os.urandom(64)).decode()
    b = base64.b64encode(os.urandom(64)).decode()
    assert sign(a, "1", "GET", "/accounts") != sign(b, "1", "GET", "/accounts")


@pytest.mark.parametrize("field", ["key", "passphrase"])
@pytest.mark.parametrize("bad", ["abc\n", "ab\tc", "abc\r"])
def test_control_characters_in_header_values_are_refused(field: str, bad: str) -> None:
    good = {"key": "k" * 32, "secret": base64.b64encode(os.urandom(64)).decode(), "passphrase": "p" * 12}
    with pytest.raises(InvalidCredential, match="control character") as excinfo:
        ApiCredential(**{**good, field: bad})
    assert bad.strip() not in str(excinfo.value)
