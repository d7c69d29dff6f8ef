"""The Coinbase Exchange client against respx: signing as sent, paging, retries, error mapping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx

from trade_tracker.errors import (
    AuthenticationError,
    BadRequest,
    ConfigError,
    ExchangeProtocolError,
    ExchangeStatusError,
    ExchangeUnavailable,
    ExchangeUnreachable,
    InvalidApiKey,
    InvalidArgument,
    InvalidPassphrase,
    InvalidSignature,
    MissingAuthHeader,
    NotFound,
    PermissionDenied,
    RateLimited,
    TimestampExpired,
    TradeTrackerError,
)
from trade_tracker.formats import check_product_id, decimal_text
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import Bucket, RateLimits
from trade_tracker.venues.retries import RetryPolicy, retry_after_seconds

BASE = "https://api.test.example"
ORDER_ID = "41473628-db2c-464e-b9f4-82df7e4fb4f4"


def fill_json(trade_id: int, product_id: str = "BTC-USD") -> dict[str, Any]:
    return {
        "created_at": "2019-11-21T01:38:23.878Z",
        "trade_id": trade_id,
        "product_id": product_id,
        "order_id": ORDER_ID,
        "liquidity": "T",
        "price": "8087.38000000",
        "size": "0.00601800",
        "fee": "0.2433492642000000",
        "side": "sell",
        "settled": True,
    }


def independent_signature(secret_b64: str, request: httpx.Request) -> str:
    """HMAC over exactly what went on the wire: timestamp + METHOD + raw path?query + raw body."""
    prehash = (
        request.headers["CB-ACCESS-TIMESTAMP"].encode("ascii")
        + request.method.upper().encode("ascii")
        + request.url.raw_path
        + request.content
    )
    return base64.b64encode(hmac.new(base64.b64decode(secret_b64), prehash, hashlib.sha256).digest()).decode()


class FillsServer:
    """The docs' simulator model of /fills: descending trade_id, after=older, before=newer."""

    def __init__(self, trade_ids: range | list[int], *, max_page: int | None = None) -> None:
        self.ids = sorted(trade_ids, reverse=True)
        self.max_page = max_page
        self.calls: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.calls.append(params)
        limit = int(params.get("limit", "100"))
        if self.max_page is not None:
            limit = min(limit, self.max_page)
        if "after" in params:
            items = [i for i in self.ids if i < int(params["after"])][:limit]
        elif "before" in params:
            items = sorted(i for i in self.ids if i > int(params["before"]))[:limit]
            items.reverse()
        else:
            items = self.ids[:limit]
        headers = {"CB-BEFORE": str(items[0]), "CB-AFTER": str(items[-1])} if items else {}
        return httpx.Response(200, json=[fill_json(i) for i in items], headers=headers)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


def make_client(credential: ApiCredential | None, attempts: int = 3, **kwargs: Any) -> CoinbaseClient:
    kwargs.setdefault("retry", RetryPolicy.no_wait(attempts))
    kwargs.setdefault("rate_limits", RateLimits.disabled())
    return CoinbaseClient(BASE, credential, **kwargs)


@pytest.fixture
async def client(credential: ApiCredential, router: respx.MockRouter) -> AsyncIterator[CoinbaseClient]:
    async with make_client(credential) as c:
        yield c


@pytest.fixture
async def anon_client(router: respx.MockRouter) -> AsyncIterator[CoinbaseClient]:
    async with make_client(None) as c:
        yield c


# -- signing matches the bytes actually sent --------------------------------------------------


async def test_signed_prehash_matches_bytes_sent_with_repeated_status(
    client: CoinbaseClient, credential: ApiCredential, router: respx.MockRouter
) -> None:
    seen: list[httpx.Request] = []
    router.get("/orders").mock(side_effect=lambda r: seen.append(r) or httpx.Response(200, json=[]))
    await client.list_orders(status=["done", "open"], product_id="btc-usd", before="2024-01-01T00:00:00.5+00:00 é/&")
    (request,) = seen
    raw = request.url.raw_path
    assert raw.startswith(b"/orders?status=done&status=open&product_id=BTC-USD&limit=100&before=")
    assert b"%2B00%3A00" in raw and b"%C3%A9" in raw and b"%2F" in raw and b"%26" in raw
    assert request.url.params.get_list("status") == ["done", "open"]
    assert request.headers["CB-ACCESS-SIGN"] == independent_signature(credential.secret, request)
    assert request.headers["CB-ACCESS-KEY"] == credential.key
    assert request.headers["CB-ACCESS-PASSPHRASE"] == credential.passphrase
    assert request.content == b""


async def test_signed_prehash_matches_bytes_sent_for_fills(
    client: CoinbaseClient, credential: ApiCredential, router: respx.MockRouter
) -> None:
    seen: list[httpx.Request] = []
    router.get("/fills").mock(side_effect=lambda r: seen.append(r) or httpx.Response(200, json=[]))
    await client.list_fills(product_id="ETH-USD", after=123)
    (request,) = seen
    assert request.url.raw_path == b"/fills?product_id=ETH-USD&limit=100&after=123"
    assert request.headers["CB-ACCESS-SIGN"] == independent_signature(credential.secret, request)
    # The query string is part of the signature (ex_gdax #15): path-only signing must differ.
    path_only = base64.b64encode(
        hmac.new(
            base64.b64decode(credential.secret),
            request.headers["CB-ACCESS-TIMESTAMP"].encode() + b"GET/fills",
            hashlib.sha256,
        ).digest()
    ).decode()
    assert request.headers["CB-ACCESS-SIGN"] != path_only


async def test_timestamp_is_whole_seconds_near_now(client: CoinbaseClient, router: respx.MockRouter) -> None:
    seen: list[httpx.Request] = []
    router.get("/accounts").mock(side_effect=lambda r: seen.append(r) or httpx.Response(200, json=[]))
    await client.list_accounts()
    ts = seen[0].headers["CB-ACCESS-TIMESTAMP"]
    assert ts.isdigit()
    assert abs(int(ts) - time.time()) < 5


async def test_public_endpoints_are_not_signed(client: CoinbaseClient, router: respx.MockRouter) -> None:
    seen: list[httpx.Request] = []
    router.get("/time").mock(
        side_effect=lambda r: seen.append(r) or httpx.Response(200, json={"iso": "x", "epoch": 1.5})
    )
    assert (await client.get_time()).epoch == 1.5
    assert not [h for h in seen[0].headers if h.lower().startswith("cb-access")]


# -- paging ------------------------------------------------------------------------------------


async def test_three_pages_walked_by_cb_after(client: CoinbaseClient, router: respx.MockRouter) -> None:
    server = FillsServer(range(1, 10))
    route = router.get("/fills").mock(side_effect=server)
    pages = [page async for page in client.iter_fill_pages("BTC-USD", limit=3)]
    assert [[f.trade_id for f in p.fills] for p in pages] == [[9, 8, 7], [6, 5, 4], [3, 2, 1]]
    assert [c.get("after") for c in server.calls] == [None, "7", "4", "1"]
    assert all("before" not in c for c in server.calls)
    assert all(c["product_id"] == "BTC-USD" and c["limit"] == "3" for c in server.calls)
    assert route.call_count == 4
    assert pages[0].before == "9" and pages[0].after == "7"


async def test_short_pages_are_still_paged_to_the_end(client: CoinbaseClient, router: respx.MockRouter) -> None:
    """The server caps pages at 2 although 100 were asked: only an empty page ends the walk."""
    server = FillsServer(range(1, 8), max_page=2)
    router.get("/fills").mock(side_effect=server)
    ids = [f.trade_id async for page in client.iter_fill_pages("BTC-USD") for f in page.fills]
    assert ids == [7, 6, 5, 4, 3, 2, 1]
    assert [c.get("after") for c in server.calls] == [None, "6", "4", "2", "1"]


async def test_paging_from_older_than(client: CoinbaseClient, router: respx.MockRouter) -> None:
    server = FillsServer(range(1, 10))
    router.get("/fills").mock(side_effect=server)
    ids = [f.trade_id async for page in client.iter_fill_pages("BTC-USD", older_than=5, limit=3) for f in page.fills]
    assert ids == [4, 3, 2, 1]
    assert [c.get("after") for c in server.calls] == ["5", "2", "1"]


async def test_missing_cursor_header_stops(client: CoinbaseClient, router: respx.MockRouter) -> None:
    route = router.get("/fills").mock(return_value=httpx.Response(200, json=[fill_json(5), fill_json(4)]))
    pages = [page async for page in client.iter_fill_pages("BTC-USD")]
    assert len(pages) == 1 and route.call_count == 1


async def test_paging_newer_with_before(client: CoinbaseClient, router: respx.MockRouter) -> None:
    server = FillsServer(range(1, 13))
    router.get("/fills").mock(side_effect=server)
    pages = [page async for page in client.iter_fill_pages("BTC-USD", newer_than=5, limit=3)]
    assert [[f.trade_id for f in p.fills] for p in pages] == [[8, 7, 6], [11, 10, 9], [12]]
    assert [c.get("before") for c in server.calls] == ["5", "8", "11", "12"]
    assert all("after" not in c for c in server.calls)


async def test_paging_by_order_id(client: CoinbaseClient, router: respx.MockRouter) -> None:
    server = FillsServer([3, 2])
    router.get("/fills").mock(side_effect=server)
    ids = [f.trade_id async for page in client.iter_fill_pages(order_id=ORDER_ID) for f in page.fills]
    assert ids == [3, 2]
    assert server.calls[0]["order_id"] == ORDER_ID and "product_id" not in server.calls[0]


@pytest.mark.parametrize("newer", [False, True])
async def test_cursor_that_does_not_advance_is_protocol_error(
    client: CoinbaseClient, router: respx.MockRouter, newer: bool
) -> None:
    route = router.get("/fills").mock(
        return_value=httpx.Response(200, json=[fill_json(7)], headers={"CB-BEFORE": "7", "CB-AFTER": "7"})
    )
    pages = []
    with pytest.raises(ExchangeProtocolError, match="did not advance"):
        async for page in client.iter_fill_pages("BTC-USD", newer_than=7 if newer else None):
            pages.append(page)
            assert len(pages) < 5, "paging loop was not stopped"
    assert route.call_count <= 2


async def test_cursor_moving_backwards_is_protocol_error(client: CoinbaseClient, router: respx.MockRouter) -> None:
    def cycling(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        nxt = {None: "7", "7": "4", "4": "7"}[after]
        return httpx.Response(200, json=[fill_json(int(nxt))], headers={"CB-BEFORE": nxt, "CB-AFTER": nxt})

    router.get("/fills").mock(side_effect=cycling)
    pages = 0
    with pytest.raises(ExchangeProtocolError):
        async for _ in client.iter_fill_pages("BTC-USD"):
            pages += 1
            if pages > 10:
                pytest.fail("paging cycled between cursors 7 and 4 without stopping")


async def test_garbage_cursor_header_is_protocol_error(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/fills").mock(
        return_value=httpx.Response(200, json=[fill_json(7)], headers={"CB-BEFORE": "7", "CB-AFTER": "abc"})
    )
    with pytest.raises(ExchangeProtocolError):
        async for _ in client.iter_fill_pages("BTC-USD"):
            pass


async def test_fill_page_carries_cursors(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/fills").mock(
        return_value=httpx.Response(200, json=[fill_json(9), fill_json(8)], headers={"CB-BEFORE": "9", "CB-AFTER": "8"})
    )
    page = await client.list_fills("BTC-USD")
    assert (page.before, page.after) == ("9", "8")
    assert [f.trade_id for f in page.fills] == [9, 8]


# -- retries -----------------------------------------------------------------------------------


async def test_429_then_200_is_retried(client: CoinbaseClient, router: respx.MockRouter) -> None:
    route = router.get("/accounts").mock(
        side_effect=[httpx.Response(429, json={"message": "Private rate limit exceeded"}), httpx.Response(200, json=[])]
    )
    assert await client.list_accounts() == []
    assert route.call_count == 2


@pytest.mark.parametrize("attempts", [1, 2, 4])
async def test_429_retries_stop_at_the_bound(
    credential: ApiCredential, router: respx.MockRouter, attempts: int
) -> None:
    route = router.get("/accounts").mock(
        return_value=httpx.Response(429, json={"message": "Private rate limit exceeded"})
    )
    async with make_client(credential, attempts=attempts) as c:
        with pytest.raises(RateLimited) as info:
            await c.list_accounts()
    assert route.call_count == attempts
    assert info.value.status_code == 429
    assert info.value.api_message == "Private rate limit exceeded"
    assert f"{attempts} attempts" in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_retried_then_succeeds(client: CoinbaseClient, router: respx.MockRouter, status: int) -> None:
    route = router.get("/products").mock(side_effect=[httpx.Response(status), httpx.Response(200, json=[])])
    assert await client.list_products() == []
    assert route.call_count == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_exhausted_is_exchange_unavailable(
    client: CoinbaseClient, router: respx.MockRouter, status: int
) -> None:
    route = router.get("/products").mock(return_value=httpx.Response(status, text="<html>Bad gateway</html>"))
    with pytest.raises(ExchangeUnavailable) as info:
        await client.list_products()
    assert route.call_count == 3
    assert info.value.status_code == status
    assert BASE in str(info.value)


@pytest.mark.parametrize("status", [501, 505])
async def test_other_5xx_are_not_retried(client: CoinbaseClient, router: respx.MockRouter, status: int) -> None:
    route = router.get("/products").mock(return_value=httpx.Response(status, json={"message": "nope"}))
    with pytest.raises(ExchangeUnavailable):
        await client.list_products()
    assert route.call_count == 1


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout])
async def test_connect_errors_retried(client: CoinbaseClient, router: respx.MockRouter, exc: type[Exception]) -> None:
    route = router.get("/time").mock(
        side_effect=[exc("connection refused"), httpx.Response(200, json={"iso": "x", "epoch": 2.0})]
    )
    assert (await client.get_time()).epoch == 2.0
    assert route.call_count == 2


async def test_connect_error_exhausted_is_unreachable_naming_base_url(
    client: CoinbaseClient, router: respx.MockRouter
) -> None:
    route = router.get("/time").mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(ExchangeUnreachable) as info:
        await client.get_time()
    assert route.call_count == 3
    assert BASE in str(info.value)
    assert "EX_BASE_URL" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError])
async def test_other_transport_failures_are_unreachable(
    client: CoinbaseClient, router: respx.MockRouter, exc: type[Exception]
) -> None:
    route = router.get("/accounts").mock(side_effect=exc("boom"))
    with pytest.raises(ExchangeUnreachable) as info:
        await client.list_accounts()
    assert BASE in str(info.value)
    assert route.call_count == 1  # only connect failures and 429/502-504 are retried


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, BadRequest), (401, AuthenticationError), (403, PermissionDenied), (404, NotFound)],
)
async def test_4xx_not_retried(
    client: CoinbaseClient, router: respx.MockRouter, status: int, cls: type[Exception]
) -> None:
    route = router.get("/accounts").mock(return_value=httpx.Response(status, json={"message": "nope"}))
    with pytest.raises(cls):
        await client.list_accounts()
    assert route.call_count == 1


async def test_post_is_never_retried(client: CoinbaseClient, router: respx.MockRouter) -> None:
    route = router.post("/orders").mock(return_value=httpx.Response(503))
    with pytest.raises(ExchangeUnavailable):
        await client._request("POST", "/orders", private=True)
    assert route.call_count == 1


# -- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("2", 2.0), (" 120 ", 120.0), (None, None), ("", None), ("soon", None), ("-1", None), ("1.5", None)],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0  # in the past


def test_retry_after_non_ascii_digit_is_unreadable() -> None:
    assert retry_after_seconds("²") is None


async def test_weird_retry_after_does_not_escape(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/accounts").mock(return_value=httpx.Response(429, headers=[(b"Retry-After", "²".encode())]))
    with pytest.raises(TradeTrackerError):
        await client.list_accounts()


async def test_retry_after_one_second_is_honoured(client: CoinbaseClient, router: respx.MockRouter) -> None:
    route = router.get("/accounts").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json=[])]
    )
    started = time.monotonic()
    assert await client.list_accounts() == []
    elapsed = time.monotonic() - started
    assert route.call_count == 2
    assert 0.95 <= elapsed < 3.0, elapsed


async def test_retry_after_past_http_date_retries_at_once(client: CoinbaseClient, router: respx.MockRouter) -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    route = router.get("/accounts").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": past}), httpx.Response(200, json=[])]
    )
    started = time.monotonic()
    assert await client.list_accounts() == []
    assert route.call_count == 2
    assert time.monotonic() - started < 0.5


async def test_retry_after_beyond_budget_is_not_awaited(credential: ApiCredential, router: respx.MockRouter) -> None:
    route = router.get("/accounts").mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
    policy = RetryPolicy(attempts=5, timeout=2.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
    started = time.monotonic()
    async with make_client(credential, retry=policy) as c:
        with pytest.raises(RateLimited):
            await c.list_accounts()
    assert route.call_count == 1
    assert time.monotonic() - started < 1.0


# -- error mapping -----------------------------------------------------------------------------

AUTH_CASES = [
    ("invalid signature", InvalidSignature, "secret"),
    ("Invalid Passphrase", InvalidPassphrase, "passphrase"),
    ("Invalid API Key", InvalidApiKey, "CDP"),
    ("CB-ACCESS-KEY header is required", MissingAuthHeader, "credential"),
]


@pytest.mark.parametrize(("message", "cls", "hint"), AUTH_CASES)
@pytest.mark.parametrize("status", [401, 400])
async def test_auth_messages_map_to_specific_errors(
    client: CoinbaseClient,
    router: respx.MockRouter,
    message: str,
    cls: type[AuthenticationError],
    hint: str,
    status: int,
) -> None:
    route = router.get("/accounts").mock(return_value=httpx.Response(status, json={"message": message}))
    with pytest.raises(cls) as info:
        await client.list_accounts()
    exc = info.value
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.api_message == message
    assert "'test-key'" in str(exc)  # names the credential label
    assert hint in str(exc)
    assert "GET /accounts" in str(exc)
    assert route.call_count == 1


async def test_other_400_missing_header_variants(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/accounts").mock(
        return_value=httpx.Response(400, json={"message": "CB-ACCESS-SIGN header is required"})
    )
    with pytest.raises(MissingAuthHeader):
        await client.list_accounts()


async def test_timestamp_expired_maps_after_one_clock_correction(
    client: CoinbaseClient, router: respx.MockRouter
) -> None:
    accounts = router.get("/accounts").mock(
        return_value=httpx.Response(401, json={"message": "request timestamp expired"})
    )
    time_route = router.get("/time").mock(return_value=httpx.Response(200, json={"iso": "x", "epoch": time.time()}))
    with pytest.raises(TimestampExpired) as info:
        await client.list_accounts()
    assert "'test-key'" in str(info.value)
    assert "clock" in str(info.value)
    assert accounts.call_count == 2  # the original and one re-signed retry, no more
    assert time_route.call_count == 1


async def test_unknown_401_is_generic_authentication_error(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/accounts").mock(return_value=httpx.Response(401, text="<html>Unauthorized</html>"))
    with pytest.raises(AuthenticationError) as info:
        await client.list_accounts()
    assert type(info.value) is AuthenticationError
    assert info.value.api_message is None
    assert "'test-key'" in str(info.value)


@pytest.mark.parametrize(
    ("path", "call", "permission"),
    [
        ("/accounts", "list_accounts", "View permission"),
        ("/profiles", "list_profiles", "View permission"),
        ("/orders", "list_orders", "View (or Trade) permission"),
    ],
)
async def test_403_names_the_permission(
    client: CoinbaseClient, router: respx.MockRouter, path: str, call: str, permission: str
) -> None:
    router.get(path).mock(return_value=httpx.Response(403, json={"message": "Forbidden"}))
    with pytest.raises(PermissionDenied) as info:
        await getattr(client, call)()
    assert permission in str(info.value)
    assert "'test-key'" in str(info.value)
    assert info.value.status_code == 403


async def test_403_on_fills_names_the_permission(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/fills").mock(return_value=httpx.Response(403, json={"message": "Forbidden"}))
    with pytest.raises(PermissionDenied, match=r"View \(or Trade\) permission"):
        await client.list_fills("BTC-USD")


async def test_404_is_not_found(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/products/FOO-BAR").mock(return_value=httpx.Response(404, json={"message": "NotFound"}))
    with pytest.raises(NotFound) as info:
        await client.get_product("FOO-BAR")
    assert info.value.api_message == "NotFound"


async def test_400_is_bad_request_with_coinbase_message(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/orders").mock(return_value=httpx.Response(400, json={"message": "before cursor value is not valid"}))
    with pytest.raises(BadRequest, match="before cursor value is not valid"):
        await client.list_orders(before="2")


async def test_unexpected_status_is_status_error(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/products").mock(return_value=httpx.Response(418, json={"message": "teapot"}))
    with pytest.raises(ExchangeStatusError) as info:
        await client.list_products()
    assert info.value.status_code == 418


@pytest.mark.parametrize("body", [b"<html>hello</html>", b"", b"{not json", b"\xff\xfe"])
async def test_non_json_200_is_protocol_error(client: CoinbaseClient, router: respx.MockRouter, body: bytes) -> None:
    router.get("/products").mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(ExchangeProtocolError) as info:
        await client.list_products()
    assert BASE in str(info.value)


@pytest.mark.parametrize("body", [{"message": "hi"}, [{"id": 1}], [fill_json(1) | {"price": "NaN"}]])
async def test_wrong_shape_is_protocol_error(client: CoinbaseClient, router: respx.MockRouter, body: Any) -> None:
    router.get("/fills").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ExchangeProtocolError, match="documented shape"):
        await client.list_fills("BTC-USD")


# -- inputs from the exchange are checked once, here ----------------------------------------------


EXACT = "123456789012345678.123456789"


async def test_json_numbers_are_decimal_never_float(client: CoinbaseClient, router: respx.MockRouter) -> None:
    """A number (not a string) in the JSON stays exact to the last digit: float would give 123456789012345680."""
    account = (
        b'[{"id": "a", "currency": "BTC", "balance": ' + EXACT.encode() + b', "hold": 0.00000010, "available": 1E-8}]'
    )
    router.get("/accounts").mock(return_value=httpx.Response(200, content=account))
    (got,) = await client.list_accounts()
    assert got.balance == Decimal(EXACT) and decimal_text(got.balance) == EXACT
    assert decimal_text(got.hold) == "0.00000010" and got.available == Decimal("1E-8")
    body = json.dumps([fill_json(3)]).replace('"8087.38000000"', EXACT).encode()
    router.get("/fills").mock(return_value=httpx.Response(200, content=body))
    (fill,) = (await client.list_fills("BTC-USD")).fills
    assert decimal_text(fill.price) == EXACT


@pytest.mark.parametrize("side", ["long", "BUY", "", None, 1])
async def test_a_side_other_than_buy_or_sell_is_a_protocol_error(
    client: CoinbaseClient, router: respx.MockRouter, side: object
) -> None:
    router.get("/fills").mock(return_value=httpx.Response(200, json=[fill_json(3) | {"side": side}]))
    with pytest.raises(ExchangeProtocolError, match=r"0\.side: Input should be 'buy' or 'sell'"):
        await client.list_fills("BTC-USD")


@pytest.mark.parametrize("trade_id", [0, -5, 2**63, "9223372036854775808", 10**30])
async def test_a_trade_id_the_store_cannot_key_is_a_protocol_error(
    client: CoinbaseClient, router: respx.MockRouter, trade_id: object
) -> None:
    router.get("/fills").mock(return_value=httpx.Response(200, json=[fill_json(3) | {"trade_id": trade_id}]))
    with pytest.raises(ExchangeProtocolError, match=r"0\.trade_id"):
        await client.list_fills("BTC-USD")


async def test_the_largest_storable_trade_id_is_accepted(client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/fills").mock(return_value=httpx.Response(200, json=[fill_json(2**63 - 1)]))
    assert (await client.list_fills("BTC-USD")).fills[0].trade_id == 2**63 - 1


@pytest.mark.parametrize("number", [b"1E+50000000", b'"1E+50000000"', b'"0E-50000000"', b"-1e-999999999"])
async def test_an_absurd_exponent_is_refused_not_expanded(
    client: CoinbaseClient, router: respx.MockRouter, number: bytes
) -> None:
    body = json.dumps([fill_json(3)]).replace('"0.2433492642000000"', number.decode()).encode()
    router.get("/fills").mock(return_value=httpx.Response(200, content=body))
    started = time.monotonic()
    with pytest.raises(ExchangeProtocolError, match=r"0\.fee: .*exponent"):
        await client.list_fills("BTC-USD")
    assert time.monotonic() - started < 1.0  # 50 million digits were never written out


@pytest.mark.parametrize(
    "body", [b'[{"price": NaN}]', b"[Infinity]", b"[" * 100_000 + b"]" * 100_000, b"[" + b"9" * 5000 + b"]"]
)
async def test_json_that_is_not_json_numbers_is_a_protocol_error(
    client: CoinbaseClient, router: respx.MockRouter, body: bytes
) -> None:
    router.get("/fills").mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(ExchangeProtocolError, match="valid JSON"):
        await client.list_fills("BTC-USD")


# -- argument checks before any request -----------------------------------------------------------


async def test_fills_needs_product_or_order_before_any_request(
    client: CoinbaseClient, router: respx.MockRouter
) -> None:
    route = router.get("/fills").mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(InvalidArgument, match="product_id or order_id"):
        await client.list_fills()
    with pytest.raises(InvalidArgument):
        async for _ in client.iter_fill_pages():
            pass
    assert route.call_count == 0
    assert router.calls.call_count == 0


BAD_PRODUCT_IDS = [
    "../accounts",
    "BTC USD",
    "BTC-USD/../../accounts",
    "",
    "BTC",
    "BTC-USD?x=1",
    "BTC-USD#",
    "BTC-USD-EUR",
    "BTC_USD",
    "BTC-USD%2F..",
    "-USD",
    "BTC-",
]


@pytest.mark.parametrize("bad", BAD_PRODUCT_IDS)
async def test_bad_product_ids_rejected_before_any_request(
    client: CoinbaseClient, router: respx.MockRouter, bad: str
) -> None:
    catch_all = router.route().mock(return_value=httpx.Response(200, json=[]))
    for call in (client.get_product, client.get_ticker, client.get_stats):
        with pytest.raises(InvalidArgument, match="BASE-QUOTE"):
            await call(bad)
    with pytest.raises(InvalidArgument):
        await client.list_fills(product_id=bad)
    with pytest.raises(InvalidArgument):
        await client.list_orders(product_id=bad)
    assert catch_all.call_count == 0


async def test_product_id_with_trailing_newline_rejected(client: CoinbaseClient, router: respx.MockRouter) -> None:
    catch_all = router.route().mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(InvalidArgument):
        check_product_id("BTC-USD\n")
    with pytest.raises(InvalidArgument):
        await client.list_fills(product_id="BTC-USD\n")
    assert catch_all.call_count == 0


async def test_good_product_id_is_upper_cased(client: CoinbaseClient, router: respx.MockRouter) -> None:
    route = router.get("/products/BTCAUCTION-USD/ticker").mock(
        return_value=httpx.Response(
            200, json={"trade_id": "1", "price": "1.0", "size": "2", "time": "2024-01-01T00:00:00Z"}
        )
    )
    ticker = await client.get_ticker("btcauction-usd")
    assert ticker.trade_id == 1
    assert route.call_count == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"product_id": "BTC-USD", "after": "abc"},
        {"product_id": "BTC-USD", "before": "-5"},
        {"product_id": "BTC-USD", "before": 5, "after": 3},
        {"product_id": "BTC-USD", "limit": 0},
        {"product_id": "BTC-USD", "limit": 101},
        {"product_id": "BTC-USD", "limit": True},
        {"order_id": "not-a-uuid"},
        {"order_id": "../accounts"},
    ],
)
async def test_bad_fill_arguments_rejected_before_any_request(
    client: CoinbaseClient, router: respx.MockRouter, kwargs: dict[str, Any]
) -> None:
    route = router.get("/fills").mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(InvalidArgument):
        await client.list_fills(**kwargs)
    assert route.call_count == 0


async def test_iter_fill_pages_rejects_both_directions(client: CoinbaseClient, router: respx.MockRouter) -> None:
    route = router.get("/fills").mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(InvalidArgument):
        async for _ in client.iter_fill_pages("BTC-USD", newer_than=1, older_than=5):
            pass
    assert route.call_count == 0


@pytest.mark.parametrize("kwargs", [{"status": ["closed"]}, {"limit": 0}, {"limit": 1001}])
async def test_bad_order_arguments_rejected(
    client: CoinbaseClient, router: respx.MockRouter, kwargs: dict[str, Any]
) -> None:
    route = router.get("/orders").mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(InvalidArgument):
        await client.list_orders(**kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize("call", ["list_accounts", "list_profiles", "list_orders"])
async def test_private_endpoint_without_credential_is_config_error(
    anon_client: CoinbaseClient, router: respx.MockRouter, call: str
) -> None:
    catch_all = router.route().mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(ConfigError, match="EX_API_KEY_READ"):
        await getattr(anon_client, call)()
    assert catch_all.call_count == 0


async def test_fills_without_credential_is_config_error(anon_client: CoinbaseClient, router: respx.MockRouter) -> None:
    catch_all = router.route().mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(ConfigError):
        await anon_client.list_fills("BTC-USD")
    assert catch_all.call_count == 0


async def test_public_endpoint_without_credential_works(anon_client: CoinbaseClient, router: respx.MockRouter) -> None:
    router.get("/products/BTC-USD/stats").mock(
        return_value=httpx.Response(200, json={"open": "1", "high": "2", "low": "0.5", "volume": "10"})
    )
    stats = await anon_client.get_stats("BTC-USD")
    assert str(stats.high) == "2"
    assert anon_client.label == "(none)"


# -- clock correction ----------------------------------------------------------------------------


async def test_timestamp_expired_corrects_clock_and_retries_once(
    client: CoinbaseClient, credential: ApiCredential, router: respx.MockRouter
) -> None:
    server_epoch = time.time() + 3600.0  # the exchange is an hour ahead of this machine
    seen: list[httpx.Request] = []

    def accounts(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        ts = float(request.headers["CB-ACCESS-TIMESTAMP"])
        if abs(ts - (time.time() + 3600.0)) > 30:
            return httpx.Response(401, json={"message": "request timestamp expired"})
        return httpx.Response(200, json=[])

    router.get("/accounts").mock(side_effect=accounts)
    time_route = router.get("/time").mock(
        return_value=httpx.Response(200, json={"iso": "2030-01-01T00:00:00Z", "epoch": server_epoch})
    )
    assert await client.list_accounts() == []
    assert time_route.call_count == 1
    assert len(seen) == 2
    first, second = (int(r.headers["CB-ACCESS-TIMESTAMP"]) for r in seen)
    assert abs(first - (server_epoch - 3600)) < 5
    assert abs(second - server_epoch) < 5
    for request in seen:
        assert request.headers["CB-ACCESS-SIGN"] == independent_signature(credential.secret, request)
    assert client.clock.offset == pytest.approx(3600.0, abs=5)
    # The correction sticks: the next request is right the first time, with no /time call.
    await client.list_accounts()
    assert len(seen) == 3 and time_route.call_count == 1


@pytest.mark.parametrize("time_body", ["not json", '{"iso": "2030-01-01T00:00:00Z"}', "[]"])
async def test_unreadable_time_answer_keeps_timestamp_expired(
    client: CoinbaseClient, router: respx.MockRouter, time_body: str
) -> None:
    accounts = router.get("/accounts").mock(
        return_value=httpx.Response(401, json={"message": "request timestamp expired"})
    )
    router.get("/time").mock(return_value=httpx.Response(200, text=time_body))
    with pytest.raises(TimestampExpired):
        await client.list_accounts()
    # httpx answers with the flow's last response, so the flow re-sends the original request once
    # (uncorrected) rather than hand the /time answer back as if it were the account list.
    assert accounts.call_count == 2
    assert client.clock.offset == 0.0


# -- plumbing ----------------------------------------------------------------------------------


class RecordingLimits(RateLimits):
    def __init__(self) -> None:
        super().__init__({}, enabled=False)
        self.taken: list[Bucket] = []

    async def acquire(self, bucket: Bucket) -> None:
        self.taken.append(bucket)


async def test_every_attempt_takes_a_token_from_the_right_bucket(
    credential: ApiCredential, router: respx.MockRouter
) -> None:
    limits = RecordingLimits()
    router.get("/time").mock(return_value=httpx.Response(200, json={"iso": "x", "epoch": 1.0}))
    router.get("/accounts").mock(side_effect=[httpx.Response(429), httpx.Response(200, json=[])])
    router.get("/fills").mock(return_value=httpx.Response(200, json=[]))
    async with make_client(credential, rate_limits=limits) as c:
        await c.get_time()
        await c.list_accounts()
        await c.list_fills("BTC-USD")
        assert c.requests_sent == 4
    assert limits.taken == ["public", "private", "private", "fills"]


def test_client_has_explicit_timeouts(credential: ApiCredential) -> None:
    c = CoinbaseClient(BASE, credential, timeout=7.5, rate_limits=RateLimits.disabled())
    assert c._http.timeout.read == 7.5 and c._http.timeout.connect == 7.5
    assert CoinbaseClient(BASE + "/", None).base_url == BASE


def test_default_retry_policy_is_bounded() -> None:
    policy = RetryPolicy()
    assert 1 <= policy.attempts <= 10
    assert 0 < policy.timeout <= 120
    assert policy.wait_max <= 30


# -- ledger and order pages (product discovery) --------------------------------------------------------


async def test_ledger_and_order_pages_against_the_simulator(sim_factory: Any) -> None:
    sim = sim_factory(fills=400)
    c = sim.credential
    async with CoinbaseClient(
        sim.url, ApiCredential(c.key, c.secret, c.passphrase, label="sim"), rate_limits=RateLimits.disabled()
    ) as client:
        usd = next(a for a in await client.list_accounts() if a.currency == "USD")
        recent = await client.list_ledger(usd.id)  # no dates: the past day only, as Coinbase answers
        everything = await client.list_ledger(usd.id, start_date=datetime(2000, 1, 1, tzinfo=UTC), limit=1000)
        assert len(everything.entries) > len(recent.entries)
        assert everything.entries[0].balance == usd.balance and everything.after == everything.entries[-1].id
        match = next(e for e in everything.entries if e.type == "match")
        assert match.details.product_id in sim.exchange.product_ids() and match.details.order_id
        older = await client.list_ledger(
            usd.id, start_date=datetime(2000, 1, 1, tzinfo=UTC), limit=5, after=everything.entries[4].id
        )
        assert [e.id for e in older.entries] == [e.id for e in everything.entries[5:10]]
        first = await client.list_order_page(limit=50)
        assert (
            len(first.orders) == 50
            and first.after == sim.exchange.orders(statuses=["all"], limit=50)[-1][1]["created_at"]
        )
        second = await client.list_order_page(limit=50, after=first.after)
        assert second.orders and second.orders[0].created_at < first.orders[-1].created_at
        newest = first.orders[0].created_at
        assert (await client.list_order_page(start_date=newest)).orders[-1].created_at == newest
        with pytest.raises(InvalidArgument):
            await client.list_ledger("not-an-account")
        with pytest.raises(InvalidArgument):
            await client.list_order_page(after="yesterday")
        assert client.requests_sent == 7


# -- retries that fit the failure: refused connections, deadlines, logging ----------------------


def refused_error() -> httpx.ConnectError:
    """What httpx raises when nothing listens: a ConnectError caused (via anyio) by ConnectionRefusedError."""
    exc = httpx.ConnectError("All connection attempts failed")
    exc.__cause__ = OSError("All connection attempts failed")
    exc.__cause__.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    return exc


def refusing_transport(after: list[httpx.Response] | None = None) -> tuple[httpx.MockTransport, list[str]]:
    """A transport whose connections are refused (then answers ``after``, in turn); it records each path.

    Not respx: respx re-raises a side effect ``from`` its own error, which hides the refused cause."""
    seen: list[str] = []
    answers = list(after or [])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if len(seen) > 1 and answers:
            return answers.pop(0)
        raise refused_error()

    return httpx.MockTransport(handler), seen


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_connection_is_retried_at_most_twice(credential: ApiCredential) -> None:
    transport, seen = refusing_transport()
    async with make_client(credential, attempts=6, transport=transport) as c:
        with pytest.raises(ExchangeUnreachable) as info:
            await c.list_accounts()
    assert seen == ["/accounts"] * 3  # one try and two retries, though 6 attempts are allowed
    assert str(info.value).startswith(f"nothing is listening at {BASE} (connection refused")
    assert "is EX_BASE_URL right?" in str(info.value)


async def test_refused_connection_fails_fast_for_real_with_the_default_policy() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    async with CoinbaseClient(url, None, rate_limits=RateLimits.disabled()) as c:  # 6 attempts, 60 s budget
        with pytest.raises(ExchangeUnreachable) as info:
            await c.list_products()
        assert c.requests_sent <= 3
    assert time.monotonic() - started < 3.0
    assert f"nothing is listening at {url} (connection refused on GET /products): is EX_BASE_URL right?" == str(
        info.value
    )


async def test_other_connect_errors_keep_the_full_retry_budget(
    credential: ApiCredential, router: respx.MockRouter
) -> None:
    route = router.get("/accounts").mock(side_effect=httpx.ConnectError("Name or service not known"))
    async with make_client(credential, attempts=5) as c:
        with pytest.raises(ExchangeUnreachable, match="unreachable"):
            await c.list_accounts()
    assert route.call_count == 5


class TrickleServer:
    """A loopback HTTP server that sends its headers, then one body byte every ``every`` seconds."""

    def __init__(self, every: float = 0.5, length: int = 60, status: int = 200) -> None:
        self.every, self.length, self.status = every, length, status
        self.connections = 0
        self.server: Any = None

    async def __aenter__(self) -> str:
        import asyncio

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(
                    f"HTTP/1.1 {self.status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {self.length}\r\n\r\n".encode()
                )
                for _ in range(self.length):
                    await writer.drain()
                    await asyncio.sleep(self.every)
                    writer.write(b" ")
                await writer.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


async def test_a_trickling_server_cannot_hold_a_call_past_the_deadline() -> None:
    import asyncio

    http_timeout, retry_timeout = 1.0, 1.0
    async with TrickleServer(every=0.5, length=60) as url:  # 30 s of body; httpx's per-read timeout never fires
        policy = RetryPolicy(attempts=3, timeout=retry_timeout, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
        started = time.monotonic()
        async with CoinbaseClient(
            url, None, timeout=http_timeout, retry=policy, rate_limits=RateLimits.disabled()
        ) as c:
            with pytest.raises(ExchangeUnreachable) as info:
                await asyncio.wait_for(c.get_time(), timeout=10)  # old code: hangs 30 s, cut here
        elapsed = time.monotonic() - started
    assert elapsed < http_timeout + retry_timeout, elapsed
    assert 0.9 <= elapsed, elapsed
    assert "did not finish answering GET /time within 1 s" in str(info.value)
    assert "EX_HTTP_TIMEOUT" in str(info.value)


async def test_the_deadline_covers_the_whole_call_not_only_each_attempt(credential: ApiCredential) -> None:
    """Attempts that each stall until their own deadline still end within retry budget + one attempt."""
    import asyncio

    async with TrickleServer(every=0.3, length=60) as url:
        policy = RetryPolicy(attempts=20, timeout=1.5, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
        started = time.monotonic()
        async with CoinbaseClient(url, None, timeout=1.0, retry=policy, rate_limits=RateLimits.disabled()) as c:
            with pytest.raises(ExchangeUnreachable):
                await asyncio.wait_for(c.get_time(), timeout=10)
    assert time.monotonic() - started < 1.5 + 1.0 + 0.3


async def test_from_settings_takes_the_attempt_deadline_from_ex_http_timeout(home: Any) -> None:
    from trade_tracker.config import load_settings

    settings = load_settings(http_timeout=2.5, connect_timeout=1.0)
    async with CoinbaseClient.from_settings(settings, rate_limits=RateLimits.disabled()) as c:
        assert c.attempt_timeout == 2.5
        assert c._http.timeout.connect == 1.0 and c._http.timeout.read == 2.5


async def test_retries_are_logged_through_our_logger_not_stamina(
    client: CoinbaseClient, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    router.get("/products").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=[])])
    caplog.set_level(logging.DEBUG)
    assert await client.list_products() == []
    ours = [r for r in caplog.records if r.name == "trade_tracker.coinbase" and r.levelno == logging.INFO]
    assert [r.getMessage() for r in ours] == ["GET /products: answered 503; retry 1 in 0.00 s"]
    assert not [r for r in caplog.records if r.name.startswith("stamina")]


async def test_a_refused_retry_is_logged_as_refused(
    credential: ApiCredential, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    transport, _ = refusing_transport([httpx.Response(200, json={"iso": "x", "epoch": 1.0})])
    caplog.set_level(logging.INFO, logger="trade_tracker")
    async with make_client(credential, transport=transport) as c:
        await c.get_time()
    assert "GET /time: connection refused; retry 1 in 0.00 s" in caplog.messages


async def test_credential_check_runs_before_signing_and_can_stop_the_request(
    credential: ApiCredential, router: respx.MockRouter
) -> None:
    class Gone(TradeTrackerError):
        pass

    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) > 1:
            raise Gone("replaced")

    route = router.get("/accounts").mock(return_value=httpx.Response(200, json=[]))
    public = router.get("/time").mock(return_value=httpx.Response(200, json={"iso": "x", "epoch": 1.0}))
    async with make_client(credential, credential_check=check) as c:
        await c.list_accounts()
        with pytest.raises(Gone):
            await c.list_accounts()
        await c.get_time()  # public: nothing is signed, nothing checked
    assert route.call_count == 1 and public.call_count == 1
    assert len(calls) == 2
