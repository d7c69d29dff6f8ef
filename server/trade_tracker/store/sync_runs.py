"""Sync-run records in the trade store: one row per sync of a credential label, and the stored ranges.

Why: a sync of a large account outlives the tool call that started it, and the process may die
during it. ``sync_status`` (and ``trade-tracker sync-status``) answer "when did this label last
sync, how did that end, what is stored" from these rows, offline, in any process.

A run is written when it starts (``started_at``, ``pid``), touched while it runs (``heartbeat_at``
and progress counts, at most every few seconds) and closed when it ends (``finished_at``,
``outcome``: completed / cancelled / failed / interrupted, the counts, the per-product results as
JSON, and an error text that comes from our own secret-free messages only). A row that never got
its ``finished_at`` belongs to a process that died (or is still running elsewhere: its pid is
alive and its heartbeat fresh); readers call that *interrupted*.

The table is created by migration ``m008_sync_runs`` (``migrations.py``) with :data:`SYNC_RUNS_SQL`.
All SQL goes through ``TradeStore.write``/``reading`` so sqlite3 errors become ``StoreError`` there.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from ..errors import TradeTrackerError
from ..formats import utc_now
from ..sync.results import partial_result

if TYPE_CHECKING:
    from ..sync.results import ProgressCallback, SyncProgress, SyncResult
    from .connection import TradeStore

__all__ = [
    "HEARTBEAT_SECONDS",
    "INTERRUPTED_ERROR",
    "STALE_AFTER_SECONDS",
    "SYNC_RUNS_SQL",
    "KEEP_RUNS",
    "Outcome",
    "RunRecorder",
    "StoredRange",
    "SyncRun",
    "latest_runs",
    "pid_alive",
    "stored_ranges",
]

#: The schema of ``sync_runs``, applied by migration m008_sync_runs.
SYNC_RUNS_SQL = (
    """
    CREATE TABLE sync_runs (
        run_id             INTEGER PRIMARY KEY AUTOINCREMENT,
        label              TEXT NOT NULL,
        started_at         TEXT NOT NULL,
        finished_at        TEXT,
        outcome            TEXT,
        error              TEXT,
        requested_products TEXT,
        full_history       INTEGER NOT NULL DEFAULT 0,
        pid                INTEGER,
        heartbeat_at       TEXT,
        products_total     INTEGER,
        products_done      INTEGER NOT NULL DEFAULT 0,
        fills_seen         INTEGER NOT NULL DEFAULT 0,
        pages              INTEGER NOT NULL DEFAULT 0,
        inserted           INTEGER,
        updated            INTEGER,
        requests           INTEGER,
        seconds            REAL,
        products           TEXT
    )
    """,
    "CREATE INDEX sync_runs_by_label ON sync_runs (label, run_id)",
)

Outcome = Literal["completed", "cancelled", "failed", "interrupted"]

log = logging.getLogger("trade_tracker.sync")

INTERRUPTED_ERROR = (
    "the sync stopped before it finished (the server shut down or the command was aborted); "
    "every page stored is kept and the next sync resumes there"
)

#: How often a running sync touches its row; a row untouched for STALE_AFTER_SECONDS is not running.
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 300.0
#: Runs kept per label (older ones are deleted when a run ends).
KEEP_RUNS = 50

_COLUMNS = (
    "run_id",
    "label",
    "started_at",
    "finished_at",
    "outcome",
    "error",
    "requested_products",
    "full_history",
    "pid",
    "heartbeat_at",
    "products_total",
    "products_done",
    "fills_seen",
    "pages",
    "inserted",
    "updated",
    "requests",
    "seconds",
    "products",
)


class SyncRun(BaseModel):
    """One row of ``sync_runs``; ``outcome`` None means it never finished (running, or its process died)."""

    run_id: int
    label: str
    started_at: str
    finished_at: str | None = None
    outcome: Outcome | None = None
    error: str | None = None
    requested_products: list[str] | None = None
    full_history: bool = False
    pid: int | None = None
    heartbeat_at: str | None = None
    products_total: int | None = None
    products_done: int = 0
    fills_seen: int = 0
    pages: int = 0
    inserted: int | None = None
    updated: int | None = None
    requests: int | None = None
    seconds: float | None = None
    products: list[dict[str, Any]] | None = None

    def alive(self, now: datetime | None = None) -> bool:
        """Unfinished, its process alive and its heartbeat fresh: a sync running in another process right now.

        Never this process: a run of ours is running only if the caller knows its job (after a restart,
        a container may hand the dead server's pid to the one asking).
        """
        if self.finished_at is not None or self.pid is None or self.pid == os.getpid() or not pid_alive(self.pid):
            return False
        beat = _parse(self.heartbeat_at or self.started_at)
        return (now or datetime.now(UTC)) - beat < timedelta(seconds=STALE_AFTER_SECONDS)


class StoredRange(BaseModel):
    """What the store holds for one (label, product): how many fills and the dates they span."""

    label: str
    product_id: str
    fills: int
    first_at: str | None
    last_at: str | None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (POSIX signal 0; a permission error still means it exists)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class RunRecorder:
    """Writes one sync run's row: :meth:`start`, then :meth:`progress` per page, then :meth:`finish`."""

    def __init__(self, store: TradeStore, label: str, product_ids: Sequence[str] | None, full_history: bool) -> None:
        self.store, self.label = store, label
        self.product_ids = list(product_ids) if product_ids is not None else None
        self.full_history = full_history
        self.run_id: int | None = None
        self._last_beat = 0.0
        self._latest: SyncProgress | None = None

    def start(self) -> int:
        now = utc_now()
        requested = json.dumps(self.product_ids) if self.product_ids is not None else None
        with self.store.write("recording the start of a sync") as conn:
            cursor = conn.execute(
                "INSERT INTO sync_runs (label, started_at, requested_products, full_history, pid, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.label, now, requested, int(self.full_history), os.getpid(), now),
            )
            self.run_id = int(cursor.lastrowid or 0)
        self._last_beat = time.monotonic()
        return self.run_id

    async def run(
        self,
        sync: Callable[[ProgressCallback], Awaitable[SyncResult]],
        progress: ProgressCallback | None = None,
    ) -> SyncResult:
        """Run ``sync(report)`` between :meth:`start` and :meth:`finish`, whatever way it ends.

        ``report`` touches the row and passes each progress on to ``progress``. A task
        cancellation or Ctrl-C records *interrupted*; our errors record their message, which
        is secret-free by contract; anything else only its type (details go to the log).
        """
        self.start()

        async def report(p: SyncProgress) -> None:
            self.progress(p)
            if progress is not None:
                outcome = progress(p)
                if inspect.isawaitable(outcome):
                    await outcome

        try:
            result = await sync(report)
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            self._finish_quietly("interrupted", error=INTERRUPTED_ERROR, result=partial_result(exc))
            raise
        except TradeTrackerError as exc:
            self._finish_quietly("failed", error=str(exc), result=partial_result(exc))
            raise
        except Exception as exc:
            self._finish_quietly(
                "failed",
                error=f"unexpected {type(exc).__name__} (details in the server log)",
                result=partial_result(exc),
            )
            raise
        errors = [f"{p.product_id}: {p.error}" for p in result.products if p.error]
        outcome: Outcome = "cancelled" if result.cancelled else "failed" if result.failed else "completed"
        self.finish(outcome, result=result, error="; ".join(errors) or None)
        return result

    def _finish_quietly(self, outcome: Outcome, *, error: str, result: SyncResult | None) -> None:
        """Record the end while an exception is on its way: a store error here must not replace it.

        ``result``: the sync's partial result (what it stored before the exception), so the row's
        counts are the truth, not those of the last throttled heartbeat.
        """
        try:
            self.finish(outcome, error=error, result=result)
        except TradeTrackerError as exc:
            log.warning("could not record the end of sync run %s: %s", self.run_id, exc)

    def progress(self, p: SyncProgress) -> None:
        """Touch the row with the run's progress, at most every HEARTBEAT_SECONDS (a write costs a commit)."""
        self._latest = p
        if self.run_id is None or time.monotonic() - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = time.monotonic()
        with self.store.write("recording sync progress") as conn:
            conn.execute(
                "UPDATE sync_runs SET heartbeat_at = ?, products_total = ?, products_done = ?, fills_seen = ? "
                "WHERE run_id = ?",
                (utc_now(), p.products_total, p.products_done, p.fills_total, self.run_id),
            )

    def finish(self, outcome: Outcome, *, result: SyncResult | None = None, error: str | None = None) -> None:
        """Close the row; ``result`` (when the sync returned one) gives the counts and per-product results."""
        if self.run_id is None:
            return
        now = utc_now()
        values: dict[str, Any] = {"finished_at": now, "heartbeat_at": now, "outcome": outcome, "error": error}
        if result is not None:
            values.update(
                products_total=len(result.products),
                products_done=len(result.products),
                fills_seen=result.inserted + result.updated + result.unchanged,
                pages=result.pages,
                inserted=result.inserted,
                updated=result.updated,
                requests=result.requests,
                seconds=result.seconds,
                products=json.dumps([p.model_dump(mode="json") for p in result.products]),
            )
        elif self._latest is not None:  # no result at all: the newest progress seen, not the last heartbeat's
            values.update(
                products_total=self._latest.products_total,
                products_done=self._latest.products_done,
                fills_seen=self._latest.fills_total,
            )
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.store.write("recording the end of a sync") as conn:
            conn.execute(f"UPDATE sync_runs SET {assignments} WHERE run_id = ?", (*values.values(), self.run_id))
            conn.execute(
                "DELETE FROM sync_runs WHERE label = ? AND run_id NOT IN "
                "(SELECT run_id FROM sync_runs WHERE label = ? ORDER BY run_id DESC LIMIT ?)",
                (self.label, self.label, KEEP_RUNS),
            )


def _run_from_row(row: Sequence[Any]) -> SyncRun:
    data = dict(zip(_COLUMNS, row, strict=True))
    for key in ("requested_products", "products"):
        data[key] = json.loads(data[key]) if data[key] else None
    data["full_history"] = bool(data["full_history"])
    return SyncRun.model_validate(data)


def latest_runs(store: TradeStore, label: str | None = None) -> dict[str, SyncRun]:
    """The newest run of each label (or of one label), by label."""
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM sync_runs WHERE run_id IN "
        "(SELECT max(run_id) FROM sync_runs{} GROUP BY label) ORDER BY label"
    )
    params: tuple[str, ...] = ()
    sql = sql.format(" WHERE label = ?" if label is not None else "")
    if label is not None:
        params = (label,)
    with store.reading("reading the sync runs") as conn:
        rows = conn.execute(sql, params).fetchall()
    runs = [_run_from_row(r) for r in rows]
    return {r.label: r for r in runs}


def stored_ranges(store: TradeStore, label: str | None = None, product_id: str | None = None) -> list[StoredRange]:
    """Per (label, product) in the store: fill count and first/last ``created_at``, by label and product.

    One pass over the matching fills (a count needs every row anyway); about 0.2 s per million.
    """
    clauses = [(c, v) for c, v in (("label = ?", label), ("product_id = ?", product_id)) if v is not None]
    where = " WHERE " + " AND ".join(c for c, _ in clauses) if clauses else ""
    params = tuple(v for _, v in clauses)
    sql = (
        "SELECT label, product_id, count(*), min(created_at), max(created_at) FROM fills"
        f"{where} GROUP BY label, product_id ORDER BY label, product_id"
    )
    with store.reading("summarising the stored fills") as conn:
        rows = conn.execute(sql, params).fetchall()
    return [StoredRange(label=r[0], product_id=r[1], fills=r[2], first_at=r[3], last_at=r[4]) for r in rows]
