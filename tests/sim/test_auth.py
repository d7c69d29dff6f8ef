"""The simulator authenticates like Coinbase Exchange: signature recipe, check order, messages."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sim_fixtures import SignedHttp, independent_sign
from trade_tracker.sim import RunningSim, SimCredential

FILLS = "/fills?product_id=BTC-USD&limit=5"
ORDER_BODY = b'{"product_id":"BTC-USD","side":"buy","size":"0.01000000","price":"1000.00"}'


def _flip(text: str, at: int) -> str:
    """``text`` with one character changed (case swapped, or a digit bumped)."""
    ch = text[at]
    new = str((int(ch) + 1) % 10) if ch.isdigit() else (ch.lower() if ch.isupper() else ch.upper())
    assert new != ch, f"cannot flip {ch!r}"
    return text[:at] + new + text[at + 1 :]


@pytest.fixture
def trade_http(sim: RunningSim) -> SignedHttp:
    credential = sim.exchange.add_key(["view", "trade"])
    return SignedHttp(sim.url, credential)


def test_independent_signer_is_accepted(sim_http: SignedHttp) -> None:
    response = sim_http.get(FILLS)
    assert response.status_code == 200, response.text
    assert len(response.json()) == 5


def test_decimal_and_integer_timestamps_are_accepted(sim_http: SignedHttp) -> None:
    assert sim_http.get(FILLS, timestamp=f"{time.time():.3f}").status_code == 200
    assert sim_http.get(FILLS, timestamp=str(int(time.time()))).status_code == 200


@pytest.mark.parametrize("at", [1, 4, 7])  # "/fills": a byte of the path
def test_one_byte_changed_in_path_fails(sim_http: SignedHttp, at: int) -> None:
    response = sim_http.get(FILLS, sign_target=_flip(FILLS, at))
    assert (response.status_code, response.json()) == (401, {"message": "invalid signature"})


@pytest.mark.parametrize("at", [FILLS.index("BTC"), FILLS.index("limit"), len(FILLS) - 1])
def test_one_byte_changed_in_query_fails(sim_http: SignedHttp, at: int) -> None:
    response = sim_http.get(FILLS, sign_target=_flip(FILLS, at))
    assert (response.status_code, response.json()) == (401, {"message": "invalid signature"})


def test_query_is_signed_exactly_as_sent(sim_http: SignedHttp) -> None:
    """Parameter order and percent-encoding are part of what is signed."""
    reordered = "/fills?limit=5&product_id=BTC-USD"
    assert sim_http.get(reordered).status_code == 200
    assert sim_http.get(reordered, sign_target=FILLS).json() == {"message": "invalid signature"}
    encoded = "/fills?product_id=BTC%2DUSD&limit=5"
    assert sim_http.get(encoded).status_code == 200
    assert sim_http.get(encoded, sign_target=FILLS).json() == {"message": "invalid signature"}
    assert sim_http.get("/fills", sign_target="/fills?").status_code == 401  # nothing after "?" is no query


def test_leaving_the_query_out_of_the_signature_fails(sim_http: SignedHttp) -> None:
    response = sim_http.get(FILLS, sign_target="/fills")
    assert (response.status_code, response.json()) == (401, {"message": "invalid signature"})


def test_body_is_signed(trade_http: SignedHttp) -> None:
    ok = trade_http.post("/orders", ORDER_BODY)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "pending"
    for at in (2, ORDER_BODY.index(b"buy"), ORDER_BODY.index(b"1000")):
        changed = ORDER_BODY[:at] + bytes([ORDER_BODY[at] ^ 0x01]) + ORDER_BODY[at + 1 :]
        response = trade_http.post("/orders", ORDER_BODY, sign_body=changed)
        assert (response.status_code, response.json()) == (401, {"message": "invalid signature"})
    # A GET whose params were put in a signed body (crypto_vba #62) fails too.
    response = trade_http.get("/fills?product_id=BTC-USD", sign_body=b'{"product_id":"BTC-USD"}')
    assert response.json() == {"message": "invalid signature"}


def test_one_byte_changed_in_timestamp_fails(sim_http: SignedHttp) -> None:
    ts = str(int(time.time()))
    headers = sim_http.headers("GET", FILLS, timestamp=ts)
    headers["CB-ACCESS-TIMESTAMP"] = str(int(ts) - 1)  # still inside the window, but not what was signed
    response = sim_http.send("GET", FILLS, headers=headers)
    assert (response.status_code, response.json()) == (401, {"message": "invalid signature"})


def test_one_byte_changed_in_secret_fails(sim_http: SignedHttp) -> None:
    cred = sim_http.credential
    at = next(i for i, ch in enumerate(cred.secret) if ch.isalpha())
    wrong = SimCredential(cred.key, _flip(cred.secret, at), cred.passphrase)
    headers = sim_http.headers("GET", FILLS)
    headers["CB-ACCESS-SIGN"] = sim_http.headers(
        "GET", FILLS, credential=wrong, timestamp=headers["CB-ACCESS-TIMESTAMP"]
    )["CB-ACCESS-SIGN"]
    response = sim_http.send("GET", FILLS, headers=headers)
    assert (response.status_code, response.json()) == (401, {"message": "invalid signature"})


def test_hex_digest_or_raw_secret_signatures_fail(sim_http: SignedHttp) -> None:
    """The sat-hunter PR #7 mistakes: raw (not decoded) secret, hex digest."""
    import hashlib
    import hmac

    ts = str(time.time())
    headers = sim_http.headers("GET", FILLS, timestamp=ts)
    message = (ts + "GET" + FILLS).encode()
    headers["CB-ACCESS-SIGN"] = hmac.new(sim_http.credential.secret.encode(), message, hashlib.sha256).hexdigest()
    assert sim_http.send("GET", FILLS, headers=headers).json() == {"message": "invalid signature"}


AUTH_CASES: list[tuple[str, Callable[[dict[str, str]], None], int, str]] = [
    ("no key", lambda h: h.pop("CB-ACCESS-KEY"), 401, "CB-ACCESS-KEY header is required"),
    ("empty key", lambda h: h.update({"CB-ACCESS-KEY": ""}), 401, "CB-ACCESS-KEY header is required"),
    ("no sign", lambda h: h.pop("CB-ACCESS-SIGN"), 400, "CB-ACCESS-SIGN header is required"),
    ("no timestamp", lambda h: h.pop("CB-ACCESS-TIMESTAMP"), 400, "CB-ACCESS-TIMESTAMP header is required"),
    ("no passphrase", lambda h: h.pop("CB-ACCESS-PASSPHRASE"), 400, "CB-ACCESS-PASSPHRASE header is required"),
    ("text timestamp", lambda h: h.update({"CB-ACCESS-TIMESTAMP": "yesterday"}), 400, "invalid timestamp"),
    ("exponent timestamp", lambda h: h.update({"CB-ACCESS-TIMESTAMP": "1.7e9"}), 400, "invalid timestamp"),
    (
        "old timestamp",
        lambda h: h.update({"CB-ACCESS-TIMESTAMP": str(int(time.time()) - 31)}),
        401,
        "request timestamp expired",
    ),
    (
        "future timestamp",
        lambda h: h.update({"CB-ACCESS-TIMESTAMP": str(time.time() + 45)}),
        401,
        "request timestamp expired",
    ),
    ("unknown key", lambda h: h.update({"CB-ACCESS-KEY": "0" * 32}), 401, "Invalid API Key"),
    ("CDP key name", lambda h: h.update({"CB-ACCESS-KEY": "organizations/o/apiKeys/k"}), 401, "Invalid API Key"),
    ("wrong passphrase", lambda h: h.update({"CB-ACCESS-PASSPHRASE": "my-login-password"}), 401, "Invalid Passphrase"),
    ("bad signature", lambda h: h.update({"CB-ACCESS-SIGN": "AAAA"}), 401, "invalid signature"),
]


@pytest.mark.parametrize(("mutate", "status", "message"), [c[1:] for c in AUTH_CASES], ids=[c[0] for c in AUTH_CASES])
def test_auth_failures(
    sim_http: SignedHttp, mutate: Callable[[dict[str, str]], None], status: int, message: str
) -> None:
    headers = sim_http.headers("GET", FILLS)
    mutate(headers)
    response = sim_http.send("GET", FILLS, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"message": message}


def test_checks_run_in_the_documented_order(sim_http: SignedHttp) -> None:
    """With everything wrong at once, the earliest check answers."""
    assert sim_http.send("GET", FILLS, headers={}).json() == {"message": "CB-ACCESS-KEY header is required"}
    only_key = {"CB-ACCESS-KEY": "nope"}
    assert sim_http.send("GET", FILLS, headers=only_key).json() == {"message": "CB-ACCESS-SIGN header is required"}
    headers = {"CB-ACCESS-KEY": "nope", "CB-ACCESS-SIGN": "x", "CB-ACCESS-TIMESTAMP": "1", "CB-ACCESS-PASSPHRASE": "p"}
    assert sim_http.send("GET", FILLS, headers=headers).json() == {"message": "request timestamp expired"}
    headers["CB-ACCESS-TIMESTAMP"] = str(time.time())
    assert sim_http.send("GET", FILLS, headers=headers).json() == {"message": "Invalid API Key"}
    headers["CB-ACCESS-KEY"] = sim_http.credential.key
    assert sim_http.send("GET", FILLS, headers=headers).json() == {"message": "Invalid Passphrase"}
    headers["CB-ACCESS-PASSPHRASE"] = sim_http.credential.passphrase
    assert sim_http.send("GET", FILLS, headers=headers).json() == {"message": "invalid signature"}


def test_auth_failure_status_is_configurable(sim: RunningSim, sim_http: SignedHttp) -> None:
    sim.exchange.configure(auth_failure_status=400)
    headers = sim_http.headers("GET", FILLS)
    headers["CB-ACCESS-PASSPHRASE"] = "wrong"
    response = sim_http.send("GET", FILLS, headers=headers)
    assert (response.status_code, response.json()) == (400, {"message": "Invalid Passphrase"})
    assert sim_http.get(FILLS, sign_target="/fills").status_code == 400


def test_server_clock_offset(sim: RunningSim, sim_http: SignedHttp) -> None:
    """A server whose clock is 2 minutes ahead rejects local time, accepts its own /time."""
    sim.exchange.configure(clock_offset=120.0)
    server_epoch = sim_http.client.get("/time").json()["epoch"]
    assert server_epoch - time.time() == pytest.approx(120, abs=5)
    assert sim_http.get(FILLS).json() == {"message": "request timestamp expired"}
    assert sim_http.get(FILLS, timestamp=str(int(time.time() + 120))).status_code == 200


def test_permissions(sim: RunningSim) -> None:
    view = SignedHttp(sim.url, sim.credential)  # the default key is view-only
    trade = SignedHttp(sim.url, sim.exchange.add_key(["trade"]))
    transfer = SignedHttp(sim.url, sim.exchange.add_key(["transfer"]))
    try:
        assert view.get("/accounts").status_code == 200
        assert trade.get("/accounts").status_code == 200  # reads need View or Trade
        denied = view.post("/orders", ORDER_BODY)
        assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
        assert trade.post("/orders", ORDER_BODY).status_code == 200
        for target in ("/accounts", FILLS, "/orders", "/profiles"):
            response = transfer.get(target)
            assert (response.status_code, response.json()) == (403, {"message": "Forbidden"}), target
    finally:
        for http in (view, trade, transfer):
            http.close()


def test_several_keys_and_removal(sim: RunningSim) -> None:
    second = sim.exchange.add_key(["view"], key="second-key", passphrase="pass2")
    http = SignedHttp(sim.url, second)
    try:
        assert http.get("/accounts").status_code == 200
        assert SignedHttp(sim.url, sim.credential).get("/accounts").status_code == 200
        sim.exchange.remove_key("second-key")
        assert http.get("/accounts").json() == {"message": "Invalid API Key"}
    finally:
        http.close()


def test_public_endpoints_need_no_auth(sim_http: SignedHttp) -> None:
    for target in ("/time", "/products", "/products/BTC-USD", "/products/BTC-USD/ticker", "/products/BTC-USD/stats"):
        assert sim_http.client.get(target).status_code == 200, target


def test_signer_matches_the_docs_sample_shape() -> None:
    """The independent signer gives a 44-character base64 SHA-256 MAC."""
    secret = "a" * 86 + "=="
    assert len(independent_sign(secret, "1", "get", "/time")) == 44
