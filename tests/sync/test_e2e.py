"""The fills sync end to end against the simulator (issue 5, "Done when").

1. A 20,000-fill history over 3 online products and a delisted one (trade_ids shared
   across products, some fills unsettled) is stored exactly once, field by field; a
   second sync inserts nothing; after 500 newer fills and settling the old unsettled
   ones, a third inserts exactly 500 and updates exactly the fills that changed.
2. Kill test: a syncing subprocess is SIGKILLed at seeded random moments (while the
   simulator gains and settles fills); one final sync then leaves the store equal to
   the simulator's history, and ``PRAGMA integrity_check`` is ok.
3. Two sync processes on one store at once: both succeed, each fill inserted once.
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

from sim_fixtures import history_rows
from trade_tracker.sim import RunningSim, SimExchange
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FILL_COLUMNS
from trade_tracker.sync.engine import sync_fills
from trade_tracker.sync.results import SyncProgress
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.coinbase_exchange.walk import ExchangeCursor
from trade_tracker.venues.ratelimit import RateLimits

TESTS = Path(__file__).resolve().parents[1]
CHILD = TESTS / "sync_kill_child.py"
SERVER = TESTS.parent / "server"
LABEL = "sim"  # the child's label
PRODUCTS = ("BTC-USD", "ETH-USD", "SOL-USD")


def sim_rows(exchange: SimExchange, label: str = LABEL) -> list[tuple[Any, ...]]:
    """The simulator's whole history as store rows, ordered like ``store_rows``."""
    return history_rows(exchange, label)


def store_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {', '.join(FILL_COLUMNS)} FROM fills ORDER BY product_id, trade_id").fetchall()
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def client_for(sim: RunningSim, label: str = LABEL) -> CoinbaseClient:
    c = sim.credential
    return CoinbaseClient(
        sim.url, ApiCredential(c.key, c.secret, c.passphrase, label=label), rate_limits=RateLimits.disabled()
    )


def child_args(path: Path, sim: RunningSim, *products: str) -> list[str]:
    c = sim.credential
    return [sys.executable, str(CHILD), str(path), sim.url, c.key, c.secret, c.passphrase, *products]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SERVER), env.get("PYTHONPATH", "")) if p)
    return env


# ---- 1. exact first sync, empty second, counted third -----------------------------------------


async def test_sync_is_exact_and_counts_changes(sim_factory: Callable[..., RunningSim], tmp_path: Path) -> None:
    sim = sim_factory(fills=20_000, seed=5, unsettled=40)
    exchange = sim.exchange
    history = sim_rows(exchange)
    assert len(history) == 20_000
    per_product = {p: sum(1 for r in history if r[0] == p) for p in exchange.product_ids()}
    assert sum(1 for n in per_product.values() if n) >= 3
    ids = {p: {r[1] for r in history if r[0] == p} for p in per_product}
    assert ids["BTC-USD"] & ids["ETH-USD"], "trade_ids must be shared across products"
    assert any(r[9] == 0 for r in history), "some fills must be unsettled"

    phases: set[str] = set()
    path = tmp_path / "trades.db"
    with TradeStore(path) as store:
        async with client_for(sim) as client:
            first = await sync_fills(store, client, LABEL, progress=lambda p: phases.add(p.phase))
            assert store_rows(path) == history  # every field, every fill, exactly once
            assert (first.inserted, first.updated, first.unchanged) == (20_000, 0, 0)
            assert {p.product_id for p in first.products} == set(per_product)  # delisted MATIC-USD too
            assert all(p.complete and p.resumed_from == "start" for p in first.products)
            assert phases == {"backfill", "incremental"}

            second = await sync_fills(store, client, LABEL)
            assert (second.inserted, second.updated) == (0, 0)
            assert second.requests <= 2 + 2 * len(per_product)

            settled = exchange.settle()
            assert len(settled) == 3 * 40
            added = exchange.add_fills(500)
            third = await sync_fills(store, client, LABEL)
            assert (third.inserted, third.updated) == (500, len(settled))
            assert store_rows(path) == sim_rows(exchange)

            product_id, trade_id = history[7][0], history[7][1]  # an old, settled fill
            exchange.set_fee(product_id, trade_id, "0.0000000000000001")
            assert (await sync_fills(store, client, LABEL)).updated == 0  # not re-read incrementally
            full = await sync_fills(store, client, LABEL, full_history=True)
            assert len(added) == 500 and (full.inserted, full.updated, full.unchanged) == (0, 1, 20_499)
            assert store_rows(path) == sim_rows(exchange)
            for state in store.sync_states(LABEL):
                mark = ExchangeCursor.of(state)
                assert state.full_history_complete and mark.backfill_top is None
                assert mark.newest_synced == max(r[1] for r in store_rows(path) if r[0] == state.scope)
    assert integrity(path) == "ok"


# ---- 2. kill -9 at random moments ------------------------------------------------------------


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    sim_factory: Callable[..., RunningSim], tmp_path: Path
) -> None:
    """Kills land in every phase: the backfill (BTC first, then the others), incremental
    walks over thousands of new fills, and resettle re-reads of settled ones."""
    sim = sim_factory(fills=12_000, seed=9, unsettled=25)
    exchange = sim.exchange
    path = tmp_path / "trades.db"
    rng = random.Random(20240501)
    kills, started = 0, time.monotonic()
    for attempt in range(40):
        if kills >= 14:
            break
        if attempt == 3:
            exchange.add_fills(3000)  # newer fills while backfills are unfinished
        if attempt in (6, 9, 12):
            exchange.settle()  # settlement, so re-reads must update rows
            exchange.add_fills(2500)
        proc = subprocess.Popen(
            child_args(path, sim), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "SYNCING"
        time.sleep(rng.uniform(0.0, 0.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        _, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]
        assert integrity(path) == "ok"
    assert kills >= 10, f"only {kills} kills landed inside a sync"

    final = subprocess.run(child_args(path, sim), capture_output=True, text=True, env=child_env(), timeout=60)
    assert final.returncode == 0, final.stderr[-2000:]
    result = json.loads(final.stdout.strip().splitlines()[-1])
    assert all(p["complete"] for p in result["products"])
    assert store_rows(path) == sim_rows(exchange)
    assert integrity(path) == "ok"
    assert time.monotonic() - started < 60


# ---- 3. two processes on one store -------------------------------------------------------------


def test_two_sync_processes_on_one_store(sim_factory: Callable[..., RunningSim], tmp_path: Path) -> None:
    sim = sim_factory(fills=12_000, seed=13)
    path = tmp_path / "trades.db"
    TradeStore(path).close()  # created once; both children open the same file
    procs = [
        subprocess.Popen(
            child_args(path, sim, *order), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
        )
        for order in (PRODUCTS, tuple(reversed(PRODUCTS)))
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    history = [r for r in sim_rows(sim.exchange) if r[0] in PRODUCTS]
    assert store_rows(path) == history
    assert sum(r["inserted"] for r in results) == len(history)  # each fill inserted by exactly one process
    assert all(r["inserted"] > 0 for r in results)  # both really synced (opposite product orders)
    assert all(p["complete"] for r in results for p in r["products"])
    assert integrity(path) == "ok"


async def test_progress_reports_every_page(sim: RunningSim, tmp_path: Path) -> None:
    seen: list[SyncProgress] = []
    with TradeStore(tmp_path / "trades.db") as store:
        async with client_for(sim) as client:
            result = await sync_fills(store, client, LABEL, ["BTC-USD", "ETH-USD"], progress=seen.append)
    assert len(seen) == result.pages
    assert seen[-1].fills_total == result.inserted and seen[-1].products_total == 2
    assert [p.products_done for p in seen if p.product_id == "ETH-USD"][0] == 1
