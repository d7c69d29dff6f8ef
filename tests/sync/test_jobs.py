"""The sync job manager with a fake sync: join, wait timeout, progress, cancel, errors, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from trade_tracker.errors import CredentialNotFound, ExchangeUnavailable, SyncCancelled
from trade_tracker.sync.jobs import SyncJob, SyncJobs
from trade_tracker.sync.results import ProductSyncResult, SyncProgress, SyncResult


def _resolve(label: str | None) -> str:
    if label == "nobody":
        raise CredentialNotFound("no credential is stored under 'nobody'")
    return label or "main"


class FakeSync:
    """A sync of ``pages`` pages of 100 fills, one every ``step`` seconds; honours the cancel event."""

    def __init__(
        self, pages: int = 5, step: float = 0.01, fail: BaseException | None = None, product_error: str | None = None
    ) -> None:
        self.pages, self.step, self.fail, self.product_error = pages, step, fail, product_error
        self.started: list[str] = []
        self.sent_after_cancel = 0

    async def __call__(self, job: SyncJob) -> SyncResult:
        self.started.append(job.label)
        done = 0
        for page in range(1, self.pages + 1):
            await asyncio.sleep(self.step)
            if job.cancel.is_set():
                self.sent_after_cancel += 1
            done = page
            await job.report(
                SyncProgress(
                    product_id="BTC-USD",
                    phase="backfill",
                    pages=page,
                    fills=page * 100,
                    products_done=0,
                    products_total=1,
                    fills_total=page * 100,
                )
            )
            if self.fail is not None and page == 2:
                raise self.fail
            if job.cancel.is_set():
                break
        product = ProductSyncResult(
            product_id="BTC-USD",
            inserted=done * 100,
            pages=done,
            complete=not job.cancel.is_set(),
            error=self.product_error,
        )
        return SyncResult(
            label=job.label,
            products=[product],
            inserted=product.inserted,
            pages=done,
            cancelled=job.cancel.is_set(),
            failed=self.product_error is not None,
        )


def _jobs(fake: FakeSync) -> SyncJobs:
    return SyncJobs(fake, _resolve)


async def test_a_second_start_for_the_label_joins_the_running_job() -> None:
    fake = FakeSync(pages=20)
    jobs = _jobs(fake)
    first, joined_first = jobs.start(None)
    second, joined_second = jobs.start("main", ["ETH-USD"])
    other, _ = jobs.start("other")
    assert second is first and (joined_first, joined_second) == (False, True)
    assert other is not first
    assert await first.wait(5)
    await other.wait(5)
    assert sorted(fake.started) == ["main", "other"]  # one walk per label, however many calls
    assert first.status == "completed" and first.result is not None and first.result.inserted == 2000
    again, joined = jobs.start("main")
    assert again is not first and again.id != first.id and not joined  # a finished job is never rejoined
    await again.wait(5)


async def test_wait_returns_at_its_timeout_and_the_job_goes_on() -> None:
    jobs = _jobs(FakeSync(pages=30, step=0.02))
    job, _ = jobs.start("main")
    assert await job.wait(0.1) is False
    snap = job.snapshot()
    assert snap.status == "running" and snap.progress.fills_synced > 0 and snap.progress.products_planned == 1
    assert snap.progress.current_product == "BTC-USD" and snap.error is None
    assert await job.wait(5) is True and job.status == "completed"


async def test_each_waiter_gets_progress_in_its_own_task_and_it_only_grows() -> None:
    jobs = _jobs(FakeSync(pages=6))
    job, _ = jobs.start("main")
    seen: list[int] = []

    async def on_progress(j: SyncJob) -> None:
        assert j.latest is not None
        seen.append(j.latest.fills_total)

    assert await job.wait(5, on_progress)
    assert seen and seen == sorted(seen) and seen[-1] <= 600


async def test_cancelling_a_waiter_leaves_the_job_running() -> None:
    jobs = _jobs(FakeSync(pages=10, step=0.02))
    job, _ = jobs.start("main")
    waiter = asyncio.create_task(job.wait(10))
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not job.done
    assert await job.wait(5) and job.status == "completed"


async def test_cancel_stops_the_job_after_the_current_page() -> None:
    fake = FakeSync(pages=1000, step=0.01)
    jobs = _jobs(fake)
    job, _ = jobs.start("main")
    await asyncio.sleep(0.05)
    label, stopped = await jobs.cancel("main", wait_seconds=5)
    assert label == "main" and stopped is job
    assert job.status == "cancelled" and job.result is not None and job.result.cancelled
    assert fake.sent_after_cancel <= 1
    assert jobs.running() == [] and jobs.last("main") is job
    assert await jobs.cancel("main") == ("main", None)  # nothing running: nothing to stop


async def test_cancel_without_a_label_stops_the_one_running_job() -> None:
    """Two stored labels make the default ambiguous, but one running job is the one meant."""
    from trade_tracker.errors import CredentialError

    def ambiguous(label: str | None) -> str:
        if label is None:
            raise CredentialError("several credentials are stored: name one with label")
        return label

    jobs = SyncJobs(FakeSync(pages=1000, step=0.01), ambiguous)
    job, _ = jobs.start("other")
    await asyncio.sleep(0.05)
    label, stopped = await jobs.cancel(None, wait_seconds=5)
    assert label == "other" and stopped is job and job.status == "cancelled"
    with pytest.raises(CredentialError):  # nothing running: the label is still needed
        await jobs.cancel(None)


async def test_errors_end_the_job_as_failed_with_a_plain_message() -> None:
    ours = _jobs(FakeSync(fail=ExchangeUnavailable("Coinbase answered 503 three times", status_code=503)))
    job, _ = ours.start("main")
    await job.wait(5)
    assert job.status == "failed" and job.error == "Coinbase answered 503 three times" and job.result is None

    foreign = _jobs(FakeSync(fail=RuntimeError("internal detail /home/x")))
    job, _ = foreign.start("main")
    await job.wait(5)
    assert job.status == "failed" and job.error is not None
    assert "RuntimeError" in job.error and "/home/x" not in job.error

    refused = _jobs(FakeSync(pages=1, product_error="NotFound"))
    job, _ = refused.start("main")
    await job.wait(5)
    assert job.result is not None and job.result.failed and job.status == "failed" and "NotFound" in job.error


async def test_an_unknown_label_is_refused_before_any_job_starts() -> None:
    fake = FakeSync()
    jobs = _jobs(fake)
    with pytest.raises(CredentialNotFound):
        jobs.start("nobody")
    assert jobs.running() == [] and fake.started == []


async def test_shutdown_cancels_running_jobs_and_refuses_new_ones() -> None:
    jobs = _jobs(FakeSync(pages=10_000, step=0.01))
    job, _ = jobs.start("main")
    await asyncio.sleep(0.05)
    await jobs.aclose()
    assert job.done and job.status == "interrupted" and "shut down" in (job.error or "")
    with pytest.raises(SyncCancelled):
        jobs.start("main")


async def test_the_estimator_feeds_running_snapshots_only() -> None:
    calls: list[str] = []

    def estimator(job: SyncJob) -> None:
        calls.append(job.id)
        return None

    jobs: Callable[..., SyncJobs] = SyncJobs
    manager = jobs(FakeSync(pages=50, step=0.01), _resolve, estimator)
    job, _ = manager.start("main")
    await job.wait(0.05)
    job.snapshot(manager.estimator)
    assert calls == [job.id]
    await job.wait(5)
    assert job.snapshot(manager.estimator).progress.current_product is None and calls == [job.id]
