"""The sync tools (sync_fills as a job, sync_status, cancel_sync): in memory against the simulator, and the
issue-13 end-to-end test over real stdio with the exchange's rate limits on and a history longer than a minute."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client

from sim_fixtures import cli_command, history_rows, server_env_for
from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.sim import RunningSim
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FILL_COLUMNS
from trade_tracker.venues.ratelimit import RateLimits


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


# -- in memory ------------------------------------------------------------------------------------


@pytest.fixture
def settings(sim: RunningSim, isolated_env: Path) -> Any:
    return load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env)


@pytest.fixture
def server(settings: Any, sim: RunningSim) -> Any:
    return _server_for(settings, sim)


def _server_for(settings: Any, sim: RunningSim) -> Any:
    with TradeStore(settings.db_path) as store:
        c = sim.credential
        asyncio.run(CredentialService(store, settings).add("sim", c.key, c.secret, c.passphrase))
    return build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )


async def test_a_sync_that_outlasts_its_wait_goes_on_and_a_second_call_joins_it(server: Any, sim: RunningSim) -> None:
    sim.exchange.configure(latency_ms=40)
    seen: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        seen.append(value)

    async with Client(server, mode="legacy") as c:
        first = await c.call_tool(
            "sync_fills", {"product_ids": ["BTC-USD", "ETH-USD"], "wait_seconds": 0.3}, progress_callback=on_progress
        )
        data = first.structured_content
        assert not first.is_error, _text(first)
        assert data["status"] == "running" and data["joined"] is False and data["inserted"] is None
        assert data["progress"]["products_planned"] in (None, 2) and "sync_status" in data["message"]
        # On a loaded machine the job may not have planned its products within the 0.3 s wait: follow it
        # through sync_status (as a model would) until it has, rather than assume the wait was enough.
        for _ in range(200):
            status = (await c.call_tool("sync_status", {})).structured_content["labels"][0]
            assert status["state"] == "running" and status["job"]["job_id"] == data["job_id"]
            if status["job"]["progress"]["products_planned"] is not None:
                break
            await anyio.sleep(0.05)
        assert status["job"]["progress"]["products_planned"] == 2
        sim.exchange.configure(latency_ms=0)
        second = await c.call_tool("sync_fills", {"product_ids": ["ETH-USD"], "wait_seconds": 30})
    done = second.structured_content
    assert done["job_id"] == data["job_id"] and done["joined"] is True and done["status"] == "completed"
    assert "not applied" in done["note"]  # it asked for other products: said, not silently ignored
    assert done["inserted"] == len(sim.exchange.history("BTC-USD")) + len(sim.exchange.history("ETH-USD"))
    assert seen and seen == sorted(seen)


@pytest.fixture
def big(sim_factory: Callable[..., RunningSim], isolated_env: Path) -> tuple[RunningSim, Any]:
    """A 6,000-fill simulator and a server on it: long enough a history to catch a job running."""
    sim = sim_factory(fills=6000)
    return sim, _server_for(load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env), sim)


async def test_cancelling_the_waiting_call_does_not_stop_the_job_but_cancel_sync_does(
    big: tuple[RunningSim, Any],
) -> None:
    import anyio

    sim, server = big
    sim.exchange.configure(latency_ms=100)
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
            tg.cancel_scope.cancel()  # notifications/cancelled for the waiting call
        await asyncio.sleep(0.2)
        running = (await c.call_tool("sync_status", {"label": "sim"})).structured_content["labels"][0]
        assert running["state"] == "running", running  # the job outlived the call
        pages_before = running["job"]["progress"]["pages"]
        stopped = await c.call_tool("cancel_sync", {"label": "sim"})
        assert stopped.structured_content["status"] == "cancelled", _text(stopped)
        assert stopped.structured_content["job"]["progress"]["pages"] <= pages_before + 2
        after = (await c.call_tool("sync_status", {})).structured_content["labels"][0]
        assert after["state"] == "idle" and after["last_run"]["outcome"] == "cancelled"
        assert 0 < after["fills_stored"] < len(sim.exchange.history("BTC-USD"))
        idle = await c.call_tool("cancel_sync", {})
        assert idle.structured_content["status"] == "idle"
        sim.exchange.configure(latency_ms=0)
        resumed = await c.call_tool("sync_fills", {"product_ids": ["BTC-USD"]})
        assert resumed.structured_content["status"] == "completed", _text(resumed)
        final = (await c.call_tool("sync_status", {})).structured_content["labels"][0]
    assert final["fills_stored"] == len(sim.exchange.history("BTC-USD")) and final["history_complete"] is True
    product = final["products"][0]
    assert product["history_complete"] and product["last_synced_at"] and product["last_error"] is None


async def test_every_product_failing_is_an_error_result(server: Any) -> None:
    async with Client(server, mode="legacy") as c:
        result = await c.call_tool("sync_fills", {"product_ids": ["NOPE-USD", "NADA-EUR"]})
        status = (await c.call_tool("sync_status", {})).structured_content["labels"][0]
    assert result.is_error and "every product" in _text(result) and "NOPE-USD" in _text(result)
    assert status["last_run"]["outcome"] == "failed" and "NOPE-USD" in status["last_run"]["error"]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_an_empty_store_says_run_sync_fills(server: Any, mode: str) -> None:
    async with Client(server, mode=mode) as c:
        trades = await c.call_tool("query_trades", {})
        summary = await c.call_tool("trade_summary", {})
        status = await c.call_tool("sync_status", {})
        await c.call_tool("sync_fills", {"product_ids": ["SOL-USD"]})
        after = await c.call_tool("query_trades", {"product_id": "BTC-USD"})  # none of BTC, but the store has fills
        other = await c.call_tool("trade_summary", {"label": "other"})
        full = await c.call_tool("query_trades", {})
    for result in (trades, summary, status):
        assert not result.is_error
        assert result.structured_content["hint"].startswith("nothing stored yet: run sync_fills")
    assert after.structured_content["count"] == 0 and after.structured_content["hint"] is None
    assert "nothing stored yet: run sync_fills" in other.structured_content["hint"]
    assert "'other'" in other.structured_content["hint"]
    assert full.structured_content["count"] > 0 and full.structured_content["hint"] is None


def test_the_sync_tools_are_annotated_truthfully() -> None:
    import json

    snapshot = Path(__file__).resolve().parents[2] / "snapshots" / "tools.json"
    tools = {t["name"]: t for t in json.loads(snapshot.read_text())}
    assert tools["sync_status"]["annotations"]["readOnlyHint"] is True
    assert tools["sync_status"]["annotations"]["openWorldHint"] is False
    assert tools["cancel_sync"]["annotations"]["readOnlyHint"] is False
    assert tools["sync_fills"]["inputSchema"]["properties"]["wait_seconds"]["maximum"] == 50
    assert tools["sync_fills"]["inputSchema"]["properties"]["wait_seconds"]["default"] == 25


# -- end to end over stdio, rate limits on ----------------------------------------------------------


_cli = cli_command


def _db(home: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(home / "trades.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class _Session:
    """One `trade-tracker serve` over stdio; ``call`` returns structured content (asserting no error)."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.progress: list[float] = []

    async def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            self.progress.append(value)

        result = await self.session.call_tool(tool, args, progress_callback=on_progress)
        assert not result.is_error, _text(result)
        return result.structured_content

    async def label(self) -> dict[str, Any]:
        return (await self.call("sync_status", {"label": "cli"}))["labels"][0]


@pytest.mark.slow
async def test_a_long_sync_over_stdio_runs_as_a_job(sim_factory: Callable[..., RunningSim], isolated_env: Path) -> None:
    """Issue 13, done-when: ~72,000 fills at 10 requests/s of 100 fills (over a minute of syncing)."""
    sim = sim_factory(fills=72_000, products=("BTC-USD", "ETH-USD"), delisted=(), rate_limits=True, seed=13)
    walks: list[tuple[str | None, int | None, int | None, str | None]] = []
    original = sim.exchange.fills_page
    lock = threading.Lock()

    def counted(**kw: Any) -> Any:
        with lock:
            walks.append((kw.get("product_id"), kw.get("before"), kw.get("after"), kw.get("order_id")))
        return original(**kw)

    sim.exchange.fills_page = counted  # type: ignore[method-assign]
    env = server_env_for(sim, isolated_env)
    cmd = _cli()
    params = StdioServerParameters(command=cmd[0], args=[*cmd[1:], "serve"], env=env)
    products = {"product_ids": ["BTC-USD", "ETH-USD"]}
    total = sim.exchange.fill_count()

    # 1. Server A: the first call returns within 30 s with "running"; a second one joins; then SIGKILL.
    killed = False
    try:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            a = _Session(session)
            started = time.monotonic()
            first = await a.call("sync_fills", products)
            assert time.monotonic() - started <= 30
            assert first["status"] == "running" and first["joined"] is False
            progress = first["progress"]
            assert progress["products_planned"] == 2 and 0 < progress["fills_synced"] < total
            assert progress["estimate"]["seconds_left"] > 0 and "requests/s" in progress["estimate"]["text"]
            assert a.progress, "no progress notification while the call waited"
            second = await a.call("sync_fills", {**products, "wait_seconds": 1})
            assert second["joined"] is True and second["job_id"] == first["job_id"]
            running = await a.label()
            assert running["state"] == "running" and running["job"]["job_id"] == first["job_id"]
            (pid,) = _db(isolated_env, "SELECT pid FROM sync_runs WHERE finished_at IS NULL")[0]
            os.kill(pid, signal.SIGKILL)
            killed = True
            await asyncio.sleep(0.5)
    except Exception:  # the transport breaks under a killed server; only a failure before the kill counts
        if not killed:
            raise
    stored_at_kill = _db(isolated_env, "SELECT count(*) FROM fills")[0][0]
    assert 0 < stored_at_kill < total

    # 2. Server B: the run shows as interrupted; a resumed job is stopped by cancel_sync after one page;
    #    then one more sync completes the history, followed with sync_status.
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        b = _Session(session)
        before = await b.label()
        assert before["state"] == "idle" and before["last_run"]["outcome"] == "interrupted"
        assert before["fills_stored"] == stored_at_kill and before["history_complete"] is False
        resumed = await b.call("sync_fills", {**products, "wait_seconds": 3})
        assert resumed["status"] == "running"
        sent_before = len(walks)
        stopped = await b.call("cancel_sync", {"label": "cli"})
        assert stopped["status"] == "cancelled", stopped
        await asyncio.sleep(1.5)
        assert len(walks) - sent_before <= 3  # the page in flight and the one prefetched, nothing after
        cancelled = await b.label()
        assert cancelled["state"] == "idle" and cancelled["last_run"]["outcome"] == "cancelled"
        again = await b.call("sync_fills", {**products, "wait_seconds": 2})
        assert again["status"] == "running" and again["job_id"] != resumed["job_id"]
        states: list[str] = []
        deadline = time.monotonic() + 240  # about 70 s on an idle machine; slack for a loaded one
        while time.monotonic() < deadline:
            status = await b.label()
            states.append(status["state"])
            if status["state"] == "idle":
                break
            await asyncio.sleep(2)
    assert states[0] == "running" and states[-1] == "idle", states
    assert status["last_run"]["outcome"] == "completed" and status["history_complete"] is True
    assert status["fills_stored"] == total
    rows = _db(isolated_env, f"SELECT {', '.join(FILL_COLUMNS)} FROM fills ORDER BY product_id, trade_id")
    assert rows == history_rows(sim.exchange, "cli")
    # One walk per product over everything: the one cursorless first page; joins and resumes add none.
    for product in products["product_ids"]:
        firsts = [w for w in walks if w[0] == product and w[1] is None and w[2] is None and w[3] is None]
        assert len(firsts) == 1, (product, len(firsts))


async def test_a_server_shutting_down_mid_job_cancels_it_and_records_an_interrupted_run(
    big: tuple[RunningSim, Any], isolated_env: Path
) -> None:
    sim, server = big
    sim.exchange.configure(latency_ms=100)
    async with Client(server, mode="legacy") as c:
        started = await c.call_tool("sync_fills", {"product_ids": ["BTC-USD"], "wait_seconds": 0.5})
        assert started.structured_content["status"] == "running"
    # The lifespan has ended: the job was cancelled and wrote how its run ended before the store closed.
    ((outcome, finished, error),) = _db(isolated_env, "SELECT outcome, finished_at, error FROM sync_runs")
    assert outcome == "interrupted" and finished is not None and "resumes" in error
    stored = _db(isolated_env, "SELECT count(*) FROM fills")[0][0]
    await asyncio.sleep(0.5)
    assert _db(isolated_env, "SELECT count(*) FROM fills")[0][0] == stored  # nothing runs on after shutdown
    assert 0 < stored < len(sim.exchange.history("BTC-USD"))
