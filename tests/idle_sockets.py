"""Helpers for the listener-limit tests: hold many idle TCP connections to a loopback listener.

Loopback only, bounded (a count and a deadline), and every socket is closed by the caller's
``finally`` through :func:`close_all`. :func:`fd_headroom` raises this process's soft file limit
so that the test itself can hold the sockets (the usual soft limit is 1,024).
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import time
from collections.abc import Iterator

import pytest

__all__ = ["IDLE_SOCKETS", "close_all", "fd_headroom", "open_fds", "open_idle"]

#: How many idle connections the tests open: more than the usual 1,024 file descriptors.
IDLE_SOCKETS = 1100


def open_fds(pid: int | str = "self") -> int:
    """How many file descriptors a process holds (Linux ``/proc``; -1 where there is none)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


@contextlib.contextmanager
def fd_headroom(extra: int, exact: bool = False) -> Iterator[None]:
    """Let this process open ``extra`` more descriptors than it holds now; restored afterwards.

    ``exact``: also lower the soft limit to exactly that, so a listener in this process that kept
    every connection would run out of descriptors.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = open_fds()
    if in_use < 0:
        pytest.skip("needs /proc to count this process's file descriptors")
    wanted = in_use + extra
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard file limit ({hard}) is below the {wanted} descriptors this test needs")
    if exact or (soft != resource.RLIM_INFINITY and soft < wanted):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_idle(
    port: int, count: int = IDLE_SOCKETS, deadline: float = 60.0, into: list[socket.socket] | None = None
) -> list[socket.socket]:
    """Open up to ``count`` connections to ``127.0.0.1:port`` that never send a byte.

    Stops early at ``deadline`` seconds. A connect that fails (refused, timed out) is counted as
    not opened. The sockets go into ``into`` as they open, so a caller's ``finally`` can close
    them even if this is interrupted.
    """
    sockets = into if into is not None else []
    end = time.monotonic() + deadline
    for _ in range(count):
        if time.monotonic() > end:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        sockets.append(s)
    return sockets


def close_all(sockets: list[socket.socket]) -> None:
    for s in sockets:
        with contextlib.suppress(OSError):
            s.close()
    sockets.clear()
