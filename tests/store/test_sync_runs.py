"""Sync-run records: written at start, touched while running, closed however the run ends; a run whose
process died reads as interrupted; the stored ranges per label and product."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trade_tracker.errors import ExchangeUnavailable
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.sync_runs import (
    INTERRUPTED_ERROR,
    KEEP_RUNS,
    RunRecorder,
    latest_runs,
    pid_alive,
    stored_ranges,
)
from trade_tracker.sync.results import ProductSyncResult, SyncProgress, SyncResult
from trade_tracker.sync.status import sync_status


def _result(label: str = "main", *, error: str | None = None, cancelled: bool = False) -> SyncResult:
    product = ProductSyncResult(product_id="BTC-USD", inserted=300, pages=4, complete=not cancelled, error=error)
    return SyncResult(
        label=label,
        products=[product],
        inserted=300,
        pages=4,
        requests=4,
        seconds=0.5,
        cancelled=cancelled,
        failed=error is not None,
    )  # as sync_fills sets it: every product failed


def _progress(fills: int) -> SyncProgress:
    return SyncProgress(
        product_id="BTC-USD",
        phase="backfill",
        pages=fills // 100,
        fills=fills,
        products_done=0,
        products_total=2,
        fills_total=fills,
    )


async def test_a_completed_run_is_recorded_with_its_counts(tmp_path: Path) -> None:
    with TradeStore(tmp_path / "t.db") as store:
        recorder = RunRecorder(store, "main", ["BTC-USD"], False)

        async def sync(report):
            await report(_progress(100))
            return _result()

        await recorder.run(sync)
        run = latest_runs(store)["main"]
    assert run.outcome == "completed" and run.finished_at and run.error is None
    assert (run.inserted, run.pages, run.requests, run.fills_seen) == (300, 4, 4, 300)
    assert run.requested_products == ["BTC-USD"] and run.pid == os.getpid()
    assert run.products and run.products[0]["product_id"] == "BTC-USD"


@pytest.mark.parametrize(
    ("raised", "outcome", "error"),
    [
        (ExchangeUnavailable("Coinbase answered 503", status_code=503), "failed", "Coinbase answered 503"),
        (
            RuntimeError("detail that may hold anything"),
            "failed",
            "unexpected RuntimeError (details in the server log)",
        ),
        (asyncio.CancelledError(), "interrupted", INTERRUPTED_ERROR),
    ],
)
async def test_a_run_that_raises_records_how_it_ended(
    tmp_path: Path, raised: BaseException, outcome: str, error: str
) -> None:
    with TradeStore(tmp_path / "t.db") as store:

        async def sync(report):
            raise raised

        with pytest.raises(type(raised)):
            await RunRecorder(store, "main", None, True).run(sync)
        run = latest_runs(store, "main")["main"]
    assert (run.outcome, run.error, run.full_history) == (outcome, error, True)
    assert run.finished_at is not None


async def test_cancelled_and_all_failed_results_are_told_apart(tmp_path: Path) -> None:
    with TradeStore(tmp_path / "t.db") as store:

        async def cancelled(report):
            return _result(cancelled=True)

        async def refused(report):
            return _result(error="Coinbase answered 404: NotFound")

        await RunRecorder(store, "a", None, False).run(cancelled)
        await RunRecorder(store, "b", None, False).run(refused)
        runs = latest_runs(store)
    assert runs["a"].outcome == "cancelled"
    assert runs["b"].outcome == "failed" and runs["b"].error == "BTC-USD: Coinbase answered 404: NotFound"


def test_heartbeats_are_rate_limited_and_old_runs_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trade_tracker.store.sync_runs as sync_runs

    with TradeStore(tmp_path / "t.db") as store:
        recorder = RunRecorder(store, "main", None, False)
        recorder.start()
        recorder.progress(_progress(100))  # within HEARTBEAT_SECONDS of the start: not written
        assert latest_runs(store)["main"].fills_seen == 0
        monkeypatch.setattr(sync_runs, "HEARTBEAT_SECONDS", 0.0)
        recorder.progress(_progress(500))
        assert latest_runs(store)["main"].fills_seen == 500 and latest_runs(store)["main"].products_total == 2
        for _ in range(KEEP_RUNS + 5):
            extra = RunRecorder(store, "main", None, False)
            extra.start()
            extra.finish("completed", result=_result())
        (count,) = store.conn.execute("SELECT count(*) FROM sync_runs WHERE label = 'main'").fetchone()
    assert count == KEEP_RUNS


def test_a_run_whose_process_died_reads_as_interrupted(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    assert not pid_alive(dead_pid) and pid_alive(os.getpid())
    with TradeStore(tmp_path / "t.db") as store:
        recorder = RunRecorder(store, "main", None, False)
        recorder.start()
        store.conn.execute("UPDATE sync_runs SET pid = ?", (dead_pid,))
        status = sync_status(store, None, ["main"])
        run = latest_runs(store)["main"]
        assert not run.alive()
        store.conn.execute("UPDATE sync_runs SET pid = ?", (os.getppid(),))  # a live process, not this one
        elsewhere = sync_status(store, None, ["main"]).labels[0]
        store.conn.execute("UPDATE sync_runs SET pid = ?", (os.getpid(),))  # ours, but no job of ours runs it
        ours = sync_status(store, None, ["main"]).labels[0]
    entry = status.labels[0]
    assert entry.state == "idle" and entry.last_run is not None and entry.last_run.outcome == "interrupted"
    assert entry.last_run.finished_at is None and "resumes" in (entry.last_run.error or "")
    assert elsewhere.state == "running" and elsewhere.running_in == "another process"
    assert ours.state == "idle" and ours.last_run is not None and ours.last_run.outcome == "interrupted"


def _fill(product_id: str, trade_id: int, created_at: str, label: str) -> tuple[object, ...]:
    return (
        product_id,
        trade_id,
        f"order-{trade_id}",
        "buy",
        "100.5",
        "0.1",
        "0.05",
        None,
        "T",
        1,
        created_at,
        None,
        None,
        None,
        None,
        label,
    )


def test_a_store_from_before_m008_gets_the_table_and_reports_no_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trade_tracker.store.migrations import MIGRATIONS

    path = tmp_path / "trades.db"
    before = [fn for fn in MIGRATIONS if fn.__name__ != "m008_sync_runs"]
    monkeypatch.setattr("trade_tracker.store.connection.MIGRATIONS", before)
    with TradeStore(path) as old:
        old.upsert_fills(
            [
                _fill("BTC-USD", 1, "2025-01-02T00:00:00.000000Z", "main"),
                _fill("BTC-USD", 2, "2025-03-04T00:00:00.000000Z", "main"),
                _fill("ETH-USD", 7, "2025-02-01T00:00:00.000000Z", "main"),
                _fill("ETH-USD", 8, "2025-02-05T00:00:00.000000Z", "other"),
            ]
        )
    monkeypatch.undo()
    with TradeStore(path) as store:
        assert "m008_sync_runs" in {r[0] for r in store.conn.execute("SELECT name FROM _migrations")}
        ranges = stored_ranges(store)
        one = stored_ranges(store, "main", "BTC-USD")
        status = sync_status(store)
        only = sync_status(store, label="other")
    assert [(r.label, r.product_id, r.fills, r.first_at[:10], r.last_at[:10]) for r in ranges] == [
        ("main", "BTC-USD", 2, "2025-01-02", "2025-03-04"),
        ("main", "ETH-USD", 1, "2025-02-01", "2025-02-01"),
        ("other", "ETH-USD", 1, "2025-02-05", "2025-02-05"),
    ]
    assert len(one) == 1 and one[0].fills == 2
    assert [e.label for e in status.labels] == ["main", "other"] and status.hint is None
    main = status.labels[0]
    assert main.fills_stored == 3 and main.first_fill_at.startswith("2025-01-02") and main.last_run is None
    assert main.history_complete is False  # never synced: no sync_state says the history is whole
    assert [e.label for e in only.labels] == ["other"] and only.labels[0].fills_stored == 1


@pytest.mark.parametrize(
    ("raised", "outcome"),
    [
        (ExchangeUnavailable("Coinbase answered 503", status_code=503), "failed"),
        (asyncio.CancelledError(), "interrupted"),
    ],
)
async def test_a_run_stopped_midway_records_what_it_stored(tmp_path: Path, raised: BaseException, outcome: str) -> None:
    """The counts are the partial result's (as sync_fills attaches it), not 0 and null."""
    with TradeStore(tmp_path / "t.db") as store:

        async def sync(report):
            await report(_progress(100))  # the only heartbeat written: the next ones come too soon
            await report(_progress(300))
            raised.sync_result = _result()  # type: ignore[attr-defined]
            raise raised

        with pytest.raises(type(raised)):
            await RunRecorder(store, "main", None, False).run(sync)
        run = latest_runs(store, "main")["main"]
    assert run.outcome == outcome
    assert (run.pages, run.inserted, run.fills_seen, run.requests) == (4, 300, 300, 4)


async def test_a_run_stopped_without_a_result_records_its_newest_progress(tmp_path: Path) -> None:
    with TradeStore(tmp_path / "t.db") as store:

        async def sync(report):
            await report(_progress(100))
            await report(_progress(900))
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await RunRecorder(store, "main", None, False).run(sync)
        run = latest_runs(store, "main")["main"]
    assert (run.outcome, run.fills_seen, run.products_total) == ("failed", 900, 2)
