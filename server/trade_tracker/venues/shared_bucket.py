"""A token bucket whose state lives in a small file, so that processes share one limit.

Coinbase counts requests per profile (private) or per IP (public), not per process. Two
editor windows each start their own trade-tracker server; with only in-process buckets
they would together send twice the documented rate and draw 429s. So the buckets are
also kept in ``$TRADE_TRACKER_HOME``: each request takes a token under an exclusive
``flock`` on the bucket's file (held for microseconds), computed the same lazy-fill way
Coinbase documents: ``level = max(0, level - elapsed * rate)``, and a request may go when
``level + 1 <= burst``.

The file is opened with ``O_NOFOLLOW`` and must be a regular file: a link planted in the
data folder is refused (an OSError, on which the caller keeps the in-process buckets
alone), so the bucket never truncates and rewrites the file the link points at.

POSIX only (``fcntl``); elsewhere :func:`file_buckets_supported` is False and the caller
keeps the in-process buckets alone.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["FileTokenBucket", "file_buckets_supported"]


def file_buckets_supported() -> bool:
    return fcntl is not None


class FileTokenBucket:
    """``rate`` tokens per second, at most ``burst``, shared by every process using ``path``."""

    def __init__(self, path: Path, rate: float, burst: float, clock: Callable[[], float] = time.time) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            raise RuntimeError("file-backed rate limits need fcntl (POSIX)")
        self.path = path
        self.rate = rate
        self.burst = burst
        self._clock = clock

    def __repr__(self) -> str:
        return f"FileTokenBucket({str(self.path)!r}, rate={self.rate:g}/s, burst={self.burst:g})"

    def try_take(self) -> float:
        """Take a token if one is free and return 0; otherwise return the seconds to wait."""
        assert fcntl is not None  # __init__ refuses to build a bucket without it
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self._clock()
            level, last = self._read(fd, now)
            level = max(0.0, level - max(0.0, now - last) * self.rate)
            wait = 0.0 if level + 1 <= self.burst else (level + 1 - self.burst) / self.rate
            # Written either way: the leak up to now is kept, and a clock that went backwards
            # restarts the reference instead of freezing the bucket until it catches up.
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{level + (1 if wait == 0.0 else 0)!r} {now!r}".encode("ascii"))
            return wait
        finally:
            os.close(fd)  # closing releases the lock

    def _open(self) -> int:
        """The bucket's file, created 0600, never through a link, and only if it is a regular file."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise OSError(exc.errno, "a symbolic link, not followed", str(self.path)) from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(errno.EINVAL, "not a regular file", str(self.path))
        return fd

    @staticmethod
    def _read(fd: int, now: float) -> tuple[float, float]:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 64)
        try:
            level_text, last_text = raw.decode("ascii").split()
            return float(level_text), float(last_text)
        except (ValueError, UnicodeDecodeError):
            return 0.0, now  # new or unreadable: a full bucket

    async def acquire(self) -> None:
        """Wait until a token is free, then take it."""
        while (wait := self.try_take()) > 0:
            await asyncio.sleep(wait)
