"""The MCP resources through the in-memory Client, in both protocol modes: list, templates, read of each,
the export link, the bounds, refusals, resource-updated notifications, and never an exchange call."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError

from mcp_surface import FILLS, CanaryKey, NoNetwork
from trade_tracker.faces.mcp import resources as res
from trade_tracker.faces.mcp.resource_updates import ResourceUpdates, updated_uris

MODES = ["legacy", "auto"]
STATIC = ["trade-tracker://positions", "trade-tracker://sync-status", "ui://trade-tracker/pnl-chart.html"]


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.contents)


@pytest.mark.parametrize("mode", MODES)
async def test_list_is_deterministic_with_title_description_mime_and_size(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        first = (await c.list_resources()).resources
        second = (await c.list_resources()).resources
        assert [str(r.uri) for r in first] == STATIC == [str(r.uri) for r in second]
        for r in first:
            assert r.title and r.description and r.mime_type and r.size, r
            body = await c.read_resource(str(r.uri))
            assert r.size == len(_text(body).encode()), r.uri  # the size listed is the size read
        templates = (await c.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == [res.FILLS_TEMPLATE, res.EXPORTS_TEMPLATE]
        assert all(t.title and t.description and t.mime_type == "text/csv" for t in templates)


@pytest.mark.parametrize("mode", MODES)
async def test_sync_status_per_label_and_venue(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        read = await c.read_resource(res.SYNC_STATUS_URI)
    assert read.contents[0].mime_type == "application/json"
    data = json.loads(_text(read))
    by_label = {e["label"]: e for e in data["labels"]}
    assert set(by_label) == {"main", "alt"}
    main = by_label["main"]
    assert main["venue"] == "exchange" and main["key_fingerprint"].startswith("…")
    assert main["products_synced"] == ["BTC-USD", "ETH-USD"] and main["fill_count"] == 4
    assert main["newest_fill_at"] == "2026-02-11T10:00:00.000000Z" and main["history_complete"] is True
    btc = next(p for p in main["products"] if p["product_id"] == "BTC-USD")
    assert btc["last_synced_at"] and btc["fill_count"] == 3
    assert by_label["alt"]["venue"] == "exchange" and by_label["alt"]["key_fingerprint"] is None  # no credential


@pytest.mark.parametrize("mode", MODES)
async def test_positions_with_cost_basis(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        data = json.loads(_text(await c.read_resource(res.POSITIONS_URI)))
    main = next(entry for entry in data["labels"] if entry["label"] == "main")
    btc = next(p for p in main["positions"] if p["product_id"] == "BTC-USD")
    # FIFO: the 40000 lot was sold, the 42000 lot stays open.
    assert btc["position"] == "0.5" and btc["open_size"] == "0.5"
    assert btc["cost_basis"] == "21000" and btc["average_cost"] == "42000"
    assert btc["realized_pnl"] == "2500"
    assert {p["product_id"] for p in main["positions"]} == {"BTC-USD", "ETH-USD"}
    alt = next(entry for entry in data["labels"] if entry["label"] == "alt")
    assert [p["product_id"] for p in alt["positions"]] == ["SOL-USD"]


@pytest.mark.parametrize("mode", MODES)
async def test_fills_template_newest_first_and_bounded(
    offline_server: Any, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Client(offline_server, mode=mode) as c:
        whole = _text(await c.read_resource("trade-tracker://fills/btc-usd"))
        rows = list(csv.reader(io.StringIO(whole)))
        assert rows[0] == list(res.FILL_CSV_COLUMNS)
        assert [r[1] for r in rows[1:]] == ["3", "2", "1"]  # newest first, no note: nothing left out
        monkeypatch.setattr(res, "MAX_FILL_ROWS", 2)
        monkeypatch.setattr(res.fills_csv, "__defaults__", (2,))
        bounded = _text(await c.read_resource("trade-tracker://fills/BTC-USD")).splitlines()
        assert len(bounded) == 4 and bounded[-1].startswith("# 1 older fills of BTC-USD left out")
        assert "export_trades" in bounded[-1]
        none = _text(await c.read_resource("trade-tracker://fills/DOGE-USD"))
        assert "no fills of DOGE-USD are stored" in none
        with pytest.raises(MCPError) as bad:
            await c.read_resource("trade-tracker://fills/not_a_product")
        assert "product_id must look like BASE-QUOTE" in str(bad.value)


@pytest.mark.parametrize("mode", MODES)
async def test_export_trades_links_a_readable_resource(offline_server: Any, mode: str) -> None:
    async with Client(offline_server, mode=mode) as c:
        result = await c.call_tool("export_trades", {"product_id": "BTC-USD"})
        assert not result.is_error
        links = [b for b in result.content if b.type == "resource_link"]
        assert len(links) == 1 and links[0].mime_type == "text/csv"
        link = links[0]
        assert str(link.uri) == f"trade-tracker://exports/{Path(result.structured_content['path']).name}"
        read = _text(await c.read_resource(str(link.uri)))
        assert read == Path(result.structured_content["path"]).read_bytes().decode()
        assert link.size == len(read.encode())
        assert read.count("\r\n") == 1 + 3


@pytest.mark.parametrize(
    "uri",
    [
        "trade-tracker://exports/..%2F..%2Ftrades.db",
        "trade-tracker://exports/../trades.db",
        "trade-tracker://exports/.hidden.csv",
        "trade-tracker://exports/trades.db",
        "trade-tracker://exports/missing.csv",
    ],
)
async def test_exports_outside_the_folder_are_refused(offline_server: Any, surface_settings: Any, uri: str) -> None:
    exports = surface_settings.trade_tracker_home / "exports"
    exports.mkdir(mode=0o700, exist_ok=True)
    (exports / ".hidden.csv").write_text("secret-ish")
    async with Client(offline_server, mode="legacy") as c:
        with pytest.raises(MCPError):
            await c.read_resource(uri)


async def test_an_export_link_planted_in_the_folder_is_refused(offline_server: Any, surface_settings: Any) -> None:
    exports = surface_settings.trade_tracker_home / "exports"
    exports.mkdir(mode=0o700, exist_ok=True)
    (exports / "planted.csv").symlink_to(surface_settings.db_path)
    async with Client(offline_server) as c:
        with pytest.raises(MCPError):
            await c.read_resource("trade-tracker://exports/planted.csv")


@pytest.mark.parametrize("mode", MODES)
async def test_reading_every_resource_calls_no_exchange_and_leaks_no_secret(
    offline_server: Any, no_network: NoNetwork, canary_key: CanaryKey, mode: str
) -> None:
    async with Client(offline_server, mode=mode) as c:
        uris = [str(r.uri) for r in (await c.list_resources()).resources]
        uris += [f"trade-tracker://fills/{p}" for p in sorted({f.product_id for f in FILLS})]
        for uri in uris:
            canary_key.assert_absent(uri, _text(await c.read_resource(uri)))
        exported = await c.call_tool("export_trades", {})
        link = next(b for b in exported.content if b.type == "resource_link")
        canary_key.assert_absent("export", _text(await c.read_resource(str(link.uri))))
    assert no_network.requests == []


def test_updated_uris_after_a_sync() -> None:
    assert updated_uris([]) == [res.SYNC_STATUS_URI]
    assert updated_uris(["ETH-USD", "BTC-USD"]) == [
        res.SYNC_STATUS_URI,
        res.POSITIONS_URI,
        "trade-tracker://fills/BTC-USD",
        "trade-tracker://fills/ETH-USD",
    ]


async def test_publish_reaches_legacy_subscribers_and_forgets_gone_ones() -> None:
    updates = ResourceUpdates()
    sent: list[str] = []

    class Session:
        async def send_resource_updated(self, uri: str) -> None:
            sent.append(uri)

    class Gone:
        async def send_resource_updated(self, uri: str) -> None:
            raise anyio.ClosedResourceError

    class Ctx:
        def __init__(self, session: Any) -> None:
            self.session = session

    from mcp.types import SubscribeRequestParams, UnsubscribeRequestParams

    alive, gone = Session(), Gone()
    for s in (alive, gone, alive):
        await updates._subscribe(Ctx(s), SubscribeRequestParams(uri=res.SYNC_STATUS_URI))  # type: ignore[arg-type]
    assert updates.subscribers(res.SYNC_STATUS_URI) == 2
    seen: list[Any] = []
    updates.bus.subscribe(seen.append)
    await updates.publish([res.SYNC_STATUS_URI])
    assert sent == [res.SYNC_STATUS_URI] and updates.subscribers(res.SYNC_STATUS_URI) == 1
    assert [e.uri for e in seen] == [res.SYNC_STATUS_URI]
    await updates._unsubscribe(Ctx(alive), UnsubscribeRequestParams(uri=res.SYNC_STATUS_URI))  # type: ignore[arg-type]
    assert updates.subscribers(res.SYNC_STATUS_URI) == 0


# -- after a real sync (the simulator), both eras hear of the update ------------------------------------


@pytest.fixture
def sim_server(sim: Any, isolated_env: Path) -> Any:
    import asyncio

    from trade_tracker.app import TradeTracker
    from trade_tracker.config import load_settings
    from trade_tracker.credentials.service import CredentialService
    from trade_tracker.faces.mcp.server import build_server
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.venues.ratelimit import RateLimits

    settings = load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env)
    with TradeStore(settings.db_path) as store:
        c = sim.credential
        asyncio.run(CredentialService(store, settings).add("sim", c.key, c.secret, c.passphrase))
    return build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )


async def test_legacy_subscriber_hears_of_the_sync(sim_server: Any) -> None:
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            heard.append(str(root.params.uri))

    async with Client(sim_server, mode="legacy", message_handler=on_message) as c:
        assert c.server_capabilities.resources.subscribe is True
        await c.subscribe_resource(res.SYNC_STATUS_URI)
        await c.subscribe_resource("trade-tracker://fills/BTC-USD")
        synced = await c.call_tool("sync_fills", {"product_ids": ["BTC-USD"]})
        assert not synced.is_error and synced.structured_content["inserted"] > 0
        with anyio.fail_after(5):
            while len(heard) < 2:
                await anyio.sleep(0.02)
        fills = _text(await c.read_resource("trade-tracker://fills/BTC-USD"))
    assert sorted(heard) == ["trade-tracker://fills/BTC-USD", res.SYNC_STATUS_URI]
    assert fills.count("\n") > 10


async def test_2026_listener_hears_of_the_sync(sim_server: Any) -> None:
    async with Client(sim_server, mode="auto") as c:
        async with c.listen(resource_subscriptions=[res.POSITIONS_URI]) as sub:
            synced = await c.call_tool("sync_fills", {"product_ids": ["ETH-USD"]})
            assert not synced.is_error
            with anyio.fail_after(5):
                event = await sub.__anext__()
    assert event.uri == res.POSITIONS_URI
