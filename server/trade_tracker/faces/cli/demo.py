"""``trade-tracker demo`` (and ``make demo``): the whole product in one command, offline and keyless.

It runs on a fresh machine with no Coinbase key and no network:

1. starts the local Coinbase Exchange simulator on a free loopback port (a subprocess) and
   reads its one JSON line (url and a demo key);
2. stores that key, encrypted, under the label ``demo`` in a fresh demo data directory
   (default ``./.demo-home``, emptied at every run) with a key file there, never
   ``FIELD_ENCRYPTION_KEY``;
3. starts the MCP server over stdio (``python -m trade_tracker serve``) pointed at the
   simulator and the demo directory;
4. drives it with the MCP SDK's own client: list_products, get_ticker, sync_fills (with
   progress), query_trades and trade_summary, then answers the README's question "what did
   I pay in fees on ETH this year?" with one more trade_summary (ETH-USD since January 1);
5. prints a short transcript. Both child processes are stopped on every way out,
   Ctrl-C included.

Only the demo key is ever handled here, and it is never printed (only its fingerprint).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from trade_tracker.errors import InvalidArgument

from .demo_transcript import ProgressPrinter, describe

__all__ = ["DEMO_LABEL", "DemoError", "prepare_home", "run_demo", "start_simulator"]

DEMO_LABEL = "demo"
MARKER = ".trade-tracker-demo"
SIM_START_TIMEOUT = 60.0
TOOL_TIMEOUT = 120.0
#: Environment variables that must not reach the demo's children (the demo uses its own key file and key).
_SCRUBBED = (
    "FIELD_ENCRYPTION_KEY",
    "EX_API_KEY_READ",
    "EX_API_SECRET_READ",
    "EX_API_PASSPHRASE_READ",
    "EX_BASE_URL",
    "TRADE_TRACKER_HOME",
    "TRADE_TRACKER_USE_KEYRING",
)


class DemoError(Exception):
    """A demo step failed; the message says which and where its log is."""


Printer = Callable[[str], None]


def _echo(line: str = "") -> None:
    print(line, flush=True)


# -- 1. the demo home ---------------------------------------------------------------------------


def prepare_home(home: Path) -> Path:
    """Empty (or create) the demo directory; refuse a non-empty directory the demo did not create."""
    home = home.expanduser().resolve()
    if home.exists():
        if not home.is_dir():
            raise DemoError(f"{home} exists and is not a directory; choose another --demo-home")
        if any(home.iterdir()) and not (home / MARKER).is_file():
            raise DemoError(
                f"{home} is not empty and was not made by the demo; choose another --demo-home (it is emptied)"
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, mode=0o700)
    (home / MARKER).write_text("made by `trade-tracker demo`; emptied at every demo run\n")
    return home


# -- 2. the simulator ----------------------------------------------------------------------------


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(extra)
    return env


def start_simulator(
    fills: int, seed: str, log: IO[str], *, timeout: float = SIM_START_TIMEOUT
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``python -m trade_tracker.sim`` on a free loopback port; return it and its JSON line."""
    proc = subprocess.Popen(
        [
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
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=_child_env(),
    )
    lines: list[str] = []
    got_line = threading.Event()

    def read() -> None:
        # Read the first line, then keep draining so the simulator can never block on a full pipe.
        assert proc.stdout is not None
        for line in proc.stdout:
            if not lines:
                lines.append(line)
                got_line.set()
        got_line.set()

    threading.Thread(target=read, name="sim-stdout", daemon=True).start()
    if not got_line.wait(timeout) or not lines:
        stop_process(proc)
        raise DemoError(f"the simulator did not start within {timeout:.0f} s; see {log.name}")
    try:
        info = json.loads(lines[0])
        if not all(isinstance(info.get(k), str) for k in ("url", "key", "secret", "passphrase")):
            raise ValueError("missing fields")
    except ValueError:
        stop_process(proc)
        raise DemoError(f"the simulator's first line was not the expected JSON; see {log.name}") from None
    return proc, info


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


# -- 3. the demo credential -----------------------------------------------------------------------


async def store_demo_credential(home: Path, sim: dict[str, str]) -> Any:
    """Store the simulator's key under ``demo``, verified against the simulator, encrypted by a key file."""
    from trade_tracker.config import load_settings
    from trade_tracker.credentials.service import CredentialService
    from trade_tracker.store.connection import TradeStore

    # Every setting that could come from the user's environment is pinned: the demo uses only its own.
    settings = load_settings(
        trade_tracker_home=home,
        ex_base_url=sim["url"],
        field_encryption_key=None,
        use_keyring=False,
        ex_api_key_read=None,
        ex_api_secret_read=None,
        ex_api_passphrase_read=None,
    )
    with TradeStore(settings.db_path) as store:
        service = CredentialService(store, settings)
        result = await service.add(DEMO_LABEL, sim["key"], sim["secret"], sim["passphrase"], verify=True)
    return result.info


# -- 4. the MCP session -------------------------------------------------------------------------


async def drive_server(home: Path, sim_url: str, server_log: TextIO, say: Printer) -> None:
    """Start the MCP server over stdio and call the five tools with the SDK's client."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "trade_tracker", "serve"],
        env={"TRADE_TRACKER_HOME": str(home), "EX_BASE_URL": sim_url, "TRADE_TRACKER_LOG_LEVEL": "WARNING"},
        cwd=str(home),
    )
    async with Client(stdio_client(params, errlog=server_log), read_timeout_seconds=TOOL_TIMEOUT) as client:
        tools = (await client.list_tools()).tools
        info = client.server_info
        name = f"{info.name} {info.version}" if info else "server"
        say(f"      connected: {name}, protocol {client.protocol_version}, {len(tools)} tools")
        say("[4/5] MCP client session (the mcp SDK's Client)")

        async def call(
            tool: str,
            arguments: dict[str, Any],
            *,
            progress_callback: Any = None,
            before_result: Callable[[], None] | None = None,
        ) -> dict[str, Any]:
            say(f"  -> {tool} {json.dumps(arguments)}")
            started = time.monotonic()
            result = await client.call_tool(tool, arguments, progress_callback=progress_callback)
            if before_result is not None:
                before_result()
            text = " ".join(getattr(c, "text", "") for c in result.content).strip()
            if result.is_error:
                raise DemoError(f"{tool} failed: {text[:300] or 'no message'}")
            data = result.structured_content
            if data is None:
                data = json.loads(text) if text.startswith("{") else {"result": text}
            for line in describe(tool, data):
                say(line)
            say(f"      ({time.monotonic() - started:.2f} s)")
            return data

        await call("list_products", {})
        await call("get_ticker", {"product_id": "BTC-USD"})
        progress = ProgressPrinter(say)
        await call("sync_fills", {"label": DEMO_LABEL}, progress_callback=progress, before_result=progress.flush)

        await call("query_trades", {"limit": 5})
        await call("trade_summary", {})
        await answer_fees_this_year(call, say)


async def answer_fees_this_year(call: Callable[..., Awaitable[dict[str, Any]]], say: Printer) -> None:
    """The README's own question, asked as a model would: trade_summary for ETH-USD since January 1 (UTC)."""
    from datetime import UTC, datetime

    since = f"{datetime.now(UTC).year}-01-01"
    say('  "What did I pay in fees on ETH this year?"')
    data = await call("trade_summary", {"product_id": "ETH-USD", "since": since})
    entries = [p for p in data.get("products") or [] if p.get("product_id") == "ETH-USD"]
    fees = entries[0]["fee_total"] if entries else "0"
    count = sum(int(p.get("buy_count", 0)) + int(p.get("sell_count", 0)) for p in entries)
    say(f"      => fees on ETH-USD since {since}: {fees} USD, over {count} fills")


def _private_log(path: Path) -> TextIO:
    """A log file only the user can read (the children's stderr goes there)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    return open(path, "w", encoding="utf-8")


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside anyio's task-group ``ExceptionGroup`` wrappers."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


# -- the whole demo -------------------------------------------------------------------------------


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while the demo runs, so its children are stopped either way."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_demo(home: Path, *, fills: int = 3000, seed: str = "7", say: Printer = _echo) -> int:
    """Run the demo and print its transcript; return the exit code (0 ok, 1 a step failed).

    Ctrl-C (or SIGTERM) raises KeyboardInterrupt after both child processes are stopped.
    """
    with _sigterm_as_interrupt():
        return _run_demo(home, fills=fills, seed=seed, say=say)


def _run_demo(home: Path, *, fills: int, seed: str, say: Printer) -> int:
    started = time.monotonic()
    sim_proc: subprocess.Popen[str] | None = None
    try:
        home = prepare_home(home)
    except DemoError as exc:  # a bad --demo-home is the caller's to fix: a usage error (exit 2, stderr)
        raise InvalidArgument(str(exc)) from None
    try:
        say("trade-tracker demo: no Coinbase key and no network needed; everything runs on this machine.")
        say(f"      demo data directory: {home} (emptied at every run)")
        with _private_log(home / "simulator.log") as sim_log, _private_log(home / "mcp-server.log") as server_log:
            sim_proc, sim = start_simulator(fills, seed, sim_log)
            say(f"[1/5] simulator started: {sim['url']} ({fills} fills, seed {seed}; log: simulator.log)")

            info = asyncio.run(store_demo_credential(home, sim))
            say(
                f"[2/5] credential '{info.label}' stored encrypted in trades.db (key {info.fingerprint}, "
                f"verify: {info.verify_status}); vault key file: {home / 'vault.key'}"
            )

            say(
                f"[3/5] MCP server: {Path(sys.executable).name} -m trade_tracker serve (stdio), "
                f"EX_BASE_URL={sim['url']}, TRADE_TRACKER_HOME={home}"
            )
            asyncio.run(drive_server(home, sim["url"], server_log, say))
    except Exception as exc:  # one line saying which step failed; the logs stay in the demo home
        leaf = _leaf(exc)
        if isinstance(leaf, DemoError):
            say(f"demo failed: {leaf}")
        else:
            message = " ".join(str(leaf).split())[:300]
            say(f"demo failed: {type(leaf).__name__}: {message} (logs in {home})")
        return 1
    finally:
        stop_process(sim_proc)
    say(
        f"[5/5] done in {time.monotonic() - started:.1f} s; simulator and MCP server stopped. "
        f"Data left in {home} (trades.db opens in any SQLite tool)."
    )
    return 0
