"""Shared plumbing for the issue-9 benchmarks: simulator processes, signing, percentiles, rows.

Every bench script imports this module (``bench/`` is the script directory, so it is on
``sys.path``). Nothing here measures anything; it only starts and stops processes the same
way for every bench, so that the figures differ only in what each bench means to compare.

Rules kept here for all benches: everything binds 127.0.0.1, every wait is bounded, and every
child process is terminated (then killed) on the way out, whatever happened.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
SERVER_DIR = ROOT / "server"
RESULTS_DIR = BENCH_DIR / "results"

#: Environment variables a bench child must never inherit: credentials, keys and settings of the
#: user running the bench would change what is measured (or leak into a simulator-only run).
SCRUBBED_PREFIXES = ("EX_", "FIELD_ENCRYPTION_KEY", "TRADE_TRACKER_", "SIM_")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a bench child: ours minus trade-tracker settings, the package importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SERVER_DIR), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


@dataclass
class Row:
    """One line of the results table.

    ``ratio`` is the figure divided by what the target compares it with (the ceiling, the peer,
    or the limit), so the target reads as a bound on the ratio; ``passed`` is None when the
    figure could not be measured.
    """

    id: str
    what: str
    figure: str
    target: str
    ratio: float | None
    passed: bool | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BenchResult:
    """What a bench's ``main()`` returns: table rows plus every raw figure behind them."""

    name: str
    rows: list[Row]
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": [r.as_dict() for r in self.rows],
            "details": self.details,
            "seconds": round(self.seconds, 1),
        }


# -- the simulator as a child process ----------------------------------------------------------


@dataclass
class SimProcess:
    """A running ``python -m trade_tracker.sim`` and its ready line."""

    proc: subprocess.Popen[str]
    url: str
    key: str
    secret: str
    passphrase: str
    startup_seconds: float

    @property
    def pid(self) -> int:
        return self.proc.pid

    def credential_args(self) -> list[str]:
        return [self.url, self.key, self.secret, self.passphrase]


def _read_first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The child's first stdout line, or '' after ``timeout`` s; then keep draining stdout.

    Draining matters: a child that prints more than a pipe buffer would otherwise block.
    """
    lines: list[str] = []
    got = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        lines.append(proc.stdout.readline())
        got.set()
        for _ in proc.stdout:
            pass

    threading.Thread(target=read, daemon=True).start()
    got.wait(timeout)
    return lines[0] if lines else ""


@contextlib.contextmanager
def simulator(
    fills: int,
    *,
    seed: int = 7,
    rate_limits: bool = False,
    products: Sequence[str] | None = None,
    timeout: float = 120.0,
) -> Iterator[SimProcess]:
    """Start the simulator on 127.0.0.1 (a free port), yield it, and always stop it."""
    cmd = [
        sys.executable,
        "-m",
        "trade_tracker.sim",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--fills",
        str(fills),
        "--seed",
        str(seed),
        "--rate-limits",
        "on" if rate_limits else "off",
    ]
    if products:
        cmd += ["--products", ",".join(products)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a chatty child can never block on it
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True, env=child_env()
        )
        try:
            line = _read_first_line(proc, timeout)
            if not line:
                stop_process(proc)
                errors.seek(0)
                raise RuntimeError(f"simulator gave no ready line in {timeout:.0f} s: {errors.read()[-1000:]}")
            info = json.loads(line)
            yield SimProcess(
                proc, info["url"], info["key"], info["secret"], info["passphrase"], time.perf_counter() - started
            )
        finally:
            stop_process(proc)


def stop_process(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM, wait up to ``grace`` s, then SIGKILL; always reaps the child."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def run_child(args: Sequence[str], *, timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python ARGS`` to completion and return the JSON object on its last stdout line."""
    out = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or child_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"child {' '.join(args[:3])} failed (rc {out.returncode}): {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# -- signing (the docs' recipe, written out on purpose: no project code in the floor) -----------


def sign_headers(key: str, secret: bytes, passphrase: str, target: str, method: str = "GET") -> dict[str, str]:
    """CB-ACCESS-* headers for ``method target`` with an empty body; ``secret`` already base64-decoded."""
    ts = str(int(time.time()))
    digest = hmac.new(secret, (ts + method + target).encode(), hashlib.sha256).digest()
    return {
        "CB-ACCESS-KEY": key,
        "CB-ACCESS-SIGN": base64.b64encode(digest).decode(),
        "CB-ACCESS-TIMESTAMP": ts,
        "CB-ACCESS-PASSPHRASE": passphrase,
    }


# -- statistics and formatting -----------------------------------------------------------------


def raw_fill_rows(page: Sequence[dict[str, Any]], label: str) -> list[tuple[Any, ...]]:
    """Raw /fills dicts as store rows (FILL_COLUMNS order), straight from the JSON: no models, the floor's
    way (a tuple display per fill, the cheapest there is)."""
    return [
        (
            f["product_id"],
            f["trade_id"],
            f["order_id"],
            f["side"],
            f["price"],
            f["size"],
            f["fee"],
            f.get("usd_volume"),
            f.get("liquidity"),
            1 if f["settled"] else 0,
            f["created_at"],
            f.get("profile_id"),
            f.get("user_id"),
            f.get("funding_currency"),
            f.get("market_type"),
            label,
        )
        for f in page
    ]


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was actually observed."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else math.nan


def machine_line() -> str:
    """``nproc``, CPU model and Python version: the line the README quotes with the figures."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpus} CPUs (nproc), {model}, Python {platform.python_version()} ({platform.system()})"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.2f}"


def print_rows(rows: Sequence[Row]) -> None:
    """Print rows as the run_all table does (for a bench run on its own)."""
    for r in rows:
        verdict = "–" if r.passed is None else ("pass" if r.passed else "FAIL")
        print(f"{r.id:>3}  {r.what:<44} {r.figure:<44} {r.target:<26} {fmt_ratio(r.ratio):>6}  {verdict}")
        if r.note:
            print(f"     {r.note}")
