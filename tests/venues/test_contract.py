"""One contract, both venues (issue 15 item 1): every ``Venue`` the engine drives keeps the same promises.

Parametrized over the two simulators (Coinbase Exchange and Advanced Trade), through the real
``sync_fills`` engine and store: the fill shape (``FillRow`` fields, exact strings, never a float), unique
keys, a full walk equal to the simulator's history field by field, resume after a crash (inside a page's
transaction, and between pages) with nothing lost or doubled, and adjustments (Exchange: a settlement
changes stored rows; Advanced Trade: REVERSAL / CORRECTION entries posted later are new rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sim_fixtures import advanced_client, advanced_history_rows, history_rows
from trade_tracker.sim import RunningSim
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FILL_COLUMNS, FillRow
from trade_tracker.store.sync_state import SyncStateQueries
from trade_tracker.sync.engine import sync_fills
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits

LABEL = "sim"
KEY = FILL_COLUMNS.index("fill_key")


class Crash(Exception):
    """The test's stand-in for a kill: raised inside a page's transaction or between pages."""


@dataclass
class Case:
    """One venue's simulator as the contract sees it."""

    name: str
    start: Callable[[], Any]
    client: Callable[[Any], Any]
    history: Callable[[Any], list[tuple[Any, ...]]]
    adjust: Callable[[Any], int]  #: post adjustments; how many stored rows the next sync must insert or update
    limit: int


def _exchange_case(factory: Callable[..., RunningSim]) -> Case:
    def client(sim: RunningSim) -> CoinbaseClient:
        c = sim.credential
        credential = ApiCredential(c.key, c.secret, c.passphrase, label=LABEL)
        return CoinbaseClient(sim.url, credential, rate_limits=RateLimits.disabled())

    def adjust(sim: RunningSim) -> int:
        return len(sim.exchange.settle())  # settled and fee change on every unsettled fill

    return Case(
        "exchange",
        lambda: factory(fills=900, seed=3, unsettled=6),
        client,
        lambda sim: sorted(history_rows(sim.exchange, LABEL), key=lambda r: r[KEY]),
        adjust,
        limit=40,
    )


def _advanced_case(factory: Callable[..., RunningAdvanced]) -> Case:
    def adjust(sim: RunningAdvanced) -> int:
        made = sim.advanced.post_adjustments("REVERSAL", count=3)
        made += sim.advanced.post_adjustments("CORRECTION", count=2)
        return len(made) + len(sim.advanced.add_fills(7))

    return Case(
        "advanced",
        lambda: factory(fills=900, seed=3),
        advanced_client,
        lambda sim: advanced_history_rows(sim, LABEL),
        adjust,
        limit=40,
    )


@pytest.fixture(params=["exchange", "advanced"])
def case(
    request: pytest.FixtureRequest,
    sim_factory: Callable[..., RunningSim],
    sim_advanced_factory: Callable[..., RunningAdvanced],
) -> Case:
    return _exchange_case(sim_factory) if request.param == "exchange" else _advanced_case(sim_advanced_factory)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TradeStore]:
    with TradeStore(tmp_path / "trades.db") as opened:
        yield opened


def stored(store: TradeStore) -> list[tuple[Any, ...]]:
    with store.reading("test") as conn:
        return conn.execute(f"SELECT {', '.join(FILL_COLUMNS)} FROM fills ORDER BY fill_key").fetchall()


async def test_a_full_walk_stores_the_history_exactly_once(case: Case, store: TradeStore) -> None:
    sim = case.start()
    async with case.client(sim) as client:
        first = await sync_fills(store, client, LABEL, limit=case.limit)
        assert first.pages > 3 and not first.failed
        assert all(p.complete for p in first.products)
        rows = stored(store)
        assert rows == case.history(sim)  # every field of every fill, as the simulator holds it
        assert first.inserted == len(rows)
        assert (await sync_fills(store, client, LABEL, limit=case.limit)).inserted == 0


async def test_the_fill_shape_and_unique_keys(case: Case, store: TradeStore) -> None:
    sim = case.start()
    async with case.client(sim) as client:
        await sync_fills(store, client, LABEL, limit=case.limit)
    rows = stored(store)
    with store.reading("test") as conn:
        keys = "SELECT count(*) FROM (SELECT DISTINCT label, venue, fill_key FROM fills)"
        (distinct,) = conn.execute(keys).fetchone()
        (venue,) = conn.execute("SELECT DISTINCT venue FROM fills").fetchone()
    assert distinct == len(rows) and venue == case.name
    for values in rows:
        row = FillRow(*values)
        assert not any(isinstance(v, float) for v in row)
        assert all(isinstance(getattr(row, f), str) for f in ("price", "size", "fee", "created_at", "side"))
        assert row.side in ("buy", "sell") and row.liquidity in ("M", "T", None) and row.settled in (0, 1)
        assert len(row.created_at) == len("2026-01-01T00:00:00.000000Z") and row.created_at.endswith("Z")
        if case.name == "advanced":
            assert row.fill_key == row.entry_id and isinstance(row.trade_id, str)
            assert row.fee == row.commission and row.settled == 1 and row.profile_id == row.retail_portfolio_id
        else:
            assert row.fill_key == f"{row.product_id}:{row.trade_id}" and isinstance(row.trade_id, int)
    if case.name == "advanced":
        kinds = {FillRow(*r).trade_type for r in rows}
        assert {"FILL", "REVERSAL", "CORRECTION"} <= kinds
        assert any(FillRow(*r).size_in_quote for r in rows)


@pytest.mark.parametrize("where", ["inside a page's transaction", "between pages"])
async def test_a_crash_loses_and_duplicates_nothing(
    case: Case, store: TradeStore, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    sim = case.start()
    commit_page = SyncStateQueries.commit_page
    calls = [0]

    def crashing_commit(self: SyncStateQueries, label: str, scope: str, rows: Any, advance: Any, **kw: Any) -> Any:
        calls[0] += 1

        def advance_then_crash(state: Any) -> Any:
            moved = advance(state)
            if calls[0] == 3:
                raise Crash  # inside the transaction: the page's rows were written, and roll back with it
            return moved

        return commit_page(self, label, scope, rows, advance_then_crash, **kw)

    def crash_after_page(progress: Any) -> None:
        if progress.pages == 3:
            raise Crash

    async with case.client(sim) as client:
        if where == "inside a page's transaction":
            monkeypatch.setattr(SyncStateQueries, "commit_page", crashing_commit)
            with pytest.raises(Crash):
                await sync_fills(store, client, LABEL, limit=case.limit)
            monkeypatch.setattr(SyncStateQueries, "commit_page", commit_page)
        else:
            with pytest.raises(Crash):
                await sync_fills(store, client, LABEL, limit=case.limit, progress=crash_after_page)
        kept = stored(store)
        assert 0 < len(kept) < len(case.history(sim))
        again = await sync_fills(store, client, LABEL, limit=case.limit)
    assert again.inserted == len(case.history(sim)) - len(kept)
    assert stored(store) == case.history(sim)
    with store.reading("test") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_adjustments_posted_later_are_picked_up(case: Case, store: TradeStore) -> None:
    sim = case.start()
    async with case.client(sim) as client:
        await sync_fills(store, client, LABEL, limit=case.limit)
        changes = case.adjust(sim)
        assert changes > 0
        later = await sync_fills(store, client, LABEL, limit=case.limit)
    assert later.inserted + later.updated == changes
    assert stored(store) == case.history(sim)
