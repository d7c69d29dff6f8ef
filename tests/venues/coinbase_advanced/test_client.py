"""The Advanced Trade client against respx: JWT per request, repeated-key params, cursor paging, limits, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest
import respx

from cdp_keys import ORG_NAME, ec_pem, ed_b64_64, ed_key, new_uuid
from trade_tracker.errors import (
    AuthenticationError,
    BadRequest,
    ConfigError,
    ExchangeProtocolError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from trade_tracker.venues.coinbase_advanced.client import AdvancedTradeClient
from trade_tracker.venues.coinbase_advanced.keys import parse_cdp_key
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

BASE = "http://127.0.0.1:8123"
API = f"{BASE}/api/v3/brokerage"
NOW = 1_709_005_034.0
ORDER = "813a53c5-3e39-47bb-863d-2faf685d22d8"


def fill_json(n: int, **over: Any) -> dict[str, Any]:
    fill = {
        "entry_id": f"entry-{n:04d}",
        "trade_id": f"trade-{n:04d}",
        "order_id": ORDER,
        "trade_time": "2023-01-18T01:37:38.091377090Z",
        "trade_type": "FILL",
        "price": "21220.64",
        "size": "0.00000010",
        "commission": "0.0000280983986004",
        "product_id": "BTC-USD",
        "sequence_timestamp": "2023-01-18T01:37:38.092520Z",
        "liquidity_indicator": "MAKER",
        "size_in_quote": False,
        "user_id": "u-1",
        "side": "BUY",
        "retail_portfolio_id": "p-1",
    }
    return fill | over


class FakeTime:
    """A clock and a sleep that only move the clock: rate-limit waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = NOW
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        mock.get("/time").mock(return_value=httpx.Response(200, json={"iso": "x", "epochSeconds": str(int(NOW))}))
        yield mock


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pem() -> str:
    return ec_pem()[0]


def make_client(secret: str | None, fake: FakeTime, name: str = ORG_NAME, attempts: int = 3) -> AdvancedTradeClient:
    from trade_tracker.venues.coinbase_advanced.auth import ServerClock

    key = parse_cdp_key(name, secret, label="main") if secret else None
    return AdvancedTradeClient(
        BASE + "/",
        key,
        retry=RetryPolicy.no_wait(attempts),
        rate_limits=RateLimits.disabled(),
        clock=ServerClock(time_source=fake.time),
        sleep=fake.sleep,
    )


@pytest.fixture
async def client(pem: str, fake_time: FakeTime, router: respx.MockRouter) -> AsyncIterator[AdvancedTradeClient]:
    async with make_client(pem, fake_time) as c:
        yield c


def token_of(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


# -- requests as sent ---------------------------------------------------------------------------


async def test_fill_page_repeated_plural_keys_and_a_jwt_without_the_query(
    client: AdvancedTradeClient, router: respx.MockRouter, pem: str
) -> None:
    seen: list[httpx.Request] = []
    route = router.get("/orders/historical/fills")
    route.mock(
        side_effect=lambda r: seen.append(r) or httpx.Response(200, json={"fills": [fill_json(1)], "cursor": ""})
    )
    page = await client.fill_page(
        product_ids=["btc-usd", "ETH-USD"], order_ids=[ORDER], start="2024-01-01T00:00:00.123Z"
    )
    (request,) = seen
    assert request.url.params.get_list("product_ids") == ["BTC-USD", "ETH-USD"]
    assert request.url.params.get_list("order_ids") == [ORDER]
    assert request.url.params["start_sequence_timestamp"] == "2024-01-01T00:00:00.123Z"
    assert request.url.params["limit"] == "250" and "cursor" not in request.url.params
    public = parse_cdp_key(ORG_NAME, pem).private_key.public_key()
    claims = jwt.decode(
        token_of(request), public, algorithms=["ES256"], options={"verify_nbf": False, "verify_exp": False}
    )
    assert claims["uri"] == "GET 127.0.0.1:8123/api/v3/brokerage/orders/historical/fills"
    assert claims["nbf"] == int(NOW)
    assert page.cursor is None and page.fills[0].size == "0.00000010"


async def test_every_request_gets_a_fresh_jwt_and_the_clock_is_synced_once(
    client: AdvancedTradeClient, router: respx.MockRouter
) -> None:
    route = router.get("/key_permissions").mock(
        return_value=httpx.Response(
            200, json={"can_view": True, "can_trade": False, "can_transfer": False, "portfolio_uuid": "p-1"}
        )
    )
    for _ in range(3):
        permissions = await client.key_permissions()
    assert permissions.can_view and not permissions.can_trade and permissions.portfolio_uuid == "p-1"
    nonces = {jwt.get_unverified_header(token_of(call.request))["nonce"] for call in route.calls}
    assert len(nonces) == 3
    assert router.routes[0].call_count == 1  # GET /time, before the first signed request only


async def test_ed25519_key_signs_eddsa(fake_time: FakeTime, router: respx.MockRouter) -> None:
    private = ed_key()
    route = router.get("/portfolios").mock(
        return_value=httpx.Response(200, json={"portfolios": [{"name": "Default", "uuid": "p-1", "type": "DEFAULT"}]})
    )
    async with make_client(ed_b64_64(private), fake_time, name=new_uuid()) as c:
        (portfolio,) = await c.portfolios()
    assert portfolio.uuid == "p-1"
    token = token_of(route.calls[0].request)
    claims = jwt.decode(
        token, private.public_key(), algorithms=["EdDSA"], options={"verify_nbf": False, "verify_exp": False}
    )
    assert claims["uri"] == "GET 127.0.0.1:8123/api/v3/brokerage/portfolios"


async def test_public_endpoints_send_no_jwt(fake_time: FakeTime, router: respx.MockRouter) -> None:
    products = router.get("/market/products").mock(
        return_value=httpx.Response(
            200,
            content=b'{"products":[{"product_id":"BTC-USD","price":123456789012345678.123456789,"alias_to":["BTC-USDC"]}],'
            b'"num_products":1}',
        )
    )
    router.get("/market/products/BTC-USD/ticker").mock(
        return_value=httpx.Response(
            200,
            json={
                "trades": [
                    {
                        "trade_id": "1",
                        "product_id": "BTC-USD",
                        "price": "28208.1",
                        "size": "0.006",
                        "time": "2023-04-04T23:05:34.492746Z",
                    }
                ],
                "best_bid": "28208.61",
                "best_ask": "",
            },
        )
    )
    async with make_client(None, fake_time) as c:
        (product,) = await c.list_products(product_ids=["BTC-USD"])
        ticker = await c.get_ticker("btc-usd")
        with pytest.raises(ConfigError, match="AT_API_KEY_NAME"):
            await c.key_permissions()
    assert product.price == "123456789012345678.123456789" and product.alias_to == ["BTC-USDC"]
    assert "Authorization" not in products.calls[0].request.headers
    assert ticker.best_bid == "28208.61" and ticker.best_ask is None and ticker.last and ticker.last.price == "28208.1"


async def test_bad_arguments_are_refused_before_any_request(client: AdvancedTradeClient) -> None:
    with pytest.raises(InvalidArgument, match="limit"):
        await client.fill_page(limit=251)
    with pytest.raises(InvalidArgument, match="product_id"):
        await client.fill_page(product_ids=["BTC/USD"])
    with pytest.raises(InvalidArgument, match="list"):
        await client.fill_page(product_ids="BTC-USD")
    with pytest.raises(InvalidArgument, match="RFC 3339"):
        await client.fill_page(start="yesterday")
    with pytest.raises(InvalidArgument, match="order status"):
        await client.list_orders(order_status=["done"])


# -- paging -------------------------------------------------------------------------------------


async def test_fill_walk_follows_cursor_short_pages_are_normal(
    client: AdvancedTradeClient, router: respx.MockRouter
) -> None:
    pages = {None: ([1, 2], "c1"), "c1": ([3], "c2"), "c2": ([4, 5], "")}
    route = router.get("/orders/historical/fills").mock(
        side_effect=lambda r: httpx.Response(
            200,
            json={
                "fills": [fill_json(n) for n in pages[r.url.params.get("cursor")][0]],
                "cursor": pages[r.url.params.get("cursor")][1],
            },
        )
    )
    got = [f.entry_id async for page in client.iter_fill_pages(product_ids=["BTC-USD"], limit=100) for f in page.fills]
    assert got == [f"entry-{n:04d}" for n in range(1, 6)]
    assert [c.request.url.params.get("cursor") for c in route.calls] == [None, "c1", "c2"]
    assert all(c.request.url.params.get_list("product_ids") == ["BTC-USD"] for c in route.calls)
    assert all(c.request.url.params.get("limit") == "100" for c in route.calls)


async def test_fill_walk_refuses_a_misspelt_filter_before_any_request(
    client: AdvancedTradeClient, router: respx.MockRouter
) -> None:
    route = router.get("/orders/historical/fills").mock(return_value=httpx.Response(200, json={"fills": []}))
    with pytest.raises(TypeError, match="product_id"):
        _ = [page async for page in client.iter_fill_pages(product_id=["BTC-USD"])]  # pyright: ignore[reportCallIssue]
    assert not route.called


async def test_fill_walk_stops_on_an_empty_page_even_with_a_cursor(
    client: AdvancedTradeClient, router: respx.MockRouter
) -> None:
    route = router.get("/orders/historical/fills").mock(
        return_value=httpx.Response(200, json={"fills": [], "cursor": "more"})
    )
    assert [p async for p in client.iter_fill_pages()] == []
    assert route.call_count == 1


async def test_repeated_cursor_stops_with_a_clear_error(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    answers = iter([("c1", [1]), ("c2", [2]), ("c1", [1])])

    def answer(_: httpx.Request) -> httpx.Response:
        cursor, ids = next(answers)
        return httpx.Response(200, json={"fills": [fill_json(n) for n in ids], "cursor": cursor})

    route = router.get("/orders/historical/fills").mock(side_effect=answer)
    seen: list[str] = []
    with pytest.raises(ExchangeProtocolError, match="the server repeated cursor 'c1'.*stopped"):
        async for page in client.iter_fill_pages():
            seen += [f.entry_id for f in page.fills]
    assert seen == ["entry-0001", "entry-0002", "entry-0001"]
    assert route.call_count == 3


async def test_accounts_follow_has_next_and_a_repeat_stops(
    client: AdvancedTradeClient, router: respx.MockRouter
) -> None:
    def account(n: int) -> dict[str, Any]:
        money = {"value": "1.0000000000000000", "currency": "BTC"}
        return {"uuid": f"a-{n}", "currency": "BTC", "available_balance": money, "hold": money}

    answers = {None: ([1, 2], True, "k1"), "k1": ([3], False, "k2")}
    router.get("/accounts").mock(
        side_effect=lambda r: httpx.Response(
            200,
            json=dict(zip(("accounts", "has_next", "cursor"), answers[r.url.params.get("cursor")], strict=True))
            | {"accounts": [account(n) for n in answers[r.url.params.get("cursor")][0]]},
        )
    )
    accounts = await client.list_accounts()
    assert [a.uuid for a in accounts] == ["a-1", "a-2", "a-3"]
    assert accounts[0].available_balance.value == "1.0000000000000000"
    answers["k1"] = ([3], True, "k1")
    with pytest.raises(ExchangeProtocolError, match="repeated cursor 'k1' on /accounts"):
        await client.list_accounts()


async def test_orders_one_page_with_repeated_statuses(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    order = {
        "order_id": ORDER,
        "product_id": "BTC-USD",
        "side": "BUY",
        "status": "FILLED",
        "total_fees": "0.0379324055666004",
    }
    route = router.get("/orders/historical/batch").mock(
        return_value=httpx.Response(200, json={"orders": [order], "has_next": True, "cursor": "o2", "sequence": "0"})
    )
    page = await client.list_orders(order_status=["FILLED", "OPEN"], product_ids=["BTC-USD"], limit=50)
    params = route.calls[0].request.url.params
    assert params.get_list("order_status") == ["FILLED", "OPEN"] and params["limit"] == "50"
    assert page.cursor == "o2" and page.orders[0].total_fees == "0.0379324055666004"


# -- rate limits --------------------------------------------------------------------------------


async def test_429_with_x_ratelimit_reset_is_waited_out(
    client: AdvancedTradeClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/orders/historical/fills").mock(
        side_effect=[
            httpx.Response(429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"}),
            httpx.Response(200, json={"fills": [], "cursor": ""}),
        ]
    )
    page = await client.fill_page()
    assert page.fills == [] and route.call_count == 2
    assert fake_time.slept == [pytest.approx(3.0)]


async def test_429_reset_as_epoch_seconds(
    client: AdvancedTradeClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    router.get("/orders/historical/fills").mock(
        side_effect=[
            httpx.Response(429, headers={"x-ratelimit-reset": str(int(NOW) + 5)}),
            httpx.Response(200, json={"fills": [], "cursor": ""}),
        ]
    )
    await client.fill_page()
    assert fake_time.slept == [pytest.approx(5.0)]


async def test_remaining_zero_holds_the_next_request_until_reset(
    client: AdvancedTradeClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    router.get("/orders/historical/fills").mock(
        return_value=httpx.Response(
            200, json={"fills": [], "cursor": ""}, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0.5"}
        )
    )
    await client.fill_page()
    assert fake_time.slept == []
    await client.fill_page()
    assert fake_time.slept == [pytest.approx(0.5)]


async def test_429_storm_is_bounded(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    route = router.get("/orders/historical/fills").mock(return_value=httpx.Response(429))
    with pytest.raises(RateLimited, match="after 3 attempts"):
        await client.fill_page()
    assert route.call_count == 3


# -- errors -------------------------------------------------------------------------------------


async def test_401_storm_rebuilds_the_jwt_once_then_names_the_label_and_causes(
    client: AdvancedTradeClient, router: respx.MockRouter
) -> None:
    route = router.get("/accounts").mock(return_value=httpx.Response(401, text="Unauthorized"))
    with pytest.raises(AuthenticationError) as info:
        await client.list_accounts()
    assert route.call_count == 2  # the first try and ONE retry with a fresh JWT
    first, second = (token_of(c.request) for c in route.calls)
    assert first != second
    assert router.routes[0].call_count == 2  # /time: the first sync, and the re-sync after the 401
    assert client.requests_sent == 4
    message = str(info.value)
    assert "credential 'main'" in message and "GET /accounts" in message
    for cause in ("key type", "swapped", "clock", "deleted", "IP allow-list"):
        assert cause in message


async def test_403_names_the_missing_scope(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    body = {
        "error": "PERMISSION_DENIED",
        "error_details": "Missing required scopes",
        "message": "Missing required scopes",
    }
    router.get("/orders/historical/fills").mock(return_value=httpx.Response(403, json=body))
    with pytest.raises(PermissionDenied, match="'view' permission") as info:
        await client.fill_page()
    assert "Missing required scopes" in str(info.value) and "main" in str(info.value)


@pytest.mark.parametrize(
    ("status", "body", "error", "needle"),
    [
        (
            400,
            {"error": "INVALID_ARGUMENT", "error_details": "ProductID is invalid", "message": "ProductID is invalid"},
            BadRequest,
            "INVALID_ARGUMENT: ProductID is invalid",
        ),
        (
            404,
            {"error": "NOT_FOUND", "error_details": "valid product_id is required", "message": ""},
            NotFound,
            "valid product_id is required",
        ),
    ],
)
async def test_json_error_bodies_map_to_the_error_tree(
    client: AdvancedTradeClient,
    router: respx.MockRouter,
    status: int,
    body: dict[str, str],
    error: type[Exception],
    needle: str,
) -> None:
    router.get("/orders/historical/batch").mock(return_value=httpx.Response(status, json=body))
    with pytest.raises(error, match=needle):
        await client.list_orders()


async def test_a_fill_number_is_never_a_float(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    router.get("/orders/historical/fills").mock(
        return_value=httpx.Response(
            200,
            content=b'{"fills":['
            + httpx.Response(200, json=fill_json(1)).content[:-1]
            + b',"price":21220.640000000000000001}],"cursor":""}',
        )
    )
    (fill,) = (await client.fill_page()).fills
    assert fill.price == "21220.640000000000000001"


async def test_unknown_trade_type_is_a_protocol_error(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    router.get("/orders/historical/fills").mock(
        return_value=httpx.Response(200, json={"fills": [fill_json(1, trade_type="REFUND")], "cursor": ""})
    )
    with pytest.raises(ExchangeProtocolError, match="trade_type"):
        await client.fill_page()


# -- the canary ---------------------------------------------------------------------------------


async def test_canary_key_never_in_errors_repr_or_debug_logs(
    fake_time: FakeTime, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pem = ec_pem()[0]
    body = "".join(pem.strip().splitlines()[1:-1])
    accounts = router.get("/accounts").mock(return_value=httpx.Response(401, text="Unauthorized"))
    router.get("/key_permissions").mock(return_value=httpx.Response(500))
    texts: list[str] = []
    async with make_client(pem, fake_time) as c:
        texts += [repr(c), str(c.key), repr(c.jwt_auth)]
        for call in (c.list_accounts, c.key_permissions):
            with pytest.raises(Exception) as info:
                await call()
            texts += [str(info.value), repr(info.value)]
    tokens = [token_of(call.request) for call in accounts.calls]
    texts.append(caplog.text)
    assert caplog.records  # the DEBUG request lines were captured
    for text in texts:
        for secret in (body, body[:24], body[-24:], *tokens):
            assert secret not in text


def test_from_settings_shares_the_advanced_limits_across_processes(isolated_env: Any, pem: str) -> None:
    from trade_tracker.config import load_settings
    from trade_tracker.venues.coinbase_advanced.limits import ADVANCED_LIMITS
    from trade_tracker.venues.coinbase_exchange.limits import exchange_rate_limits

    settings = load_settings(at_base_url="http://localhost:8124/")
    client = AdvancedTradeClient.from_settings(settings, parse_cdp_key(ORG_NAME, pem, label="main"))
    assert client.base_url == "http://localhost:8124/api/v3/brokerage" and client.label == "main"
    assert client.rate_limits.specs == ADVANCED_LIMITS
    shared = client.rate_limits._across_processes  # pyright: ignore[reportPrivateUsage]
    assert sorted(shared) == ["private", "public"]
    assert all(b.path.parent == settings.trade_tracker_home for b in shared.values())
    exchange = exchange_rate_limits(settings)
    assert {b.path for b in shared.values()}.isdisjoint(b.path for b in exchange._across_processes.values())  # pyright: ignore[reportPrivateUsage]
    assert "BEGIN" not in repr(client)


def _http(status: str, body: bytes) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


async def test_real_socket_401_storm_leaks_no_key_or_jwt_at_debug(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through httpcore's own DEBUG logging: the JWTs that went over the socket appear in no log or error."""
    import asyncio

    from trade_tracker.venues.coinbase_advanced.auth import ServerClock

    caplog.set_level(logging.DEBUG)
    time_ok = _http("200 OK", b'{"iso":"x","epochSeconds":"1709005034"}')
    queue = [time_ok, _http("401 Unauthorized", b"Unauthorized")] * 2
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while queue:
                received.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(queue.pop(0))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pem = ec_pem()[0]
    body = "".join(pem.strip().splitlines()[1:-1])
    try:
        async with AdvancedTradeClient(
            f"http://127.0.0.1:{port}",
            parse_cdp_key(ORG_NAME, pem, label="canary"),
            retry=RetryPolicy.no_wait(2),
            rate_limits=RateLimits.disabled(),
            clock=ServerClock(),
            timeout=5.0,
        ) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.list_accounts()
    finally:
        server.close()
        await server.wait_closed()
    tokens = [
        line.split(b"Bearer ", 1)[1].strip().decode()
        for head in received
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"authorization:")
    ]
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    captured = capsys.readouterr()
    texts = [caplog.text, captured.out, captured.err, str(info.value), repr(info.value), repr(client)]
    for text in texts:
        for secret in (body[:24], body[-24:], *tokens, *(t.split(".")[2] for t in tokens)):
            assert secret not in text
    assert "credential 'canary'" in str(info.value)


async def test_5xx_is_retried_boundedly(client: AdvancedTradeClient, router: respx.MockRouter) -> None:
    from trade_tracker.errors import ExchangeUnavailable

    route = router.get("/portfolios").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"portfolios": []})]
    )
    assert await client.portfolios() == [] and route.call_count == 2
    route.mock(side_effect=None, return_value=httpx.Response(500, json={"error": "INTERNAL", "message": "boom"}))
    with pytest.raises(ExchangeUnavailable, match="Advanced Trade at http://127.0.0.1:8123.*INTERNAL: boom"):
        await client.portfolios()
    assert route.call_count == 5


async def test_clients_of_one_process_share_the_advanced_buckets_by_default() -> None:
    from trade_tracker.venues.coinbase_advanced.limits import ADVANCED_LIMITS

    async with AdvancedTradeClient(BASE) as one, AdvancedTradeClient(BASE) as two:
        assert one.rate_limits is two.rate_limits and one.rate_limits.specs == ADVANCED_LIMITS
