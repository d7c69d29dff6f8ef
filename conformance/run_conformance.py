"""Run the official MCP conformance suite against trade-tracker's streamable-HTTP app (``make conformance``).

The app is the product's own (``serve.build_http_app``: Host, Origin and bearer-token checks included),
built in-process over a fresh temporary ``TRADE_TRACKER_HOME`` with a token generated for this run, and
served by uvicorn on 127.0.0.1 at a free port. The suite sends no Authorization header, so the harness
wraps the app in ``InjectBearer``, which adds the run's token to every request before the product's
guard sees it: the product keeps refusing unauthenticated requests; only this test wiring knows the
token. The pinned ``@modelcontextprotocol/conformance`` then runs once per requirement set
(``--requirements 2025-11-25`` and ``2026-07-28``) with ``--expected-failures`` built from
``baseline.yml`` (scenarios that need the suite's own "everything server" fixtures) plus ``pending.yml``
(scenarios that resources, prompts and completions will make pass). The suite itself fails the run
on a failure not listed there and on a listed scenario that now passes (a stale entry).

Exit status: 0 when both sets pass their baseline check, else 1. A table of every scenario is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from node22 import ensure_node, ensure_tool, node_env  # noqa: E402

__all__ = ["CONFORMANCE", "REQUIREMENT_SETS", "InjectBearer", "main", "serve_in_thread"]

#: The suite version, pinned exactly (the first with --requirements 2025-11-25 and 2026-07-28).
CONFORMANCE = "@modelcontextprotocol/conformance@0.2.0-alpha.12"
REQUIREMENT_SETS = ("2025-11-25", "2026-07-28")
#: Settings a developer's shell may carry that must not reach the server under test.
_SCRUBBED_PREFIXES = ("EX_", "FIELD_ENCRYPTION_KEY", "TRADE_TRACKER_")

#: Where the server under test thinks the exchange is: a loopback port nothing listens on.
DEAD_EXCHANGE = "http://127.0.0.1:9"

Scope = MutableMapping[str, Any]


class InjectBearer:
    """Test wiring: give every HTTP request ``Authorization: Bearer <token>`` (replacing any it had)."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str) -> None:
        self.app = app
        self._header = (b"authorization", f"Bearer {token}".encode())

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"authorization"]
            scope = {**scope, "headers": [*headers, self._header]}
        await self.app(scope, receive, send)


def _clean_environment() -> None:
    for name in list(os.environ):
        if name.upper().startswith(_SCRUBBED_PREFIXES):
            del os.environ[name]


def serve_in_thread(home: Path) -> tuple[str, Callable[[], None]]:
    """Serve the product's HTTP app (token injected) on 127.0.0.1; return its /mcp URL and a stop function."""
    import uvicorn

    from trade_tracker.config import load_settings
    from trade_tracker.faces.mcp.listener_limits import HttpTransportProtocol, uvicorn_options
    from trade_tracker.faces.mcp.serve import bind_listener, build_http_app

    # A refused loopback port as the exchange: a scenario that calls a real tool fails fast, offline.
    settings = load_settings(trade_tracker_home=home, ex_base_url=DEAD_EXCHANGE)
    sock = bind_listener("127.0.0.1", 0)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(32)
    app = InjectBearer(build_http_app(settings, "127.0.0.1", port, token), token)
    config = uvicorn.Config(app, log_level="error", access_log=False, **uvicorn_options(HttpTransportProtocol))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit("conformance: the server did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()

    return f"http://127.0.0.1:{port}/mcp", stop


def _yaml_list(path: Path) -> list[str]:
    """The ``server:`` entries of a baseline file (``- name  # reason``; a tiny subset of YAML)."""
    names = []
    for line in path.read_text().splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry.startswith("- "):
            names.append(entry[2:].strip().strip("'\""))
    return names


def expected_failures(out: Path) -> tuple[Path, set[str], set[str]]:
    """baseline.yml + pending.yml merged into one file for --expected-failures (and each set of names)."""
    baseline, pending = set(_yaml_list(HERE / "baseline.yml")), set(_yaml_list(HERE / "pending.yml"))
    merged = out / "expected-failures.yml"
    entries = "".join(f"\n  - {name}" for name in sorted(baseline | pending))
    merged.write_text(f"server:{entries or ' []'}\n")
    return merged, baseline, pending


def _results(out: Path) -> dict[str, str]:
    """scenario -> PASS/FAIL/WARN from the suite's checks.json files."""
    found: dict[str, str] = {}
    for checks in sorted(out.glob("**/checks.json")):
        scenario = re.sub(r"^server-", "", re.sub(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "", checks.parent.name))
        statuses = {c.get("status") for c in json.loads(checks.read_text())}
        found[scenario] = "FAIL" if "FAILURE" in statuses else "WARN" if "WARNING" in statuses else "PASS"
    return found


def run_set(revision: str, url: str, merged: Path, out: Path) -> tuple[int, dict[str, str], str]:
    node_bin = ensure_node()
    tool = ensure_tool(CONFORMANCE) / "conformance"
    results = out / revision
    cmd = [str(node_bin / "node"), str(tool.resolve()), "server", "--url", url, "--requirements", revision]
    cmd += ["--expected-failures", str(merged), "-o", str(results)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=node_env(node_bin), cwd=out)
    return done.returncode, _results(results), done.stdout + done.stderr


def scored(revision: str) -> set[str]:
    """The server scenarios requirement set ``revision`` scores (its YAML's ``server:`` list)."""
    package = ensure_tool(CONFORMANCE).parent / "@modelcontextprotocol" / "conformance"
    names, inside = set(), False
    for line in (package / "requirements" / f"{revision}.yaml").read_text().splitlines():
        if not line.startswith((" ", "#")) and line.strip():
            inside = line.startswith("server:")
        elif inside and line.strip().startswith("- "):
            names.add(line.strip()[2:].split("#")[0].strip())
    return names


def print_table(rows: dict[str, dict[str, str]], baseline: set[str], pending: set[str]) -> None:
    """One line per scenario: its result per requirement set (lower case: run but not scored there)."""
    scoring = {revision: scored(revision) for revision in rows}
    print(f"{'scenario':46}" + "".join(f"{r:>12}" for r in rows) + "  listed in")
    for scenario in sorted({s for by_set in rows.values() for s in by_set}):
        cells = ""
        for revision, results in rows.items():
            cell = results.get(scenario, "-")
            cells += f"{cell if scenario in scoring[revision] else cell.lower():>12}"
        where = "baseline.yml" if scenario in baseline else "pending.yml" if scenario in pending else ""
        print(f"{scenario:46}{cells}  {where}")
    print("(pass/fail/warn in lower case: run but not scored by that requirement set; - : not run)")


def log_to_file(path: Path) -> None:
    """The server's log lines (the SDK logs each unknown test_* name with a traceback) go to ``path``."""
    import logging

    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.WARNING)


def main() -> int:
    parser = argparse.ArgumentParser(description="MCP conformance against trade-tracker's HTTP app")
    parser.add_argument("--requirements", action="append", choices=REQUIREMENT_SETS, help="default: both")
    parser.add_argument("--verbose", action="store_true", help="print the suite's own output too")
    parser.add_argument("--keep", type=Path, help="keep the suite's checks.json files in this directory")
    args = parser.parse_args()
    started = time.monotonic()
    _clean_environment()
    ensure_node()
    ensure_tool(CONFORMANCE)
    with tempfile.TemporaryDirectory(prefix="tt-conformance-") as tmp:
        home, out = Path(tmp) / "home", (args.keep or Path(tmp) / "out")
        home.mkdir(mode=0o700)
        out.mkdir(parents=True, exist_ok=True)
        log_to_file(Path(tmp) / "server.log")
        merged, baseline, pending = expected_failures(out)
        url, stop = serve_in_thread(home)
        rows, codes = {}, {}
        try:
            for revision in args.requirements or REQUIREMENT_SETS:
                codes[revision], rows[revision], log = run_set(revision, url, merged, out)
                if args.verbose or codes[revision] != 0:
                    print(_baseline_report(log), file=sys.stderr)
        finally:
            stop()
        if any(codes.values()):
            tail = (Path(tmp) / "server.log").read_text().splitlines()[-15:]
            print("server log (last lines):\n" + "\n".join(tail), file=sys.stderr)
    print_table(rows, baseline, pending)
    verdict = ", ".join(f"{r}: {'ok' if c == 0 else 'FAILED'}" for r, c in codes.items())
    print(f"conformance ({CONFORMANCE.rpartition('@')[2]}): {verdict} in {time.monotonic() - started:.0f} s")
    return 0 if all(c == 0 for c in codes.values()) else 1


def _baseline_report(log: str) -> str:
    """The suite's verdict lines (stale entries, unexpected failures), without its per-check detail."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if "Expected failures" in line or "Stale baseline" in line or "Unexpected failures" in line:
            return "\n".join(lines[i:])
    return "\n".join(lines[-40:])


if __name__ == "__main__":
    sys.exit(main())
