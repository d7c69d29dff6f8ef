"""Sync jobs the MCP server owns: at most one background walk per credential label, joined, waited on, cancelled.

Why: MCP clients give up on a tool call after about a minute, and the first sync of a large
account takes minutes at Coinbase's rate limit (200,000 fills: about 3.5 min). Following the
2026-07-28 guidance (server-minted job handles plus progress notifications; the python SDK has
no tasks extension), ``sync_fills`` starts a :class:`SyncJob` here, or joins the one already
running for that label, and waits at most ``wait_seconds``. The job is an asyncio task owned by
the server's lifespan (:meth:`SyncJobs.aclose` cancels it at shutdown), not by the tool call:

- a waiting call gets the job's progress as it happens (sent from the call's own task, to its own
  progress token), and its result if the job ends in time;
- cancelling the waiting call (``notifications/cancelled``) cancels only the wait;
- :meth:`SyncJobs.cancel` (the ``cancel_sync`` tool) sets the job's cancel event: the sync stops
  after the page being stored;
- a server that dies mid-job loses nothing: every page is committed with its cursor, and the next
  sync resumes there (``sync.py``); the run record (``sync_runs.py``) then shows *interrupted*.

Nothing here knows MCP: the runner (what one job runs) and the label resolver are injected.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..errors import SyncCancelled, TradeTrackerError
from ..formats import utc_now
from .estimate import Estimate
from .results import SyncProgress, SyncResult

__all__ = ["Estimator", "JobOut", "JobProgress", "JobStatus", "SyncJob", "SyncJobs", "SyncRunner"]

log = logging.getLogger("trade_tracker.sync")

JobStatus = Literal["running", "completed", "cancelled", "failed", "interrupted"]


class JobProgress(BaseModel):
    """How far a job has got."""

    products_planned: int | None = Field(description="products this sync covers (null until it has chosen them)")
    products_done: int
    current_product: str | None
    phase: str | None = Field(description="backfill (the history walk), incremental or resettle")
    pages: int
    fills_synced: int = Field(description="fills fetched and stored by this job so far")
    estimate: Estimate | None = None


class JobOut(BaseModel):
    """A sync job as the tools show it: the handle (``job_id``), its state and its progress."""

    job_id: str
    label: str
    status: JobStatus
    started_at: str
    elapsed_seconds: float
    product_ids: list[str] | None = Field(description="the products asked for; null: the account's products")
    full_history: bool
    cancel_requested: bool
    progress: JobProgress
    error: str | None = None


class SyncJob:
    """One sync of one label running in the background. ``id`` is minted here and never reused."""

    def __init__(self, label: str, product_ids: Sequence[str] | None, full_history: bool) -> None:
        self.id = f"sync-{secrets.token_hex(6)}"
        self.label = label
        self.product_ids = list(dict.fromkeys(p.upper() for p in product_ids)) if product_ids is not None else None
        self.full_history = full_history
        self.started_at = utc_now()
        self.cancel = asyncio.Event()
        self.task: asyncio.Task[SyncResult] | None = None
        self.latest: SyncProgress | None = None
        self.pages = 0
        self.joins = 0
        #: When the account's history can begin (for the estimate); set by the runner when it knows.
        self.history_start: datetime | None = None
        self._t0 = time.monotonic()
        self._ended: float | None = None
        self._pulse = asyncio.Event()

    def __repr__(self) -> str:
        return f"SyncJob({self.id!r}, label={self.label!r}, status={self.status!r})"

    # -- what the runner calls ---------------------------------------------------------------------

    async def report(self, progress: SyncProgress) -> None:
        """The sync's progress callback: remember it and wake every waiting call."""
        self.latest = progress
        self.pages += 1
        self._wake()

    def _wake(self) -> None:
        pulse, self._pulse = self._pulse, asyncio.Event()
        pulse.set()

    def task_done(self, task: asyncio.Task[SyncResult]) -> None:
        """The task's done callback: log a foreign failure once, and wake every waiting call."""
        self._ended = time.monotonic()
        if not task.cancelled():
            exc = task.exception()  # retrieved here, so asyncio never logs it as unhandled
            if exc is not None and not isinstance(exc, TradeTrackerError):
                log.error("sync job %s failed", self.id, exc_info=exc)
        self._wake()

    # -- state -----------------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.done()

    @property
    def elapsed(self) -> float:
        return round((self._ended or time.monotonic()) - self._t0, 3)

    @property
    def result(self) -> SyncResult | None:
        """The sync's result once it returned one (also when it was cancelled or every product failed)."""
        if self.task is None or not self.task.done() or self.task.cancelled() or self.task.exception():
            return None
        return self.task.result()

    @property
    def status(self) -> JobStatus:
        if self.task is None or not self.task.done():
            return "running"
        if self.task.cancelled():
            return "interrupted"
        if self.task.exception() is not None:
            return "failed"
        result = self.task.result()
        return "cancelled" if result.cancelled else "failed" if result.failed else "completed"

    @property
    def error(self) -> str | None:
        """Why the job failed, in one secret-free sentence (our errors' own messages)."""
        if self.task is None or not self.task.done():
            return None
        if self.task.cancelled():
            return "the server shut down during the sync; the next sync resumes where it stopped"
        exc = self.task.exception()
        if isinstance(exc, TradeTrackerError):
            return str(exc)
        if exc is not None:
            return f"unexpected {type(exc).__name__} (details in the server log)"
        result = self.task.result()
        if result.failed:
            return "; ".join(f"{p.product_id}: {p.error}" for p in result.products)
        return None

    def snapshot(self, estimator: Estimator | None = None) -> JobOut:
        p = self.latest
        progress = JobProgress(
            products_planned=p.products_total if p else None,
            products_done=p.products_done if p else 0,
            current_product=p.product_id if p and not self.done else None,
            phase=p.phase if p and not self.done else None,
            pages=self.pages,
            fills_synced=p.fills_total if p else 0,
        )
        if estimator is not None and p is not None and not self.done:
            progress.estimate = estimator(self)
        return JobOut(
            job_id=self.id,
            label=self.label,
            status=self.status,
            started_at=self.started_at,
            elapsed_seconds=self.elapsed,
            product_ids=self.product_ids,
            full_history=self.full_history,
            cancel_requested=self.cancel.is_set(),
            progress=progress,
            error=self.error,
        )

    # -- waiting -----------------------------------------------------------------------------------

    async def wait(self, timeout: float, on_progress: Callable[[SyncJob], Awaitable[None]] | None = None) -> bool:
        """Wait until the job ends or ``timeout`` seconds pass; True if it ended.

        ``on_progress`` runs in the caller's task after each page (and once at once if the job
        has progress already, for a call that joins). Cancelling the caller cancels only this wait.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        if on_progress is not None and self.latest is not None and not self.done:
            await on_progress(self)
        while not self.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._pulse.wait(), remaining)
            except TimeoutError:
                return self.done
            if on_progress is not None and not self.done:
                await on_progress(self)
        return True


SyncRunner = Callable[[SyncJob], Awaitable[SyncResult]]
Estimator = Callable[[SyncJob], Estimate | None]


class SyncJobs:
    """The server's sync jobs: at most one running per label, the last finished one kept per label.

    Args:
        runner: runs one job's sync (it passes ``job.report`` as progress and ``job.cancel``).
        resolve_label: the label a request means (None: the default credential); raises our
            error for an unknown one, before any job starts.
        estimator: the time-left estimate of a running job, for snapshots.
    """

    def __init__(
        self, runner: SyncRunner, resolve_label: Callable[[str | None], str], estimator: Estimator | None = None
    ) -> None:
        self._runner = runner
        self._resolve = resolve_label
        self.estimator = estimator
        self._running: dict[str, SyncJob] = {}
        self._last: dict[str, SyncJob] = {}
        self._closed = False

    def start(
        self, label: str | None, product_ids: Sequence[str] | None = None, full_history: bool = False
    ) -> tuple[SyncJob, bool]:
        """The label's running job (joined: True), or a new one started now (joined: False)."""
        if self._closed:
            raise SyncCancelled("the server is shutting down; sync again once it has restarted")
        resolved = self._resolve(label)
        job = self._running.get(resolved)
        if job is not None and not job.done:
            job.joins += 1
            return job, True
        job = SyncJob(resolved, product_ids, full_history)
        job.task = asyncio.create_task(self._run(job), name=f"trade-tracker {job.id} ({resolved})")
        job.task.add_done_callback(job.task_done)
        self._running[resolved] = job
        return job, False

    async def _run(self, job: SyncJob) -> SyncResult:
        try:
            return await self._runner(job)
        finally:
            if self._running.get(job.label) is job:
                del self._running[job.label]
            self._last[job.label] = job

    def running(self, label: str | None = None) -> list[SyncJob]:
        """The running jobs (of one label, if given), by label."""
        return [j for k, j in sorted(self._running.items()) if label is None or k == label]

    def last(self, label: str) -> SyncJob | None:
        """The label's running job, else its last finished one (in this server's life)."""
        return self._running.get(label) or self._last.get(label)

    async def cancel(self, label: str | None, wait_seconds: float = 10.0) -> tuple[str, SyncJob | None]:
        """Ask the label's running job to stop after its current page; wait up to ``wait_seconds`` for it.

        Returns the label meant and its job, or None when no job runs for it (nothing to stop). Without
        ``label``, the one job running when there is exactly one (whatever the default credential is).
        """
        if label is None and len(self._running) == 1:
            resolved = next(iter(self._running))
        else:
            resolved = label if label is not None and label in self._running else self._resolve(label)
        job = self._running.get(resolved)
        if job is None:
            return resolved, None
        job.cancel.set()
        await job.wait(wait_seconds)
        return resolved, job

    async def aclose(self) -> None:
        """Shutdown: cancel every running job and wait for each to record how it ended."""
        self._closed = True
        tasks = [j.task for j in self._running.values() if j.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
