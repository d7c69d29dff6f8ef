"""The demo's child processes: a simulator started on a free loopback port and read for its one JSON line,
a CLI verb run like a user would, and a child stopped on every way out.

Why apart from ``demo.py``: the demo starts two simulators (Coinbase Exchange and Advanced Trade) and
runs ``credentials add --key-file`` as a real command; the same few steps each time, and none of the
user's own settings or keys may reach a child (:data:`SCRUBBED`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

__all__ = ["SCRUBBED", "DemoError", "child_env", "run_cli", "start_json_child", "stop_process"]

#: Environment variables that must not reach the demo's children (the demo uses its own key file and keys).
SCRUBBED = (
    "FIELD_ENCRYPTION_KEY",
    "EX_API_KEY_READ",
    "EX_API_SECRET_READ",
    "EX_API_PASSPHRASE_READ",
    "EX_BASE_URL",
    "AT_API_KEY_NAME",
    "AT_API_SECRET",
    "AT_BASE_URL",
    "TRADE_TRACKER_HOME",
    "TRADE_TRACKER_USE_KEYRING",
)


class DemoError(Exception):
    """A demo step failed; the message says which and where its log is."""


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without the user's settings (:data:`SCRUBBED`), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(extra)
    return env


def start_json_child(
    args: Sequence[str], required: Sequence[str], log: IO[str], *, what: str, timeout: float
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start ``python <args>``, read its first stdout line as JSON holding ``required`` keys; keep draining
    its stdout so it never blocks on a full pipe. Stopped again when it fails to start."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=child_env(),
    )
    lines: list[str] = []
    got_line = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not lines:
                lines.append(line)
                got_line.set()
        got_line.set()

    threading.Thread(target=read, name=f"{what}-stdout", daemon=True).start()
    if not got_line.wait(timeout) or not lines:
        ended = "exited" if proc.poll() is not None else f"did not start within {timeout:.0f} s"
        stop_process(proc)
        raise DemoError(f"the {what} {ended}; see {log.name}")
    try:
        info = json.loads(lines[0])
        if not isinstance(info, dict) or not all(info.get(k) for k in required):  # pyright: ignore[reportUnknownMemberType]
            raise ValueError("missing fields")
    except ValueError:
        stop_process(proc)
        raise DemoError(f"the {what}'s first line was not the expected JSON; see {log.name}") from None
    return proc, dict(info)  # pyright: ignore[reportUnknownArgumentType]


def run_cli(args: Sequence[str], log: IO[str], *, timeout: float, **env: str) -> dict[str, Any]:
    """Run ``trade-tracker <args>`` as a user would (``--compact`` JSON on stdout, stderr to ``log``) and
    return its JSON answer; a failure is a :class:`DemoError` with the command's one-line error."""
    proc = subprocess.run(
        [sys.executable, "-m", "trade_tracker", "--compact", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=child_env(**env),
        timeout=timeout,
    )
    log.write(proc.stderr)
    log.flush()
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise DemoError(f"trade-tracker {args[0]} {args[1] if len(args) > 1 else ''} failed: {last[:300]}")
    return json.loads(proc.stdout)


def stop_process(proc: subprocess.Popen[Any] | None, grace: float = 5.0) -> None:
    """Terminate a child, then kill it if it does not stop within ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace)
