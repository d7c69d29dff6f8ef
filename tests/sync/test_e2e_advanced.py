"""The Advanced Trade fills sync end to end against the simulator's Advanced Trade mode (issue 15, "Done when").

Through the app's path: the ``env-advanced`` credential (``AT_API_KEY_NAME`` / ``AT_API_SECRET``, the
simulator's own key file), ``TradeTracker.client_for`` building the Advanced Trade client, and the
unchanged sync engine.

1. A first sync stores every entry exactly once, field by field equal to the simulator's history
   (REVERSAL / CORRECTION entries and ``size_in_quote`` fills included); a second inserts 0; after new
   fills and adjustments are posted (``/_admin/fills``, ``/_admin/adjustments``) the next brings exactly those.
2. Kill test: a syncing subprocess is SIGKILLed at >= 10 seeded random moments while the simulator gains
   fills and adjustments; one clean sync then leaves the store equal to the history, integrity_check ok.
3. A server that repeats a cursor stops the sync with a clear error; the pages before it stay stored.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sim_fixtures import AdvancedHttp, advanced_history_rows
from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.errors import ExchangeProtocolError
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.store.fills import FILL_COLUMNS
from trade_tracker.store.filters import Filters
from trade_tracker.sync.engine import sync_fills
from trade_tracker.sync.results import partial_result
from trade_tracker.venues.coinbase_advanced.client import AdvancedTradeClient
from trade_tracker.venues.coinbase_advanced.walk import AdvancedCursor
from trade_tracker.venues.ratelimit import RateLimits

TESTS = Path(__file__).resolve().parents[1]
CHILD = TESTS / "sync_kill_child_advanced.py"
SERVER = TESTS.parent / "server"
LABEL = "env-advanced"


def env_for(sim: RunningAdvanced, home: Path) -> dict[str, str]:
    """The environment of the app on ``home`` with the simulator's ECDSA key file as ``env-advanced``."""
    key_file = json.loads(Path(str(sim.ecdsa.path)).read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EX_", "AT_", "FIELD_ENCRYPTION"))}
    env.update(
        AT_BASE_URL=sim.url,
        AT_API_KEY_NAME=key_file["name"],
        AT_API_SECRET=key_file["privateKey"],
        TRADE_TRACKER_HOME=str(home),
    )
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SERVER), env.get("PYTHONPATH", "")) if p)
    return env


def open_app(sim: RunningAdvanced, home: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> TradeTracker:
    for name, value in env_for(sim, home).items():
        monkeypatch.setenv(name, value)
    return TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled(), **options)


def store_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {', '.join(FILL_COLUMNS)} FROM fills ORDER BY fill_key").fetchall()
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# ---- 1. exact first sync, empty second, exactly the posted ones third ----------------------------


async def test_sync_is_exact_then_brings_exactly_what_was_posted(
    sim_advanced_factory: Callable[..., RunningAdvanced], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_advanced_factory(fills=3000, seed=7)
    history = advanced_history_rows(sim, LABEL)
    kinds = {r[19] for r in history}
    assert {"FILL", "REVERSAL", "CORRECTION"} <= kinds and any(r[22] == 1 for r in history)
    digits = {len(r[20].removesuffix("Z").partition(".")[2]) for r in history}
    assert {6, 9} <= digits  # both precisions of sequence_timestamp occur
    app = open_app(sim, tmp_path / "home", monkeypatch)
    path = app.settings.db_path
    try:
        label, client = app.client_for(LABEL)
        assert label == LABEL and isinstance(client, AdvancedTradeClient)  # env-advanced builds the Advanced client
        first = await sync_fills(app.store, client, label)
        assert store_rows(path) == history  # every field of every entry, exactly once
        assert (first.inserted, first.updated) == (len(history), 0)
        assert [p.product_id for p in first.products] == ["*"] and first.products[0].complete

        second = await sync_fills(app.store, client, label)
        assert (second.inserted, second.updated) == (0, 0) and second.requests <= 2

        admin = AdvancedHttp(sim)
        try:
            posted = admin.admin("POST", "fills", {"count": 40})["fills"]
            posted += admin.admin("POST", "adjustments", {"kind": "REVERSAL", "count": 4})["fills"]
            posted += admin.admin("POST", "adjustments", {"kind": "CORRECTION", "count": 3})["fills"]
        finally:
            admin.close()
        before = {r[17] for r in store_rows(path)}
        third = await sync_fills(app.store, client, label)
        after = store_rows(path)
        assert {r[17] for r in after} - before == {f["entry_id"] for f in posted}  # exactly those
        assert (third.inserted, third.updated) == (47, 0)
        assert after == advanced_history_rows(sim, LABEL)
        state = app.store.get_sync_state(label, "*", venue="advanced")
        assert state is not None and state.full_history_complete
        cursor = AdvancedCursor.of(state)
        newest = max(after, key=lambda r: r[20])[20]  # simulator stamps are all Z-form; the mark is one of them
        assert cursor.page is None and cursor.mark in {r[20] for r in after}
        assert cursor.mark is not None and cursor.mark[:19] == newest[:19]
    finally:
        await app.aclose()
    assert integrity(path) == "ok"


# ---- 2. kill -9 at random moments ----------------------------------------------------------------


def open_window_of(path: Path) -> AdvancedCursor:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT cursor FROM sync_state WHERE scope = '*'").fetchone()
    finally:
        conn.close()
    return AdvancedCursor.model_validate(json.loads(row[0])) if row and row[0] else AdvancedCursor()


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    sim_advanced_factory: Callable[..., RunningAdvanced], tmp_path: Path
) -> None:
    """Kills land in the first walk of the whole history, then (after one clean run) in incremental windows
    over thousands of new fills and later adjustments posted between the runs."""
    sim = sim_advanced_factory(fills=8_000, seed=11, page_cap=100)  # 100 per page: many pages to land between
    env = env_for(sim, tmp_path / "home")
    path = tmp_path / "home" / "trades.db"
    rng = random.Random(20261202)
    kills, in_first_walk, in_incremental, started = 0, 0, 0, time.monotonic()
    for attempt in range(40):
        if kills >= 14 and in_incremental >= 3:
            break
        clean = attempt == 6  # one run to the end: the windows after it are incremental
        if attempt > 6:  # posted between runs: new fills and adjustments of old fills
            sim.advanced.add_fills(2000)
            sim.advanced.post_adjustments("REVERSAL", count=5)
            sim.advanced.post_adjustments("CORRECTION", count=5)
        proc = subprocess.Popen(
            [sys.executable, str(CHILD)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "SYNCING", proc.communicate(timeout=30)[1][-2000:]
        if not clean:
            time.sleep(rng.uniform(0.0, 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]
        assert integrity(path) == "ok"
        window = open_window_of(path)
        if proc.returncode == -signal.SIGKILL and window.page is not None:
            in_incremental += window.mark is not None
            in_first_walk += window.mark is None
    assert kills >= 10, f"only {kills} kills landed inside a sync"
    assert in_first_walk >= 3 and in_incremental >= 3, (in_first_walk, in_incremental)

    final = subprocess.run([sys.executable, str(CHILD)], capture_output=True, text=True, env=env, timeout=120)
    assert final.returncode == 0, final.stderr[-2000:]
    result = json.loads(final.stdout.strip().splitlines()[-1])
    assert all(p["complete"] for p in result["products"])
    assert store_rows(path) == advanced_history_rows(sim, LABEL)
    assert integrity(path) == "ok"
    assert time.monotonic() - started < 150


# ---- 3. a repeated cursor stops the sync ---------------------------------------------------------


class RepeatingCursor(httpx.AsyncBaseTransport):
    """Passes every request to the simulator, but answers the fills walk's ``page``-th page with the cursor
    the page before it had: a server paging in a circle."""

    def __init__(self, page: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.page, self.seen, self.cursors = page, 0, [""]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/orders/historical/fills"):
            return response
        body = json.loads(await response.aread())
        self.seen += 1
        if self.seen == self.page:
            body["cursor"] = self.cursors[-1]
        self.cursors.append(body["cursor"])
        return httpx.Response(response.status_code, json=body, headers={"content-type": "application/json"})

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_repeated_cursor_stops_with_a_clear_error_keeping_what_came_before(
    sim_advanced_factory: Callable[..., RunningAdvanced], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_advanced_factory(fills=1500, seed=5)
    transport = RepeatingCursor(page=3)
    app = open_app(sim, tmp_path / "home", monkeypatch, transport=transport)
    try:
        label, client = app.client_for(LABEL)
        with pytest.raises(ExchangeProtocolError, match="repeated cursor") as stopped:
            await sync_fills(app.store, client, label, limit=100)
        partial = partial_result(stopped.value)
        assert partial is not None and partial.inserted == 300  # pages 1-3 stored, nothing looped
        assert app.store.count_fills(Filters.of(label=label)) == 300
        state = app.store.get_sync_state(label, "*", venue="advanced")
        assert state is not None and AdvancedCursor.of(state).mark is None  # the window never claimed the history
    finally:
        await app.aclose()
    app = open_app(sim, tmp_path / "home", monkeypatch)  # a server that pages properly again
    try:
        label, client = app.client_for(LABEL)
        result = await sync_fills(app.store, client, label, limit=100)
        assert result.inserted == len(advanced_history_rows(sim, LABEL)) - 300
        assert store_rows(app.settings.db_path) == advanced_history_rows(sim, LABEL)
    finally:
        await app.aclose()
