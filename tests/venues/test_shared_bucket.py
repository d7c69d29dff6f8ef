"""Rate limits shared across processes through a file: two servers on one machine stay under one limit."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trade_tracker.venues.ratelimit import BucketSpec, RateLimits
from trade_tracker.venues.shared_bucket import FileTokenBucket, file_buckets_supported

pytestmark = pytest.mark.skipif(not file_buckets_supported(), reason="needs fcntl (POSIX)")


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_with_a_fake_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    bucket = FileTokenBucket(tmp_path / "b", rate=4, burst=3, clock=clock)  # binary-exact steps
    assert [bucket.try_take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take() == 0.25  # one token comes back every 1/rate seconds
    clock.now += 0.25
    assert bucket.try_take() == 0.0
    assert bucket.try_take() == 0.25
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o600


def test_two_handles_on_one_file_share_the_tokens(tmp_path: Path) -> None:
    clock = FakeClock()
    a = FileTokenBucket(tmp_path / "b", rate=1, burst=2, clock=clock)
    b = FileTokenBucket(tmp_path / "b", rate=1, burst=2, clock=clock)
    assert a.try_take() == 0.0 and b.try_take() == 0.0
    assert a.try_take() > 0 and b.try_take() > 0


def test_a_clock_going_backwards_does_not_freeze_the_bucket(tmp_path: Path) -> None:
    clock = FakeClock()
    bucket = FileTokenBucket(tmp_path / "b", rate=4, burst=1, clock=clock)
    assert bucket.try_take() == 0.0
    clock.now -= 3600  # NTP stepped back an hour
    assert bucket.try_take() == 0.25
    clock.now += 0.25
    assert bucket.try_take() == 0.0


def test_an_unreadable_state_file_is_a_full_bucket(tmp_path: Path) -> None:
    (tmp_path / "b").write_bytes(b"garbage")
    assert FileTokenBucket(tmp_path / "b", rate=1, burst=1).try_take() == 0.0


async def test_rate_limits_fall_back_to_in_process_when_the_state_file_cannot_be_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = BucketSpec(100, 5)
    limits = RateLimits(
        {"public": spec, "private": spec, "fills": spec}, headroom=False, state_dir=tmp_path / "home", scope="x"
    )
    blocked = limits._across_processes["fills"].path
    blocked.mkdir()  # a directory where the state file should be: every open fails (even as root)
    await limits.acquire("fills")  # warns, then keeps the in-process bucket only
    await limits.acquire("fills")
    assert "limiting this process only" in caplog.text
    assert "fills" not in limits._across_processes


def test_a_linked_state_file_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("precious")
    link = tmp_path / "ratelimit-abc-fills"
    link.symlink_to(target)
    with pytest.raises(OSError, match="symbolic link, not followed"):
        FileTokenBucket(link, rate=1, burst=1).try_take()
    assert target.read_text() == "precious"


async def test_links_planted_for_the_shared_buckets_leave_their_targets_untouched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request rewrites the bucket's file: through a planted link it would truncate someone's file."""
    home = tmp_path / "home"
    spec = BucketSpec(100, 5)
    limits = RateLimits({"public": spec, "private": spec, "fills": spec}, headroom=False, state_dir=home, scope="x")
    victims = {}
    for name, bucket in limits._across_processes.items():
        victims[name] = tmp_path / f"victim-{name}"
        victims[name].write_text(f"precious {name}")
        bucket.path.symlink_to(victims[name])
    for name in ("public", "private", "fills"):
        await limits.acquire(name)  # type: ignore[arg-type]
    assert {n: v.read_text() for n, v in victims.items()} == {n: f"precious {n}" for n in victims}
    assert "limiting this process only" in caplog.text
    assert limits._across_processes == {}


CHILD = """
import asyncio, sys, time
from pathlib import Path
from trade_tracker.venues.ratelimit import BucketSpec, RateLimits
spec = BucketSpec(rate=20, burst=4)
limits = RateLimits({"public": spec, "private": spec, "fills": spec}, headroom=False,
                    state_dir=Path(sys.argv[1]), scope="https://exchange.test")
async def main():
    for _ in range(12):
        await limits.acquire("fills")
print("ready", flush=True)
sys.stdin.readline()
started = time.monotonic()
asyncio.run(main())
print(time.monotonic() - started, flush=True)
"""


def _run_pair(dir_a: Path, dir_b: Path) -> list[float]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(d)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for d in (dir_a, dir_b)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:  # start both at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        return [float(p.communicate(timeout=30)[0].strip()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_two_processes_share_one_limit(tmp_path: Path) -> None:
    """24 tokens at 20/s with a burst of 4 take >= 1 s in all when shared; apart, each takes ~0.4 s."""
    shared = tmp_path / "shared"
    together = _run_pair(shared, shared)
    assert max(together) >= 0.9, together
    apart = _run_pair(tmp_path / "a", tmp_path / "b")
    assert max(apart) < 0.85, apart
