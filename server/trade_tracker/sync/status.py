"""What is synced: per credential label and product, offline, for the ``sync_status`` tool and CLI verb.

Why: a model that sees an empty answer must be able to tell "nothing traded" from "nothing synced
yet" or "the first sync is still running". This module joins what the store knows (``sync_state``
cursors, ``sync_runs`` records, the fills themselves) with the jobs running in this server, and
writes the "nothing stored yet" hint that ``query_trades`` and ``trade_summary`` add to an empty
answer. It reads only the local store: no request, no secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from ..store.connection import TradeStore
from ..store.sync_runs import StoredRange, SyncRun, latest_runs, stored_ranges
from ..store.sync_state import SyncState
from ..venues.base import ACCOUNT_SCOPE, scope_products
from .jobs import JobOut, SyncJobs

__all__ = [
    "NOTHING_STORED",
    "LabelStatus",
    "ProductStatus",
    "RunOut",
    "SyncStatusOut",
    "empty_store_hint",
    "sync_status",
]

NOTHING_STORED = "nothing stored yet: run sync_fills"

RunOutcome = Literal["running", "completed", "cancelled", "failed", "interrupted"]


class RunOut(BaseModel):
    """The newest sync run of a label. ``interrupted``: it started and never finished (its process died or
    was stopped); the next sync resumes where it stopped."""

    started_at: str
    finished_at: str | None
    outcome: RunOutcome
    error: str | None = None
    inserted: int | None = None
    updated: int | None = None
    pages: int | None = None
    requests: int | None = None
    seconds: float | None = None
    fills_synced: int = Field(description="fills fetched by that run (so far, if it did not finish)")

    @classmethod
    def of(cls, run: SyncRun, running_here: bool) -> RunOut:
        outcome: RunOutcome
        if run.outcome is not None:
            outcome = run.outcome
        elif running_here or run.alive():
            outcome = "running"
        else:
            outcome = "interrupted"
        error = run.error
        if outcome == "interrupted" and error is None:
            error = "the process running it ended before the sync finished; the next sync resumes where it stopped"
        return cls(
            started_at=run.started_at,
            finished_at=run.finished_at,
            outcome=outcome,
            error=error,
            inserted=run.inserted,
            updated=run.updated,
            pages=run.pages,
            requests=run.requests,
            seconds=run.seconds,
            fills_synced=run.fills_seen,
        )


class ProductStatus(BaseModel):
    product_id: str
    syncing: bool = Field(description="the running job is on this product now")
    fills_stored: int
    first_fill_at: str | None
    last_fill_at: str | None
    history_complete: bool = Field(description="the whole history down to the oldest fill is stored")
    last_synced_at: str | None = Field(description="when a sync of this product last ended")
    last_sync_reached_newest: bool | None = Field(description="that sync read up to the newest fill")
    last_error: str | None = Field(default=None, description="the exchange's refusal in the last run, if any")


class LabelStatus(BaseModel):
    label: str
    state: Literal["running", "idle"]
    running_in: Literal["this server", "another process"] | None = None
    job: JobOut | None = Field(default=None, description="the running job and its progress (this server's)")
    last_run: RunOut | None = None
    fills_stored: int
    first_fill_at: str | None
    last_fill_at: str | None
    history_complete: bool = Field(description="every product's whole history is stored (none still walking)")
    products: list[ProductStatus]


class SyncStatusOut(BaseModel):
    """Sync state per credential label and product, from the local store (offline)."""

    count: int
    labels: list[LabelStatus]
    hint: str | None = None


def _product_status(
    product_id: str, state: SyncState | None, stored: StoredRange | None, run: SyncRun | None, current: str | None
) -> ProductStatus:
    errors = {p.get("product_id"): p.get("error") for p in (run.products or [])} if run else {}
    return ProductStatus(
        product_id=product_id,
        syncing=current == product_id,
        fills_stored=stored.fills if stored else 0,
        first_fill_at=stored.first_at if stored else None,
        last_fill_at=stored.last_at if stored else None,
        history_complete=bool(state and _complete(state)),
        last_synced_at=state.last_run_at if state else None,
        last_sync_reached_newest=state.last_run_complete if state else None,
        last_error=errors.get(product_id),
    )


def _complete(state: SyncState) -> bool:
    return bool(state.full_history_complete and not state.history_walk_open)


def _covering(walks: list[SyncState], product_id: str) -> SyncState | None:
    """The account-wide walk whose state says how far ``product_id`` is synced: the whole-account walk, else
    a walk of some products that lists it (an account-wide venue has no walk of its own per product)."""
    for state in sorted(walks, key=lambda s: s.scope != ACCOUNT_SCOPE):
        covered = scope_products(state.scope)
        if covered is None or product_id in covered:
            return state
    return None


def _label_status(
    label: str, states: list[SyncState], stored: list[StoredRange], run: SyncRun | None, jobs: SyncJobs | None
) -> LabelStatus:
    live = jobs.running(label) if jobs is not None else []
    job = live[0].snapshot(jobs.estimator) if live and jobs is not None else None
    current = job.progress.current_product if job else None
    by_state = {s.scope: s for s in states if scope_products(s.scope) == [s.scope]}  # one product's own walk
    walks = [s for s in states if s.scope not in by_state]  # account-wide walks (``*``, ``products:A,B``)
    by_stored = {r.product_id: r for r in stored}
    ids = sorted(
        set(by_state) | set(by_stored) | ({current} if current and current not in {w.scope for w in walks} else set())
    )
    products = [_product_status(p, by_state.get(p) or _covering(walks, p), by_stored.get(p), run, current) for p in ids]
    last_run = RunOut.of(run, running_here=bool(live)) if run else None
    running_in: Literal["this server", "another process"] | None = None
    if job is not None:
        running_in = "this server"
    elif last_run is not None and last_run.outcome == "running":
        running_in = "another process"
    firsts = [r.first_at for r in stored if r.first_at]
    lasts = [r.last_at for r in stored if r.last_at]
    return LabelStatus(
        label=label,
        state="running" if running_in else "idle",
        running_in=running_in,
        job=job,
        last_run=last_run,
        fills_stored=sum(r.fills for r in stored),
        first_fill_at=min(firsts, default=None),
        last_fill_at=max(lasts, default=None),
        history_complete=bool(states) and all(_complete(s) for s in [*by_state.values(), *walks]),
        products=products,
    )


def sync_status(
    store: TradeStore, jobs: SyncJobs | None = None, known_labels: Iterable[str] = (), label: str | None = None
) -> SyncStatusOut:
    """Every label the store or the credentials know (or just ``label``), each with its products."""
    states = store.sync_states(label)
    stored = stored_ranges(store, label)
    runs = latest_runs(store, label)
    running = [j.label for j in jobs.running(label)] if jobs is not None else []
    labels = {s.label for s in states} | {r.label for r in stored} | set(runs) | set(running)
    labels |= set(known_labels) if label is None else {label}
    out = [
        _label_status(
            name, [s for s in states if s.label == name], [r for r in stored if r.label == name], runs.get(name), jobs
        )
        for name in sorted(labels)
    ]
    hint = None
    if not any(entry.fills_stored for entry in out):
        hint = empty_store_hint(store, label, running, checked=True)
    return SyncStatusOut(count=len(out), labels=out, hint=hint)


def empty_store_hint(
    store: TradeStore, label: str | None = None, running: Iterable[str] = (), *, checked: bool = False
) -> str | None:
    """The hint for an empty answer when the store holds no fills (of ``label``); None when it holds some.

    ``running``: labels with a sync running now, so the hint can point at ``sync_status`` instead.
    """
    if not checked:
        sql, params = (
            ("SELECT 1 FROM fills WHERE label = ? LIMIT 1", (label,)) if label else ("SELECT 1 FROM fills LIMIT 1", ())
        )
        with store.reading("looking for stored fills") as conn:
            if conn.execute(sql, params).fetchone() is not None:
                return None
    hint = NOTHING_STORED + (f" (no fills are stored for label {label!r})" if label else "")
    busy = [r for r in running if label is None or r == label]
    if busy:
        hint += f"; a sync is running for {', '.join(busy)}: follow it with sync_status before concluding anything"
    return hint
