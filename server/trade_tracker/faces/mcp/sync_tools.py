"""The MCP face of the fills sync: ``sync_fills``, ``sync_status`` and ``cancel_sync`` on the server's jobs.

Why a module of its own: the sync tools are the only ones that outlive a call. ``sync_fills``
starts (or joins) a job in :class:`sync_jobs.SyncJobs`, waits at most ``wait_seconds`` while
relaying progress to its caller, and answers either the final result or ``status: running`` with
the job's handle and progress; the job goes on in the server (see ``sync_jobs.py`` for the design).
:class:`ServerState` is what the server's lifespan opens: the core plus the jobs it owns.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from trade_tracker.app import TradeTracker
from trade_tracker.errors import TradeTrackerError
from trade_tracker.sync.estimate import Estimate, estimate, history_start
from trade_tracker.sync.jobs import JobOut, JobProgress, JobStatus, SyncJob, SyncJobs
from trade_tracker.sync.results import ProductSyncResult
from trade_tracker.sync.status import SyncStatusOut
from trade_tracker.sync.status import sync_status as status_of

from .params import CancelLabel, Label, ProductId, StatusLabel
from .results import read_only, respond, translate_errors, writes
from .venue_text import venue_doc

__all__ = [
    "CANCEL_WAIT_SECONDS",
    "DEFAULT_WAIT_SECONDS",
    "MAX_WAIT_SECONDS",
    "CancelSyncOut",
    "ServerState",
    "SyncFillsOut",
    "register_sync_tools",
]

MAX_WAIT_SECONDS = 50
DEFAULT_WAIT_SECONDS = 25
#: How long cancel_sync waits for the job to stop (it stops after the page in flight).
CANCEL_WAIT_SECONDS = 15


class ServerState:
    """What one server's lifespan holds: the core, and the sync jobs that outlive tool calls."""

    def __init__(self, tracker: TradeTracker) -> None:
        self.tracker = tracker
        self._history_starts: dict[str, datetime | None] = {}
        # The credential service is opened on the first sync, not at start (it costs the cold start).
        self.jobs = SyncJobs(self._run, lambda label: tracker.credentials.resolve_label(label), self._estimate)

    async def _run(self, job: SyncJob) -> Any:
        t = self.tracker
        if job.label not in self._history_starts and (job.full_history or _history_walk_ahead(t, job.label)):
            # One /profiles request, only when a long walk is likely: the estimate's bound on the history.
            self._history_starts[job.label] = await history_start(t.client_for(job.label)[1])
        job.history_start = self._history_starts.get(job.label)
        return await t.sync_fills(
            job.label, job.product_ids, full_history=job.full_history, progress=job.report, cancel=job.cancel
        )

    def _estimate(self, job: SyncJob) -> Estimate | None:
        if job.latest is None:
            return None
        try:
            return estimate(
                self.tracker.store, job.label, job.latest, pages=job.pages, seconds=job.elapsed, start=job.history_start
            )
        except TradeTrackerError:
            return None

    async def aclose(self) -> None:
        await self.jobs.aclose()


def _history_walk_ahead(tracker: TradeTracker, label: str) -> bool:
    states = tracker.store.sync_states(label)
    return not states or any(s.history_walk_open or not s.has_mark for s in states)


class SyncFillsOut(BaseModel):
    """A sync job's answer: the final result, or ``status: running`` with the job's progress so far.

    While running, the result fields (products, inserted, ...) are null: the sync goes on in the
    server; follow it with sync_status or call sync_fills again to wait for it.
    """

    status: JobStatus
    job_id: str
    joined: bool = Field(description="this call joined a sync already running for the label")
    label: str
    message: str
    note: str | None = Field(default=None, description="when this call's arguments differ from the running job's")
    progress: JobProgress | None = None
    products: list[ProductSyncResult] | None = None
    inserted: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    pages: int | None = None
    requests: int | None = None
    seconds: float | None = None
    cancelled: bool | None = None


class CancelSyncOut(BaseModel):
    """What cancel_sync did. ``stopping``: asked, still finishing its current page; ``idle``: nothing ran."""

    label: str
    status: Literal["cancelled", "stopping", "idle", "completed", "failed", "interrupted"]
    message: str
    job: JobOut | None = None


def _progress_text(job: SyncJob) -> str:
    p = job.latest
    if p is None:
        return "choosing the products to sync"
    return (
        f"{p.product_id}: {p.pages} pages, {p.fills} fills (product {p.products_done + 1}/{p.products_total}, "
        f"{p.fills_total} fills in all)"
    )


def _answer(job: SyncJob, joined: bool, note: str | None, estimator: Any) -> SyncFillsOut:
    snap = job.snapshot(estimator)
    base: dict[str, Any] = {"status": snap.status, "job_id": job.id, "joined": joined, "label": job.label, "note": note}
    result = job.result
    if snap.status == "running":
        pr = snap.progress
        planned = (
            f"product {pr.products_done + 1} of {pr.products_planned} ({pr.current_product})"
            if pr.products_planned
            else "choosing the products"
        )
        eta = f"; {pr.estimate.text}" if pr.estimate else ""
        message = (
            f"Still syncing {job.label} in the background (job {job.id}): {pr.fills_synced} fills so far, "
            f"{planned}{eta}. It goes on without this call: follow it with sync_status, call sync_fills "
            "again to wait for it, or cancel_sync to stop it."
        )
        return SyncFillsOut(**base, message=message, progress=pr)
    if result is None:
        raise ToolError(f"the sync of {job.label} failed: {snap.error}")
    if result.failed:
        raise ToolError(f"the sync of {job.label} failed for every product: {snap.error}")
    if result.cancelled:
        message = (
            f"The sync of {job.label} was cancelled after {result.pages} pages; every fill fetched is stored "
            "and the next sync_fills resumes where it stopped."
        )
    else:
        errors = [p.product_id for p in result.products if p.error]
        failed = f" ({', '.join(errors)} refused by the exchange: see their error)" if errors else ""
        message = (
            f"Synced {job.label}: {result.inserted} new fills, {result.updated} updated, "
            f"{len(result.products)} products in {result.seconds:g} s{failed}."
        )
    return SyncFillsOut(**{**result.model_dump(), **base}, message=message)


def _join_note(job: SyncJob, product_ids: list[str] | None, full_history: bool) -> str | None:
    asked = sorted(p.upper() for p in product_ids) if product_ids is not None else None
    running = sorted(job.product_ids) if job.product_ids is not None else None
    if asked == running and full_history == job.full_history:
        return None
    return (
        f"joined the sync already running for {job.label} (started {job.started_at}, products "
        f"{', '.join(running) if running else 'of the account'}, full_history={job.full_history}); this call's "
        "product_ids/full_history were not applied: call sync_fills again once it has finished"
    )


def register_sync_tools(mcp: MCPServer[Any], state_of: Any) -> None:
    """Add sync_fills, sync_status and cancel_sync to ``mcp`` (in that order); ``state_of(ctx)`` gives the
    ServerState."""
    _add_sync_fills(mcp, state_of)
    _add_sync_status(mcp, state_of)
    _add_cancel_sync(mcp, state_of)


def _add_sync_fills(mcp: MCPServer[Any], state_of: Any) -> None:
    @mcp.tool(
        title="Sync fills into the local store",
        annotations=writes(open_world=True, idempotent=True),
    )
    @translate_errors
    @venue_doc
    async def sync_fills(
        ctx: Context,
        label: Label | None = None,
        product_ids: Annotated[
            list[ProductId] | None, Field(max_length=50, description="products to sync; default: the account's")
        ] = None,
        full_history: Annotated[bool, Field(description="re-read the whole history (slow); default: only new")] = False,
        wait_seconds: Annotated[
            float,
            Field(
                ge=0,
                le=MAX_WAIT_SECONDS,
                description="how long this call waits for the sync to finish "
                "(0-50 s); it goes on in the background after that",
            ),
        ] = DEFAULT_WAIT_SECONDS,
    ) -> Annotated[CallToolResult, SyncFillsOut]:
        """Bring the credential's fills from Coinbase into the local store: the whole history the first time,
        then only new fills (and settlement changes). The sync runs in the server as a job: this call waits at
        most wait_seconds, then returns the result, or status "running" with a job_id, the progress so far and an
        estimate of the time left; the job goes on in the background. A first sync of a large account takes
        minutes ({fill_pages}): follow it with sync_status, or call sync_fills again to wait
        (a second call joins the running job, it never starts another). cancel_sync stops it; cancelling this
        call only stops waiting. Sends progress notifications while it waits. Safe to repeat."""
        state: ServerState = state_of(ctx)
        job, joined = state.jobs.start(label, product_ids, full_history)
        note = _join_note(job, product_ids, full_history) if joined else None

        async def progress(j: SyncJob) -> None:
            if j.latest is not None:  # MCP progress must only grow: the job's running total of fills
                await ctx.report_progress(j.latest.fills_total, None, _progress_text(j))

        await job.wait(wait_seconds, progress)
        return respond(_answer(job, joined, note, state.jobs.estimator))


def _add_sync_status(mcp: MCPServer[Any], state_of: Any) -> None:
    @mcp.tool(
        title="Sync status: what is stored, what is running",
        annotations=read_only(open_world=False),
    )
    @translate_errors
    async def sync_status(ctx: Context, label: StatusLabel | None = None) -> Annotated[CallToolResult, SyncStatusOut]:
        """Per credential label and product: whether a sync is running (with its progress and time left), when
        each last synced and how that run ended (completed, cancelled, failed, interrupted), fills stored and
        the dates they span, whether the whole history is stored, and the last error. Offline: reads only the
        local store. Check it before answering that nothing was traded: an empty store may just not be synced."""
        state: ServerState = state_of(ctx)
        known = [c.label for c in state.tracker.credentials.list()]
        return respond(status_of(state.tracker.store, state.jobs, known, label))


def _add_cancel_sync(mcp: MCPServer[Any], state_of: Any) -> None:
    @mcp.tool(
        title="Cancel a running sync",
        annotations=writes(open_world=False, idempotent=True),
    )
    @translate_errors
    async def cancel_sync(ctx: Context, label: CancelLabel | None = None) -> Annotated[CallToolResult, CancelSyncOut]:
        """Stop the sync job running for the label after its current page. Every fill fetched so far stays
        stored and the next sync_fills resumes where it stopped. Does nothing when no sync is running. Without
        label, stops the one sync running (if only one is)."""
        state: ServerState = state_of(ctx)
        resolved, job = await state.jobs.cancel(label, CANCEL_WAIT_SECONDS)
        if job is None:
            return respond(CancelSyncOut(label=resolved, status="idle", message=f"no sync is running for {resolved}"))
        snap = job.snapshot(None)
        status = "stopping" if snap.status == "running" else snap.status
        messages = {
            "stopping": "asked to stop; it finishes the page in flight first (check sync_status)",
            "cancelled": f"stopped after {snap.progress.pages} pages; every fill fetched is stored",
            "completed": "it had already finished",
        }
        message = f"sync of {resolved}: " + messages.get(status, snap.error or status)
        return respond(CancelSyncOut(label=resolved, status=status, message=message, job=snap))
