"""The fills sync against a respx fake of /fills: walks, resume after a crash, cancellation, counts.

``FakeExchange`` follows the paging model of the API notes (§3): descending trade_id,
``after=X`` = the ``limit`` largest ids below X, ``before=X`` = the ``limit`` smallest
above X (returned descending), ``CB-BEFORE``/``CB-AFTER`` headers, and order_id filtering.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trade_tracker.errors import (
    AuthenticationError,
    CredentialError,
    ExchangeProtocolError,
    ExchangeUnreachable,
    InvalidArgument,
)
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FILL_COLUMNS
from trade_tracker.store.filters import Filters
from trade_tracker.sync.engine import sync_fills
from trade_tracker.sync.results import SyncProgress, partial_result
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.coinbase_exchange.walk import ExchangeCursor, products_to_sync
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

BASE = "https://api.sync.test"
LABEL = "main"


class FakeExchange:
    """Fills per product, served the way Coinbase pages them; mutable between syncs."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.fills: dict[str, dict[int, dict[str, Any]]] = {}
        self.orders: dict[str, list[str]] = {}
        self.calls: list[dict[str, str]] = []
        self.duplicate_first = False
        self.accounts: list[dict[str, Any]] = []
        self.products: list[dict[str, Any]] = []
        self.block: asyncio.Event | None = None
        self.block_at: int | None = None
        self.fail_from: int | None = None
        self.orders_refused = False
        self.stuck_page: list[dict[str, Any]] | None = None

    def add(self, product_id: str, count: int, *, settled: bool = True, start: int | None = None) -> list[int]:
        book = self.fills.setdefault(product_id, {})
        tid = start if start is not None else (max(book) if book else 1000)
        made = []
        for _ in range(count):
            tid += 1 + self.rng.randrange(3)
            order_id = f"{self.rng.randrange(16**8):08x}-0000-4000-8000-{self.rng.randrange(16**12):012x}"
            book[tid] = {
                "created_at": f"2024-03-{1 + tid % 28:02d}T{tid % 24:02d}:00:{tid % 60:02d}.{tid % 1000:03d}Z",
                "trade_id": tid,
                "product_id": product_id,
                "order_id": order_id,
                "user_id": "5cf6e115aaf44503db300f1e",
                "profile_id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
                "liquidity": "MT"[tid % 2],
                "price": f"{8000 + tid % 97}.38000000",
                "size": "0.00000010" if tid % 5 == 0 else f"0.{tid:08d}"[:10],
                "fee": f"0.{tid:016d}"[-18:],
                "side": "buy" if tid % 3 else "sell",
                "settled": settled,
                "usd_volume": f"{tid}.1234567890123456",
                "funding_currency": "USD",
                "market_type": "spot",
            }
            made.append(tid)
        return made

    def settle_all(self) -> int:
        changed = 0
        for book in self.fills.values():
            for fill in book.values():
                if not fill["settled"]:
                    fill["settled"] = True
                    changed += 1
        return changed

    def history(self) -> list[tuple[Any, ...]]:
        """Every fill as the store should hold it (money strings exact, ISO UTC microseconds)."""
        rows = []
        for product_id, book in sorted(self.fills.items()):
            for tid in sorted(book):
                f = book[tid]
                created = f["created_at"].replace("Z", "000Z")
                rows.append(
                    (
                        product_id,
                        tid,
                        f["order_id"],
                        f["side"],
                        f["price"],
                        f["size"],
                        f["fee"],
                        f["usd_volume"],
                        f["liquidity"],
                        int(f["settled"]),
                        created,
                        f["profile_id"],
                        f["user_id"],
                        f["funding_currency"],
                        f["market_type"],
                        LABEL,
                    )
                )
        return rows

    async def handle_fills(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.calls.append(params)
        if self.fail_from is not None and len(self.calls) >= self.fail_from:
            raise httpx.ConnectError("connection refused")
        if self.stuck_page is not None:
            return httpx.Response(200, json=self.stuck_page)
        if self.block is not None and len(self.calls) == self.block_at:
            await self.block.wait()
        book = self.fills.get(params.get("product_id", ""))
        if book is None:
            return httpx.Response(404, json={"message": "NotFound"})
        ids = sorted(book)
        if "order_id" in params:
            ids = [t for t in ids if book[t]["order_id"] == params["order_id"]]
        limit = int(params.get("limit", 100))
        if "after" in params:
            older = [t for t in ids if t < int(params["after"])]
            page = older[-limit:]
        elif "before" in params:
            page = [t for t in ids if t > int(params["before"])][:limit]
        else:
            page = ids[-limit:]
        body = [book[t] for t in reversed(page)]
        if self.duplicate_first and body:
            body = [body[0], *body]
        headers = {"CB-BEFORE": str(page[-1]), "CB-AFTER": str(page[0])} if page else {}
        return httpx.Response(200, json=body, headers=headers)

    def handle_orders(self, request: httpx.Request) -> httpx.Response:
        """``/orders?status=all``: one done order per order_id of the fills (enough for discovery)."""
        params = request.url.params
        self.calls.append(dict(params))
        if self.orders_refused:
            return httpx.Response(401, json={"message": "Invalid API Key"})
        orders: dict[str, dict[str, Any]] = {}
        for product_id, book in self.fills.items():
            for fill in book.values():
                orders.setdefault(
                    fill["order_id"],
                    {
                        "id": fill["order_id"],
                        "product_id": product_id,
                        "side": fill["side"],
                        "status": "done",
                        "created_at": fill["created_at"],
                    },
                )
        rows = sorted(orders.values(), key=lambda o: o["created_at"], reverse=True)
        if "start_date" in params:
            rows = [o for o in rows if o["created_at"].replace("Z", "000Z") >= params["start_date"]]
        if "after" in params:
            rows = [o for o in rows if o["created_at"] < params["after"]]
        rows = rows[: int(params.get("limit", 100))]
        headers = {"CB-BEFORE": rows[0]["created_at"], "CB-AFTER": rows[-1]["created_at"]} if rows else {}
        return httpx.Response(200, json=rows, headers=headers)


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    fake = FakeExchange()
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/fills").mock(side_effect=fake.handle_fills)
        router.get("/orders").mock(side_effect=fake.handle_orders)
        router.get("/accounts").mock(side_effect=lambda r: httpx.Response(200, json=fake.accounts))
        router.get("/products").mock(side_effect=lambda r: httpx.Response(200, json=fake.products))
        yield fake


@pytest.fixture
async def client(credential: ApiCredential, exchange: FakeExchange) -> AsyncIterator[CoinbaseClient]:
    async with CoinbaseClient(BASE, credential, retry=RetryPolicy.no_wait(2), rate_limits=RateLimits.disabled()) as c:
        yield c


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TradeStore]:
    with TradeStore(tmp_path / "trades.db") as s:
        yield s


def stored(store: TradeStore) -> list[tuple[Any, ...]]:
    exchange_fields = ", ".join(FILL_COLUMNS[: FILL_COLUMNS.index("venue")])  # what the fake exchange holds
    assert store.conn.execute(
        "SELECT count(*) FROM fills WHERE venue != 'exchange' OR fill_key != product_id || ':' || trade_id"
    ).fetchone() == (0,)
    return store.conn.execute(f"SELECT {exchange_fields} FROM fills ORDER BY product_id, trade_id").fetchall()


class Crash(Exception):
    """Stands in for a kill: raised from the progress callback after a page was committed."""


def crash_after(pages: int):
    seen = 0

    def progress(p: SyncProgress) -> None:
        nonlocal seen
        seen += 1
        if seen >= pages:
            raise Crash

    return progress


# ---- full history, incremental, counts ------------------------------------------------------


async def test_first_sync_stores_every_fill_exactly(store, client, exchange):
    exchange.add("BTC-USD", 250)
    exchange.add("ETH-USD", 130, start=1000)  # shares trade_ids with BTC-USD
    exchange.add("ETH-USD", 3, settled=False)
    result = await sync_fills(store, client, LABEL, ["BTC-USD", "eth-usd"])
    assert stored(store) == exchange.history()
    assert (result.inserted, result.updated, result.unchanged) == (383, 0, 0)
    btc, eth = result.products
    assert (btc.product_id, btc.complete, btc.resumed_from, btc.pages) == ("BTC-USD", True, "start", 5)
    assert btc.requests == 5  # 3 pages + the empty one, then one incremental empty page
    assert eth.product_id == "ETH-USD" and eth.inserted == 133
    state = store.get_sync_state(LABEL, "BTC-USD")
    assert state is not None and state.full_history_complete
    mark = ExchangeCursor.of(state)
    assert mark.newest_synced == max(exchange.fills["BTC-USD"])
    assert mark.oldest_reached == min(exchange.fills["BTC-USD"])
    assert mark.backfill_top is None and mark.backfill_cursor is None
    assert state.last_run_complete and state.last_run_inserted == 250


async def test_second_sync_inserts_and_updates_nothing(store, client, exchange):
    exchange.add("BTC-USD", 150)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    exchange.calls.clear()
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert (result.inserted, result.updated) == (0, 0)
    assert result.products[0].resumed_from == f"before={max(exchange.fills['BTC-USD'])}"
    assert len(exchange.calls) == 1 and result.requests == 1


async def test_new_fills_and_settlement_are_counted_exactly(store, client, exchange):
    exchange.add("BTC-USD", 300)
    exchange.add("BTC-USD", 7, settled=False)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert exchange.settle_all() == 7
    exchange.add("BTC-USD", 120, settled=False)
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert (result.inserted, result.updated) == (120, 7)
    assert result.products[0].resumed_from.startswith("before=")
    assert stored(store) == exchange.history()
    # now only the 120 new ones are unsettled; settle them too
    exchange.settle_all()
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert (result.inserted, result.updated) == (0, 120)
    assert stored(store) == exchange.history()


async def test_fee_change_is_an_update(store, client, exchange):
    exchange.add("BTC-USD", 40, settled=False)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    tid = sorted(exchange.fills["BTC-USD"])[5]
    exchange.fills["BTC-USD"][tid]["fee"] = "1.0000000000000001"
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 39)
    assert stored(store) == exchange.history()


async def test_full_resync_rereads_and_updates_settled_rows(store, client, exchange):
    exchange.add("BTC-USD", 220)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    tid = sorted(exchange.fills["BTC-USD"])[3]
    exchange.fills["BTC-USD"][tid]["fee"] = "0.0000000000000002"
    plain = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert plain.updated == 0  # a settled fill is not re-read by an incremental run
    full = await sync_fills(store, client, LABEL, ["BTC-USD"], full_history=True)
    assert (full.inserted, full.updated, full.unchanged) == (0, 1, 219)
    assert full.products[0].resumed_from == "start" and full.products[0].complete
    assert stored(store) == exchange.history()


async def test_duplicates_within_a_page_become_one_row(store, client, exchange):
    exchange.add("BTC-USD", 30)
    exchange.duplicate_first = True
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.inserted == 30
    assert stored(store) == exchange.history()


async def test_product_without_fills_completes_then_picks_up_new_ones(store, client, exchange):
    exchange.fills["SOL-USD"] = {}
    result = await sync_fills(store, client, LABEL, ["SOL-USD"])
    assert result.products[0].complete and result.inserted == 0
    assert ExchangeCursor.of(store.get_sync_state(LABEL, "SOL-USD")).newest_synced == 0
    exchange.add("SOL-USD", 150)
    result = await sync_fills(store, client, LABEL, ["SOL-USD"])
    assert result.products[0].resumed_from == "before=0"
    assert result.inserted == 150 and stored(store) == exchange.history()


# ---- crash safety and resume ---------------------------------------------------------------


async def test_resume_after_crash_during_backfill(store, client, exchange):
    exchange.add("BTC-USD", 1000)
    with pytest.raises(Crash):
        await sync_fills(store, client, LABEL, ["BTC-USD"], progress=crash_after(4))
    state = store.get_sync_state(LABEL, "BTC-USD")
    mark = ExchangeCursor.of(state)
    assert mark.newest_synced is None and mark.backfill_top == max(exchange.fills["BTC-USD"])
    assert store.count_fills() == 400
    exchange.add("BTC-USD", 50)  # newer fills arrive while the walk is unfinished
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.products[0].resumed_from == f"after={mark.backfill_cursor}"
    assert (result.inserted, result.updated, result.unchanged) == (650, 0, 0)
    assert result.products[0].complete
    assert stored(store) == exchange.history()


async def test_resume_after_crash_during_incremental(store, client, exchange):
    exchange.add("BTC-USD", 100)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    exchange.add("BTC-USD", 500)
    with pytest.raises(Crash):
        await sync_fills(store, client, LABEL, ["BTC-USD"], progress=crash_after(2))
    assert store.count_fills() == 300
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert (result.inserted, result.updated, result.unchanged) == (300, 0, 0)
    assert stored(store) == exchange.history()


async def test_network_failure_mid_walk_keeps_committed_pages(store, client, exchange):
    exchange.add("BTC-USD", 500)
    exchange.fail_from = 4
    with pytest.raises(ExchangeUnreachable):
        await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert store.count_fills() == 300  # three pages stored; the fourth never arrived
    exchange.fail_from = None
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.inserted == 200 and stored(store) == exchange.history()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(0, 260), min_size=1, max_size=3),
    crashes=st.lists(st.integers(1, 6), max_size=6),
    limit=st.sampled_from([7, 50, 100]),
    newer=st.integers(0, 120),
)
async def test_any_sequence_of_crashes_converges(tmp_path_factory, credential, sizes, crashes, limit, newer):
    """Property: crash after any page, any number of times, with fills arriving: the store ends exact."""
    fake = FakeExchange(seed=len(sizes) * 1000 + sum(sizes))
    products = [f"P{i}-USD" for i in range(len(sizes))]
    for product_id, size in zip(products, sizes, strict=True):
        fake.fills[product_id] = {}
        fake.add(product_id, size, start=5000)
    path = tmp_path_factory.mktemp("prop") / "trades.db"
    with respx.mock(base_url=BASE, assert_all_called=False) as router, TradeStore(path) as store:
        router.get("/fills").mock(side_effect=fake.handle_fills)
        async with CoinbaseClient(
            BASE, credential, retry=RetryPolicy.no_wait(2), rate_limits=RateLimits.disabled()
        ) as client:
            for i, after_pages in enumerate(crashes):
                if i == 1:
                    fake.add(products[0], newer, settled=False)
                with contextlib.suppress(Crash):  # a short history may end before the crash point
                    await sync_fills(store, client, LABEL, products, limit=limit, progress=crash_after(after_pages))
            fake.settle_all()
            await sync_fills(store, client, LABEL, products, limit=limit)
            assert stored(store) == fake.history()
            again = await sync_fills(store, client, LABEL, products, limit=limit)
            assert (again.inserted, again.updated) == (0, 0)
            assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ---- cancellation ------------------------------------------------------------------------


async def test_cancel_event_stops_after_the_current_page(store, client, exchange):
    exchange.add("BTC-USD", 600)
    exchange.add("ETH-USD", 10)
    cancel = asyncio.Event()
    seen: list[SyncProgress] = []

    async def progress(p: SyncProgress) -> None:
        seen.append(p)
        if p.pages == 2:
            cancel.set()

    result = await sync_fills(store, client, LABEL, ["BTC-USD", "ETH-USD"], progress=progress, cancel=cancel)
    assert result.cancelled and len(result.products) == 1
    assert result.products[0].pages == 2 and not result.products[0].complete
    assert store.count_fills() == 200
    assert [(p.phase, p.pages, p.fills, p.products_total) for p in seen] == [
        ("backfill", 1, 100, 2),
        ("backfill", 2, 200, 2),
    ]
    result = await sync_fills(store, client, LABEL, ["BTC-USD", "ETH-USD"])
    assert not result.cancelled and result.inserted == 410
    assert stored(store) == exchange.history()


async def test_task_cancellation_during_a_request_leaves_the_store_consistent(store, client, exchange):
    exchange.add("BTC-USD", 500)
    exchange.block, exchange.block_at = asyncio.Event(), 3
    task = asyncio.create_task(sync_fills(store, client, LABEL, ["BTC-USD"]))
    while len(exchange.calls) < 3 or store.count_fills() < 200:  # page 3 requested, page 2 committed
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.count_fills() == 200  # page 3 was in flight and is not stored
    state = store.get_sync_state(LABEL, "BTC-USD")
    assert ExchangeCursor.of(state).backfill_cursor == sorted(exchange.fills["BTC-USD"])[-200]
    assert not store.conn.in_transaction
    exchange.block = None
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.inserted == 300 and stored(store) == exchange.history()


# ---- resettle strategies -------------------------------------------------------------------


async def test_recent_unsettled_fills_are_reread_as_a_range(store, client, exchange):
    exchange.add("BTC-USD", 1000)
    exchange.add("BTC-USD", 30, settled=False)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    exchange.calls.clear()
    exchange.settle_all()
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.updated == 30 and result.unchanged == 0
    assert [c.get("before") for c in exchange.calls][0] == str(sorted(exchange.fills["BTC-USD"])[-30] - 1)
    assert len(exchange.calls) == 2
    # the result says why a sync with nothing new cost 2 requests: 1 re-read of unsettled fills
    assert (result.products[0].pages, result.products[0].resettle_pages) == (2, 1)


async def test_old_unsettled_orders_are_reread_by_order(store, client, exchange):
    exchange.add("BTC-USD", 1000)
    old = sorted(exchange.fills["BTC-USD"])[10]
    exchange.fills["BTC-USD"][old]["settled"] = False
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    exchange.calls.clear()
    exchange.settle_all()
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.updated == 1
    assert exchange.calls[0]["order_id"] == exchange.fills["BTC-USD"][old]["order_id"]
    assert len(exchange.calls) == 3  # the order's page, its empty page, one incremental page
    assert (result.products[0].pages, result.products[0].resettle_pages) == (3, 2)
    assert stored(store) == exchange.history()


# ---- concurrency in one process (two connections) --------------------------------------------


async def test_two_syncs_on_one_db_at_once(tmp_path, client, exchange):
    exchange.add("BTC-USD", 700)
    exchange.add("ETH-USD", 300)
    path = tmp_path / "shared.db"
    with TradeStore(path) as one, TradeStore(path) as two:
        a, b = await asyncio.gather(
            sync_fills(one, client, LABEL, ["BTC-USD", "ETH-USD"]),
            sync_fills(two, client, LABEL, ["ETH-USD", "BTC-USD"]),
        )
        assert a.inserted + b.inserted == 1000
        assert stored(one) == exchange.history()
        for product_id in ("BTC-USD", "ETH-USD"):
            state = one.get_sync_state(LABEL, product_id)
            assert state.full_history_complete and ExchangeCursor.of(state).newest_synced == max(
                exchange.fills[product_id]
            )


# ---- product selection and errors -----------------------------------------------------------


def account(currency: str, balance: str) -> dict[str, Any]:
    return {"id": f"id-{currency}", "currency": currency, "balance": balance, "hold": "0", "available": balance}


def product(base: str, quote: str, status: str = "online") -> dict[str, Any]:
    return {
        "id": f"{base}-{quote}",
        "base_currency": base,
        "quote_currency": quote,
        "quote_increment": "0.01",
        "base_increment": "0.00000001",
        "status": status,
    }


async def test_products_to_sync_are_the_traded_and_the_stored_products(store, client, exchange):
    exchange.accounts = [account("BTC", "0.5"), account("USD", "0"), account("SOL", "0")]
    exchange.add("ETH-USD", 4)  # traded, nothing held: found from its orders, not from balances
    assert await products_to_sync(store, client, LABEL) == ["ETH-USD"]
    exchange.add("SOL-USD", 3)
    await sync_fills(store, client, LABEL, ["SOL-USD"])
    exchange.calls.clear()
    assert await products_to_sync(store, client, LABEL) == ["ETH-USD", "SOL-USD"]
    assert [c.get("status") for c in exchange.calls] == ["all"]  # incremental: one request
    assert await products_to_sync(store, client, "other") == ["ETH-USD", "SOL-USD"]  # its own full walk
    result = await sync_fills(store, client, LABEL)
    assert [p.product_id for p in result.products] == ["ETH-USD", "SOL-USD"]
    assert all(p.complete for p in result.products) and not result.failed


async def test_every_product_failing_is_a_failed_sync(store, client, exchange):
    exchange.add("BTC-USD", 5)
    result = await sync_fills(store, client, LABEL, ["NOPE-USD", "GONE-USD"])
    assert result.failed and all(p.error for p in result.products)
    partial = await sync_fills(store, client, LABEL, ["NOPE-USD", "BTC-USD"])
    assert not partial.failed and partial.products[0].error and partial.inserted == 5


async def test_an_error_that_stops_the_sync_carries_the_result_so_far(store, client, exchange):
    exchange.add("BTC-USD", 250)
    exchange.add("ETH-USD", 50)
    exchange.fail_from = 3
    with pytest.raises(ExchangeUnreachable) as caught:
        await sync_fills(store, client, LABEL, ["BTC-USD", "ETH-USD"])
    partial = partial_result(caught.value)
    assert partial is not None and partial.inserted == 200 == store.count_fills()
    assert [p.product_id for p in partial.products] == ["BTC-USD"] and partial.products[0].error
    # the printed result itself says it stopped, and why: failed, with our own message
    assert partial.failed and partial.stopped_by == str(caught.value) and partial.pages == 2


async def test_an_error_during_discovery_is_a_stopped_failed_result(store, client, exchange):
    exchange.add("BTC-USD", 5)
    exchange.orders_refused = True  # the key is refused at discovery, before any product
    with pytest.raises(AuthenticationError) as caught:
        await sync_fills(store, client, LABEL)
    partial = partial_result(caught.value)
    assert partial is not None and partial.products == [] and partial.failed
    assert partial.stopped_by == str(caught.value)


async def test_a_finished_sync_is_not_stopped(store, client, exchange):
    exchange.add("BTC-USD", 5)
    result = await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert result.stopped_by is None and not result.failed


async def test_unknown_product_is_reported_and_the_rest_synced(store, client, exchange):
    exchange.add("BTC-USD", 5)
    result = await sync_fills(store, client, LABEL, ["NOPE-USD", "BTC-USD"])
    nope, btc = result.products
    assert nope.error and "not found" in nope.error and not nope.complete
    assert btc.inserted == 5 and btc.complete
    assert store.get_sync_state(LABEL, "NOPE-USD") is None


async def test_bad_product_id_is_rejected_before_any_request(store, client, exchange):
    with pytest.raises(InvalidArgument):
        await sync_fills(store, client, LABEL, ["BTC/USD"])
    assert exchange.calls == []


async def test_a_page_that_does_not_move_is_a_protocol_error(store, client, exchange):
    exchange.add("BTC-USD", 250)
    first = (await client.list_fills("BTC-USD")).fills
    exchange.stuck_page = [f.model_dump(mode="json") for f in first]
    with pytest.raises(ExchangeProtocolError):
        await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert store.count_fills() == 100


async def test_decimal_strings_survive_byte_for_byte(store, client, exchange):
    exchange.add("BTC-USD", 10)
    tid = min(exchange.fills["BTC-USD"])
    exchange.fills["BTC-USD"][tid].update(size="0.00000010", fee="0.2433492642000000", price="8087.38000000")
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    row = store.conn.execute("SELECT size, fee, price FROM fills WHERE trade_id = ?", (tid,)).fetchone()
    assert row == ("0.00000010", "0.2433492642000000", "8087.38000000")
    assert Decimal(row[1]).as_tuple().exponent == -16


# ---- fills belong to their account: one market trade, two labels ------------------------------


async def test_two_labels_on_opposite_sides_of_one_trade_keep_two_rows_and_two_books(store, credential):
    """A trade_id names the market trade: when both its maker and its taker are accounts synced into
    this store, each label keeps its own side, and each label's book sees it."""
    from trade_tracker.analytics.summary import summarize

    maker, taker = FakeExchange(seed=3), FakeExchange(seed=3)  # the same trades, seen from both sides
    maker.add("BTC-USD", 130)
    taker.add("BTC-USD", 130)
    for fill in taker.fills["BTC-USD"].values():
        fill.update(
            side="sell" if fill["side"] == "buy" else "buy",
            liquidity="MT"[fill["liquidity"] == "M"],
            order_id="b0b" + fill["order_id"][3:],
            fee="0.0000000000000000",
        )
    other = "https://api.other-side.test"
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{BASE}/fills").mock(side_effect=maker.handle_fills)
        router.get(f"{other}/fills").mock(side_effect=taker.handle_fills)
        limits = RateLimits.disabled()
        async with (
            CoinbaseClient(BASE, credential, retry=RetryPolicy.no_wait(2), rate_limits=limits) as a,
            CoinbaseClient(other, credential, retry=RetryPolicy.no_wait(2), rate_limits=limits) as b,
        ):
            alice = await sync_fills(store, a, "alice", ["BTC-USD"])
            bob = await sync_fills(store, b, "bob", ["BTC-USD"])
            assert (alice.inserted, bob.inserted, bob.unchanged) == (130, 130, 0)  # was: bob 0 inserted, 130 unchanged
            again = await sync_fills(store, b, "bob", ["BTC-USD"], full_history=True)
            assert (again.inserted, again.updated, again.unchanged) == (0, 0, 130)
    assert store.count_fills(Filters.of(label="alice")) == store.count_fills(Filters.of(label="bob")) == 130
    sides = dict(
        store.conn.execute(
            "SELECT label || ':' || trade_id, side FROM fills WHERE trade_id = ?", (min(maker.fills["BTC-USD"]),)
        ).fetchall()
    )
    assert sorted(sides.values()) == ["buy", "sell"]
    a_book, b_book = (summarize(store, Filters.of(label=label)).products[0] for label in ("alice", "bob"))
    assert (a_book.buy_count, a_book.sell_count) == (b_book.sell_count, b_book.buy_count)
    assert a_book.buy_count and a_book.sell_count
    assert Decimal(a_book.position) == -Decimal(b_book.position) != 0
    assert Decimal(b_book.fee_total) == 0 < Decimal(a_book.fee_total)
    both = summarize(store).products[0]
    assert both.buy_count == both.sell_count == 130 and Decimal(both.position) == 0


async def test_a_change_to_any_field_on_resync_is_an_update(store, client, exchange):
    """The exchange corrects something other than settled/fee (here the liquidity flag and the price):
    a full re-sync reports it as updated and stores it."""
    exchange.add("BTC-USD", 60)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    first, second = sorted(exchange.fills["BTC-USD"])[7:9]
    exchange.fills["BTC-USD"][first]["liquidity"] = "O"
    exchange.fills["BTC-USD"][second]["price"] = "9999.00000001"
    full = await sync_fills(store, client, LABEL, ["BTC-USD"], full_history=True)
    assert (full.inserted, full.updated, full.unchanged) == (0, 2, 58)
    assert stored(store) == exchange.history()


async def test_a_trade_id_sqlite_cannot_hold_is_a_protocol_error_not_a_crash(store, client, exchange):
    exchange.add("BTC-USD", 5)
    exchange.fills["BTC-USD"][max(exchange.fills["BTC-USD"])]["trade_id"] = 2**63  # was: OverflowError from sqlite3
    with pytest.raises(ExchangeProtocolError, match="trade_id"):
        await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert store.count_fills() == 0


async def test_a_page_of_another_accounts_fills_is_refused_under_a_label_that_holds_one(store, client, exchange):
    """The sync's own check, for what no credential check sees (an env key pointed at another exchange)."""
    exchange.add("BTC-USD", 5)
    await sync_fills(store, client, LABEL, ["BTC-USD"])
    for tid in exchange.add("BTC-USD", 3):
        exchange.fills["BTC-USD"][tid]["profile_id"] = "another-account"
    with pytest.raises(CredentialError, match="another-account") as caught:
        await sync_fills(store, client, LABEL, ["BTC-USD"])
    assert store.count_fills() == 5  # nothing of that page was stored
    assert partial_result(caught.value).stopped_by == str(caught.value)
