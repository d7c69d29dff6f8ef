"""The MCP face through the SDK's in-memory Client, in both protocol modes, against the simulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, MCPError
from mcp.types import ElicitResult

from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.sim import RunningSim
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.ratelimit import RateLimits

MODES = ["legacy", "auto"]
SNAPSHOT = Path(__file__).resolve().parents[2] / "snapshots" / "tools.json"


@pytest.fixture
def settings(sim: RunningSim, isolated_env: Path):
    return load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env)


@pytest.fixture
def stored(settings, sim: RunningSim) -> Iterator[None]:
    """The simulator's key stored (verified against it) under the label 'sim'."""
    import asyncio

    with TradeStore(settings.db_path) as store:
        c = sim.credential
        asyncio.run(CredentialService(store, settings).add("sim", c.key, c.secret, c.passphrase))
    yield


@pytest.fixture
def server(settings) -> Any:
    return build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_end_to_end(server: Any, stored: None, sim: RunningSim, mode: str) -> None:
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async with Client(server, mode=mode) as c:
        products = await c.call_tool("list_products", {"quote_currency": "USD"})
        assert not products.is_error, _text(products)
        ids = [row[0] for row in products.structured_content["rows"]]
        assert "BTC-USD" in ids and "MATIC-USD" in ids
        delisted = await c.call_tool("list_products", {"status": "delisted"})
        assert [r[0] for r in delisted.structured_content["rows"]] == ["MATIC-USD"]

        ticker = await c.call_tool("get_ticker", {"product_id": "btc-usd"})
        assert not ticker.is_error and ticker.structured_content["product_id"] == "BTC-USD"

        creds = await c.call_tool("list_credentials", {})
        assert [x["label"] for x in creds.structured_content["credentials"]] == ["sim"]

        accounts = await c.call_tool("list_accounts", {})
        assert not accounts.is_error, _text(accounts)
        assert accounts.structured_content["label"] == "sim"

        orders = await c.call_tool("list_orders", {"status": ["done"], "product_id": "BTC-USD"})
        assert not orders.is_error, _text(orders)
        assert orders.structured_content["status_filter"] == ["done"]

        fills = await c.call_tool("list_fills", {"product_id": "BTC-USD", "limit": 5})
        assert not fills.is_error, _text(fills)
        assert fills.structured_content["count"] == 5
        older = await c.call_tool(
            "list_fills", {"product_id": "BTC-USD", "limit": 5, "after": fills.structured_content["next_after"]}
        )
        assert older.structured_content["rows"][0][0] < fills.structured_content["rows"][-1][0]

        synced = await c.call_tool("sync_fills", {"product_ids": ["BTC-USD", "ETH-USD"]}, progress_callback=on_progress)
        assert not synced.is_error, _text(synced)
        history = sim.exchange.history("BTC-USD") + sim.exchange.history("ETH-USD")
        assert synced.structured_content["inserted"] == len(history)
        again = await c.call_tool("sync_fills", {"product_ids": ["BTC-USD", "ETH-USD"]})
        assert again.structured_content["inserted"] == 0 and again.structured_content["updated"] == 0

        trades = await c.call_tool("query_trades", {"product_id": "ETH-USD", "limit": 7})
        assert not trades.is_error, _text(trades)
        assert trades.structured_content["count"] == 7 and trades.structured_content["next_cursor"]
        page2 = await c.call_tool(
            "query_trades", {"product_id": "ETH-USD", "limit": 7, "cursor": trades.structured_content["next_cursor"]}
        )
        first_ids = {r[0] for r in trades.structured_content["rows"]}
        assert not first_ids & {r[0] for r in page2.structured_content["rows"]}

        summary = await c.call_tool("trade_summary", {"product_id": "BTC-USD"})
        assert not summary.is_error, _text(summary)
        entry = summary.structured_content["products"][0]
        for key in (
            "product_id",
            "buy_count",
            "sell_count",
            "base_volume",
            "quote_volume",
            "fees",
            "position",
            "realized_pnl",
        ):
            assert key in entry
        assert entry["buy_count"] + entry["sell_count"] == len(sim.exchange.history("BTC-USD"))

        unrealized = await c.call_tool("trade_summary", {"product_id": "BTC-USD", "with_unrealized": True})
        assert not unrealized.is_error, _text(unrealized)

        exported = await c.call_tool("export_trades", {"product_id": "BTC-USD"})
        assert not exported.is_error, _text(exported)
        path = Path(exported.structured_content["path"])
        assert path.is_file() and exported.structured_content["rows"] == len(sim.exchange.history("BTC-USD"))

        no_ui = await c.call_tool("store_credential", {"label": "another"})
        assert no_ui.structured_content["status"] == "use_cli"
        assert no_ui.structured_content["cli_command"].endswith(" credentials add --label=another")

    assert progress, "sync_fills sent no progress notification"
    assert any("BTC-USD" in (m or "") for _, m in progress)
    values = [v for v, _ in progress]
    assert values == sorted(values), "MCP progress must only grow"


@pytest.mark.parametrize("mode", MODES)
async def test_structured_and_text_content_agree(server: Any, mode: str) -> None:
    async with Client(server, mode=mode) as c:
        result = await c.call_tool("list_products", {})
    assert json.loads(_text(result)) == result.structured_content


# -- the tool list is a contract ------------------------------------------------------------


async def _tool_list(server: Any) -> list[dict[str, Any]]:
    async with Client(server, mode="legacy") as c:
        tools = await c.list_tools()
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools.tools]


async def test_every_tool_has_description_annotations_and_output_schema(server: Any) -> None:
    tools = await _tool_list(server)
    assert {t["name"] for t in tools} >= {
        "list_products",
        "get_ticker",
        "list_fills",
        "sync_fills",
        "store_credential",
        "list_credentials",
        "list_accounts",
        "list_orders",
        "query_trades",
        "trade_summary",
    }
    for tool in tools:
        assert len(tool.get("description", "")) > 40, tool["name"]
        ann = tool.get("annotations", {})
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert hint in ann, (tool["name"], hint)
        assert tool.get("outputSchema", {}).get("type") == "object", tool["name"]
        props = set(tool["inputSchema"].get("properties", {}))
        assert not props & {"secret", "api_secret", "passphrase", "key", "api_key", "password"}, tool["name"]


async def test_tool_list_matches_snapshot(server: Any) -> None:
    """A change to any tool (name, description, schema, annotations) must update the snapshot on purpose:
    run ``UPDATE_TOOL_SNAPSHOT=1 pytest tests/faces/mcp/test_server.py -k snapshot`` and review the diff."""
    import os

    tools = await _tool_list(server)
    text = json.dumps(tools, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_TOOL_SNAPSHOT") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.read_text() == text, "the MCP tool list changed; update tests/snapshots/tools.json on purpose"


def test_read_only_annotations_are_truthful() -> None:
    tools = json.loads(SNAPSHOT.read_text())
    ann = {t["name"]: t["annotations"] for t in tools}
    for name in (
        "list_products",
        "get_ticker",
        "list_fills",
        "list_accounts",
        "list_orders",
        "query_trades",
        "trade_summary",
        "list_credentials",
    ):
        assert ann[name]["readOnlyHint"] is True, name
    for name in ("sync_fills", "store_credential", "export_trades"):
        assert ann[name]["readOnlyHint"] is False, name
    assert ann["query_trades"]["openWorldHint"] is False
    assert ann["list_fills"]["openWorldHint"] is True


# -- bad arguments: an isError that says what to fix, and the server keeps serving ------------------

HUGE = "A" * 1_000_000
BAD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_ticker", {}),
    ("get_ticker", {"product_id": 42}),
    ("get_ticker", {"product_id": None}),
    ("get_ticker", {"product_id": "BTCUSD"}),
    ("get_ticker", {"product_id": "../accounts"}),
    ("get_ticker", {"product_id": "BTC-USD; DROP TABLE fills"}),
    ("get_ticker", {"product_id": HUGE}),
    ("get_ticker", {"product_id": "NOPE-USD"}),
    ("get_ticker", {"product_id": "BTC-USD\n"}),
    ("list_products", {"status": "sideways"}),
    ("list_products", {"quote_currency": "US D"}),
    ("list_products", {"query": HUGE}),
    ("list_fills", {}),
    ("list_fills", {"product_id": "BTC-USD", "limit": 0}),
    ("list_fills", {"product_id": "BTC-USD", "limit": -5}),
    ("list_fills", {"product_id": "BTC-USD", "limit": 10**12}),
    ("list_fills", {"product_id": "BTC-USD", "limit": "many"}),
    ("list_fills", {"product_id": "BTC-USD", "after": -1}),
    ("list_fills", {"order_id": "' OR 1=1 --"}),
    ("list_orders", {"status": ["sideways"]}),
    ("list_orders", {"status": "open"}),
    ("list_accounts", {"label": "../../etc/passwd"}),
    ("list_accounts", {"label": "nobody"}),
    ("sync_fills", {"product_ids": "BTC-USD"}),
    ("sync_fills", {"product_ids": ["BTC-USD"] * 51}),
    ("sync_fills", {"label": HUGE}),
    ("query_trades", {"side": "long"}),
    ("query_trades", {"limit": 0}),
    ("query_trades", {"limit": 1_000_000}),
    ("query_trades", {"since": "yesterday"}),
    ("query_trades", {"since": "2024-13-45"}),
    ("query_trades", {"until": "2024-01-01'; DELETE FROM fills; --"}),
    ("query_trades", {"cursor": "not-a-cursor"}),
    ("query_trades", {"cursor": HUGE}),
    ("query_trades", {"product_id": "' OR ''='"}),
    ("trade_summary", {"group_by": "year"}),
    ("trade_summary", {"method": "lifo"}),
    ("trade_summary", {"since": "2025-02-30"}),
    ("store_credential", {}),
    ("store_credential", {"label": "has space"}),
    ("store_credential", {"label": "env"}),
    ("store_credential", {"label": "x" * 65}),
    ("export_trades", {"since": "soon"}),
    ("no_such_tool", {}),
]


@pytest.mark.parametrize("mode", MODES)
async def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(server: Any, stored: None, mode: str) -> None:
    async with Client(server, mode=mode) as c:
        for name, args in BAD_CALLS:
            try:
                result = await c.call_tool(name, args)
            except MCPError as exc:  # an unknown tool may be a protocol error in some modes
                assert name == "no_such_tool", (name, args, exc)
                continue
            text = _text(result)
            assert result.is_error, (name, str(args)[:80], text[:200])
            assert 0 < len(text) < 4000, (name, len(text))
            assert "Traceback" not in text
            assert text != f"Error executing tool {name}", f"{name}{str(args)[:60]}: no hint what to fix"
        alive = await c.call_tool("list_credentials", {})
        assert not alive.is_error


async def test_labels_are_checked_as_the_cli_checks_them(server: Any, stored: None) -> None:
    """One function (labels.check_label) for both faces: same refusals, same sentence, 'env' selectable."""
    from trade_tracker.errors import InvalidArgument
    from trade_tracker.labels import check_label

    async with Client(server) as c:
        for tool, extra in (
            ("list_accounts", {}),
            ("query_trades", {}),
            ("trade_summary", {}),
            ("sync_fills", {}),
            ("export_trades", {}),
            ("store_credential", {}),
        ):
            for label in ("sim\n", "\nsim", "sim\r\n", "a" * 65):
                result = await c.call_tool(tool, {"label": label, **extra})
                assert result.is_error, (tool, label)
                with pytest.raises(InvalidArgument) as cli_says:
                    check_label(label, allow_env=True)
                assert str(cli_says.value) in _text(result), (tool, _text(result)[:300])
        ok = await c.call_tool("query_trades", {"label": "sim"})
        assert not ok.is_error, _text(ok)
        env = await c.call_tool("list_accounts", {"label": "env"})  # a selector, not a new name: not refused
        assert "a label must be" not in _text(env)


def test_enough_bad_cases() -> None:
    assert len(BAD_CALLS) >= 30


# -- store_credential: URL elicitation to the one-time page ----------------------------------------


def _user_submits(sim: RunningSim, seen: list[str]) -> Callable[..., Any]:
    """An elicitation callback that plays the user: opens the URL and posts the form."""

    async def callback(context: Any, params: Any) -> ElicitResult:
        assert params.mode == "url"
        url = params.url
        seen.append(url)
        assert url.startswith("http://127.0.0.1:")
        c = sim.credential
        async with httpx.AsyncClient() as http:
            page = await http.get(url)
            assert page.status_code == 200
            origin = url.split("/credential/")[0]
            posted = await http.post(
                url, data={"key": c.key, "secret": c.secret, "passphrase": c.passphrase}, headers={"Origin": origin}
            )
            assert posted.status_code == 200, posted.text
            assert c.secret not in posted.text and c.passphrase not in posted.text
        return ElicitResult(action="accept")

    return callback


async def test_store_credential_through_url_elicitation(server: Any, sim: RunningSim) -> None:
    seen: list[str] = []
    async with Client(server, mode="legacy", elicitation_callback=_user_submits(sim, seen)) as c:
        result = await c.call_tool("store_credential", {"label": "viapage"})
        assert not result.is_error, _text(result)
        assert result.structured_content["status"] == "stored"
        assert result.structured_content["fingerprint"].startswith("…")
        creds = await c.call_tool("list_credentials", {})
        assert [x["label"] for x in creds.structured_content["credentials"]] == ["viapage"]
        accounts = await c.call_tool("list_accounts", {"label": "viapage"})
        assert not accounts.is_error, _text(accounts)
    assert len(seen) == 1
    blob = json.dumps(result.model_dump(mode="json"))
    assert sim.credential.secret not in blob and sim.credential.passphrase not in blob
    assert seen[0].rsplit("/", 1)[1] not in blob  # the page's token never reaches the model


async def test_store_credential_declined_stores_nothing(server: Any) -> None:
    async def decline(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="decline")

    async with Client(server, mode="legacy", elicitation_callback=decline) as c:
        result = await c.call_tool("store_credential", {"label": "nope"})
        assert result.structured_content["status"] == "declined"
        creds = await c.call_tool("list_credentials", {})
        assert creds.structured_content["count"] == 0


async def test_store_credential_stateless_mode_asks_for_url_then_reports(server: Any, sim: RunningSim) -> None:
    async def never(context: Any, params: Any) -> ElicitResult:  # declares the capability; never called
        raise AssertionError("no back-channel in stateless mode")

    async with Client(server, mode="auto", elicitation_callback=never) as c:
        with pytest.raises(MCPError) as excinfo:
            await c.call_tool("store_credential", {"label": "stateless"})
        url = excinfo.value.error.data["elicitations"][0]["url"]
        cred = sim.credential
        async with httpx.AsyncClient() as http:
            posted = await http.post(
                url,
                data={"key": cred.key, "secret": cred.secret, "passphrase": cred.passphrase},
                headers={"Origin": url.split("/credential/")[0]},
            )
            assert posted.status_code == 200, posted.text
        result = await c.call_tool("store_credential", {"label": "stateless"})
        assert result.structured_content["status"] == "stored", _text(result)


async def test_cancelling_sync_fills_keeps_what_was_synced_and_the_server_serving(
    server: Any, stored: None, sim: RunningSim
) -> None:
    """The client abandons sync_fills mid-way (notifications/cancelled): pages already stored stay,
    nothing is half-written, the server keeps serving, and the next sync completes the history (since
    sync jobs, the abandoned call's job goes on in the server and the next call joins it; see
    test_mcp_sync_tools.py for cancel_sync, which stops a job)."""
    import anyio

    sim.exchange.configure(latency_ms=80)
    first_page = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        first_page.set()

    async with Client(server, mode="legacy") as c:
        async with anyio.create_task_group() as tg:

            async def run_sync() -> None:
                await c.call_tool("sync_fills", {"product_ids": ["BTC-USD"]}, progress_callback=on_progress)

            tg.start_soon(run_sync)
            with anyio.fail_after(30):
                await first_page.wait()
            tg.cancel_scope.cancel()

        total = len(sim.exchange.history("BTC-USD"))
        partial = await c.call_tool("query_trades", {"product_id": "BTC-USD", "limit": 200})
        assert not partial.is_error
        assert 0 < partial.structured_content["count"] < total  # some pages landed, not all

        sim.exchange.configure(latency_ms=0)
        resumed = await c.call_tool("sync_fills", {"product_ids": ["BTC-USD"]})
        assert not resumed.is_error, _text(resumed)
        everything = await c.call_tool("query_trades", {"product_id": "BTC-USD", "limit": 200})
    stored_ids = [r[0] for r in everything.structured_content["rows"]]
    expected = sorted((f["trade_id"] for f in sim.exchange.history("BTC-USD")), reverse=True)[:200]
    assert stored_ids == expected


async def test_trade_summary_by_day_is_bounded_and_keeps_the_newest(server: Any, stored: None, settings: Any) -> None:
    from trade_tracker.analytics.summary import summarize
    from trade_tracker.faces.shapes import MAX_SUMMARY_ENTRIES

    async with Client(server, mode="legacy") as c:
        await c.call_tool("sync_fills", {"product_ids": ["BTC-USD", "ETH-USD"]})
        result = await c.call_tool("trade_summary", {"group_by": "day"})
    assert not result.is_error, _text(result)
    data = result.structured_content
    with TradeStore(settings.db_path) as store:
        full = summarize(store, group_by="day")
    assert len(full.products) > MAX_SUMMARY_ENTRIES  # the case worth testing
    assert len(data["products"]) == MAX_SUMMARY_ENTRIES
    assert data["omitted_entries"] == len(full.products) - MAX_SUMMARY_ENTRIES
    newest = sorted((p.period for p in full.products), reverse=True)[:MAX_SUMMARY_ENTRIES]
    assert sorted((p["period"] for p in data["products"]), reverse=True) == newest
    assert data["currencies"] == full.model_dump(mode="json")["currencies"]  # totals cover everything
    # Per-period totals: the newest, bounded the same way, cumulative still from the window's start.
    assert data["periods"] == full.model_dump(mode="json")["periods"][-MAX_SUMMARY_ENTRIES:]
    assert data["omitted_periods"] == len(full.periods) - MAX_SUMMARY_ENTRIES
    assert len(_text(result)) < 60_000


def test_products_are_bounded() -> None:
    from trade_tracker.faces.shapes import ProductsOut
    from trade_tracker.venues.coinbase_exchange.models import Product

    products = [
        Product(
            id=f"C{i}-USD", base_currency=f"C{i}", quote_currency="USD", quote_increment="0.01", base_increment="0.001"
        )
        for i in range(350)
    ]
    out = ProductsOut.of(products, limit=300)
    assert out.count == 300 and out.omitted == 50 and out.rows[0][0] == "C0-USD"


async def test_a_junk_cursor_header_is_a_clear_tool_error(settings: Any, stored: None) -> None:
    """The exchange's junk CB-AFTER must not crash the tool (it is the exchange's fault, said once)."""
    import respx as respx_mod

    server = build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )
    fill = {
        "trade_id": 7,
        "product_id": "BTC-USD",
        "order_id": "41473628-db2c-464e-b9f4-82df7e4fb4f4",
        "side": "buy",
        "price": "1.00",
        "size": "1.0",
        "fee": "0.01",
        "created_at": "2024-01-01T00:00:00Z",
        "settled": True,
        "liquidity": "T",
    }
    with respx_mod.mock(base_url=settings.ex_base_url) as router:
        router.get("/fills").respond(json=[fill], headers={"CB-BEFORE": "7", "CB-AFTER": "abc"})
        async with Client(server, mode="legacy") as c:
            result = await c.call_tool("list_fills", {"product_id": "BTC-USD"})
    assert result.is_error and "CB-AFTER header that is not a trade_id" in _text(result)


def test_the_order_status_schema_matches_the_client() -> None:
    from typing import get_args

    from trade_tracker.faces.mcp.params import OrderStatus
    from trade_tracker.live_views import ORDER_STATUS_WORDS, statuses_of
    from trade_tracker.venues.coinbase_advanced.client import ORDER_STATUSES as ADVANCED_STATUSES
    from trade_tracker.venues.coinbase_exchange.params import ORDER_STATUSES

    # both venues' words: Exchange's exactly, Advanced Trade's order_status values in lower case (+ done, all)
    assert get_args(OrderStatus) == ORDER_STATUS_WORDS
    assert set(statuses_of("exchange")) == ORDER_STATUSES
    assert set(statuses_of("advanced")) == {s.lower() for s in ADVANCED_STATUSES} | {"done", "all"}


async def test_store_tools_without_label_read_every_label(server: Any, settings: Any) -> None:
    """query_trades, trade_summary and export_trades: omitting label means all labels (as described)."""
    insert = (
        "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, created_at, label, fill_key) "
        "VALUES (?, ?, 'o', ?, ?, ?, ?, ?, ?, ?1 || ':' || ?2)"
    )
    with TradeStore(settings.db_path) as store, store.write() as conn:
        conn.executemany(
            insert,
            [
                ("ETH-USD", 1, "buy", "100", "1", "0.5", "2025-01-05T10:00:00.000000Z", "main"),
                ("ETH-USD", 2, "buy", "110", "1", "0.25", "2025-02-05T10:00:00.000000Z", "other"),
            ],
        )
    async with Client(server, mode="legacy") as c:
        trades = (await c.call_tool("query_trades", {})).structured_content
        assert trades["count"] == 2
        only = (await c.call_tool("query_trades", {"label": "other"})).structured_content
        assert only["count"] == 1
        summary = (await c.call_tool("trade_summary", {"group_by": "month"})).structured_content
        assert [p["fee_total"] for p in summary["products"]] == ["0.5", "0.25"]
        assert [(p["period"], p["fees"]) for p in summary["periods"]] == [("2025-01", "0.5"), ("2025-02", "0.25")]
        exported = await c.call_tool("export_trades", {"summary": True, "group_by": "month", "method": "average"})
        assert not exported.is_error, _text(exported)
        assert exported.structured_content["kind"] == "summary" and exported.structured_content["rows"] == 2
        text = Path(exported.structured_content["path"]).read_text()
        assert "2025-01" in text and "2025-02" in text
    tools = {t.name: t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in await server.list_tools()}
    for name in ("query_trades", "trade_summary", "export_trades"):
        assert "every stored label" in " ".join(tools[name]["description"].split())
        assert "all labels" in tools[name]["inputSchema"]["properties"]["label"]["anyOf"][0]["description"]
    assert {"group_by", "method"} <= set(tools["export_trades"]["inputSchema"]["properties"])


async def test_query_trades_says_whose_each_fill_is(isolated_env: Path) -> None:
    """One label: hoisted like product_id (fewer tokens); two labels: a column, so both sides differ."""
    from fill_rows import row

    with TradeStore(isolated_env / "trades.db") as store:
        store.upsert_fills([row(7, label="alice")])
    server = build_server(load_settings(trade_tracker_home=isolated_env))
    async with Client(server) as c:
        one = (await c.call_tool("query_trades", {})).structured_content
        assert one["label"] == "alice" and "label" not in one["columns"]
        with TradeStore(isolated_env / "trades.db") as store:
            store.upsert_fills([row(7, label="bob", side="sell")])
        both = (await c.call_tool("query_trades", {})).structured_content
    assert both["label"] is None and both["product_id"] == "BTC-USD"
    at = both["columns"].index("label")
    assert sorted(r[at] for r in both["rows"]) == ["alice", "bob"]
