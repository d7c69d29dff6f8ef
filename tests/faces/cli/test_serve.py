"""``trade-tracker serve`` typed in a terminal: it says it waits for an MCP client, and Ctrl-C stops it."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from trade_tracker.faces.cli.serve import WAITING_MESSAGE

EXE = Path(sys.executable).with_name("trade-tracker")


def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    out = b""
    end = time.monotonic() + seconds
    while needle not in out and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def _wait(pid: int, seconds: float) -> int | None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_on_a_terminal_it_says_it_waits_and_ctrl_c_exits_130(home: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.environ["TRADE_TRACKER_HOME"] = str(home)
        os.execv(str(EXE), [str(EXE), "serve"])
    try:
        seen = _read_until(fd, b"Ctrl-C stops it.", 30)
        assert WAITING_MESSAGE.encode() in seen.replace(b"\r\n", b" ").replace(b"\n", b" ")
        os.kill(pid, signal.SIGINT)
        code = _wait(pid, 10)
        seen += _read_until(fd, b"stopped", 2)
    finally:
        os.close(fd)
    assert code == 130, seen
    assert b"stopped (Ctrl-C)" in seen and b"Traceback" not in seen


def test_from_a_pipe_it_stays_quiet_and_still_stops_on_sigint(home: Path) -> None:
    proc = subprocess.Popen(
        [str(EXE), "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TRADE_TRACKER_HOME": str(home)},
    )
    try:
        time.sleep(2.0)  # let it start and block reading stdin
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    stdout, stderr = proc.communicate()
    assert code == 130
    assert stdout == b""  # stdout is the MCP transport: nothing else ever goes there
    assert WAITING_MESSAGE.encode() not in stderr and b"Traceback" not in stderr
