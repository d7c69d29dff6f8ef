"""``trade-tracker demo`` (and ``make demo``): the whole product in one command, offline and keyless.

It runs on a fresh machine with no Coinbase key and no network:

1. starts both local simulators on free loopback ports (subprocesses): Coinbase Exchange (its one
   JSON line holds a demo key) and Coinbase Advanced Trade (it writes CDP key files);
2. stores both keys, encrypted, in a fresh demo data directory (default ``./.demo-home``, emptied at
   every run) with a vault key file there, never ``FIELD_ENCRYPTION_KEY``: the Exchange key under
   ``demo``, the Advanced Trade key under ``demo-advanced`` with ``trade-tracker credentials add
   --venue advanced --key-file`` as a user would (``demo_advanced.py``), then deletes that key file;
3. starts the MCP server over stdio (``python -m trade_tracker serve``) pointed at both simulators
   and the demo directory;
4. drives it with the MCP SDK's own client: list_credentials, list_products, get_ticker of each
   venue, sync_fills of each label (with progress), query_trades, one trade_summary over both labels
   and one per label (checked to add up), then answers the README's question "what did I pay in fees
   on ETH this year?" with one more trade_summary (ETH-USD since January 1);
5. prints a short transcript. Every child process is stopped on every way out, Ctrl-C included.

Only the demo keys are ever handled here, and never printed (only their fingerprints).
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
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from trade_tracker.errors import InvalidArgument

from .demo_advanced import ADVANCED_LABEL, start_advanced_simulator, store_advanced_credential
from .demo_children import DemoError, start_json_child, stop_process
from .demo_children import child_env as _child_env  # noqa: F401  # the name the tests check
from .demo_transcript import ProgressPrinter, describe

__all__ = ["DEMO_LABEL", "prepare_home", "run_demo", "start_simulator"]

DEMO_LABEL = "demo"
MARKER = ".trade-tracker-demo"
SIM_START_TIMEOUT = 60.0
TOOL_TIMEOUT = 120.0
#: The Advanced Trade simulator's history: a few pages of 250, so the demo stays quick.
ADVANCED_FILLS = 600

Call = Callable[..., Awaitable[dict[str, Any]]]
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


def start_simulator(
    fills: int, seed: str, log: IO[str], *, timeout: float = SIM_START_TIMEOUT
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start ``python -m trade_tracker.sim`` (Coinbase Exchange) on a free loopback port; return it and
    its JSON line (url and a demo key)."""
    args = ["-m", "trade_tracker.sim", "--host", "127.0.0.1", "--port", "0", "--fills", str(fills), "--seed", seed]
    return start_json_child(args, ("url", "key", "secret", "passphrase"), log, what="simulator", timeout=timeout)


# -- 3. the demo credential -----------------------------------------------------------------------


async def store_demo_credential(home: Path, sim: dict[str, Any]) -> Any:
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


async def drive_server(home: Path, urls: dict[str, str], server_log: TextIO, say: Printer) -> None:
    """Start the MCP server over stdio (``urls``: each venue's simulator) and call the tools with the SDK's
    client."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "trade_tracker", "serve"],
        env={
            "TRADE_TRACKER_HOME": str(home),
            "EX_BASE_URL": urls["exchange"],
            "AT_BASE_URL": urls["advanced"],
            "TRADE_TRACKER_LOG_LEVEL": "WARNING",
        },
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

        await session(call, say)


async def session(call: Call, say: Printer) -> None:
    """The tool calls of the demo, as a model would make them, each venue in turn, then over both."""
    await call("list_credentials", {})
    await call("list_products", {})
    await call("get_ticker", {"product_id": "BTC-USD"})
    await call("get_ticker", {"product_id": "BTC-USD", "venue": "advanced"})
    for label in (DEMO_LABEL, ADVANCED_LABEL):
        progress = ProgressPrinter(say)
        synced = await call("sync_fills", {"label": label}, progress_callback=progress, before_result=progress.flush)
        if not synced.get("inserted"):
            raise DemoError(f"sync_fills of '{label}' stored no fill")
    await call("query_trades", {"limit": 5})
    await summary_over_both(call, say)
    await answer_fees_this_year(call, say)


async def summary_over_both(call: Call, say: Printer) -> None:
    """One trade_summary over both labels, then one per label: the first must be the two added up, with
    fills of both venues in it."""
    both = await call("trade_summary", {})
    per = {label: await call("trade_summary", {"label": label}) for label in (DEMO_LABEL, ADVANCED_LABEL)}
    counts = {label: int(data.get("fill_count") or 0) for label, data in per.items()}
    venues = {v for p in both.get("products") or [] for v in str(p.get("venue") or "").split(",") if v}
    if int(both.get("fill_count") or 0) != sum(counts.values()) or not {"exchange", "advanced"} <= venues:
        raise DemoError("the summary over both labels is not the two labels' summaries together")
    say(
        f"      => one summary over both venues: {both['fill_count']} fills = {counts[DEMO_LABEL]} (exchange, "
        f"'{DEMO_LABEL}') + {counts[ADVANCED_LABEL]} (advanced, '{ADVANCED_LABEL}')"
    )


async def answer_fees_this_year(call: Call, say: Printer) -> None:
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
    children: list[subprocess.Popen[str]] = []
    try:
        home = prepare_home(home)
    except DemoError as exc:  # a bad --demo-home is the caller's to fix: a usage error (exit 2, stderr)
        raise InvalidArgument(str(exc)) from None
    try:
        say("trade-tracker demo: no Coinbase key and no network needed; everything runs on this machine.")
        say(f"      demo data directory: {home} (emptied at every run)")
        with _private_log(home / "simulator.log") as sim_log, _private_log(home / "mcp-server.log") as server_log:
            sims = _start_both(home, fills, seed, sim_log, children, say)
            _store_both(home, sims, sim_log, say)
            urls = {venue: str(sim["url"]) for venue, sim in sims.items()}
            say(
                f"[3/5] MCP server: {Path(sys.executable).name} -m trade_tracker serve (stdio), "
                f"EX_BASE_URL={urls['exchange']}, AT_BASE_URL={urls['advanced']}, TRADE_TRACKER_HOME={home}"
            )
            asyncio.run(drive_server(home, urls, server_log, say))
    except Exception as exc:  # one line saying which step failed; the logs stay in the demo home
        leaf = _leaf(exc)
        if isinstance(leaf, DemoError):
            say(f"demo failed: {leaf}")
        else:
            message = " ".join(str(leaf).split())[:300]
            say(f"demo failed: {type(leaf).__name__}: {message} (logs in {home})")
        return 1
    finally:
        for child in children:
            stop_process(child)
    say(
        f"[5/5] done in {time.monotonic() - started:.1f} s; simulators and MCP server stopped. "
        f"Data left in {home} (trades.db opens in any SQLite tool)."
    )
    return 0


def _start_both(
    home: Path, fills: int, seed: str, log: IO[str], children: list[subprocess.Popen[str]], say: Printer
) -> dict[str, dict[str, Any]]:
    """Start both simulators (appended to ``children`` at once, so they are stopped on every way out);
    their JSON lines by venue."""
    proc, sim = start_simulator(fills, seed, log)
    children.append(proc)
    say(f"[1/5] simulator started: {sim['url']} (Coinbase Exchange, {fills} fills, seed {seed}; log: simulator.log)")
    key_dir = home / "advanced-keys"
    proc, advanced = start_advanced_simulator(ADVANCED_FILLS, seed, log, key_dir, timeout=SIM_START_TIMEOUT)
    children.append(proc)
    say(
        f"      Advanced Trade simulator started: {advanced['url']} ({ADVANCED_FILLS} fills and their "
        f"adjustments; CDP key files in {key_dir})"
    )
    return {"exchange": sim, "advanced": advanced}


def _store_both(home: Path, sims: dict[str, dict[str, Any]], log: IO[str], say: Printer) -> None:
    """The Exchange key stored directly; the Advanced Trade key file imported with the CLI, then deleted."""
    info = asyncio.run(store_demo_credential(home, sims["exchange"]))
    say(
        f"[2/5] credential '{info.label}' stored encrypted in trades.db (venue exchange, key {info.fingerprint}, "
        f"verify: {info.verify_status}); vault key file: {home / 'vault.key'}"
    )
    added = store_advanced_credential(home, sims["advanced"], log, timeout=TOOL_TIMEOUT)
    say(
        f"      credential '{added['label']}' stored encrypted (venue advanced, key {added['fingerprint']}, "
        f"verify: {added['verify_status']}; can_view {added['can_view']}, can_trade {added['can_trade']}, "
        f"can_transfer {added['can_transfer']})"
    )
    say(
        f"        with: trade-tracker credentials add --label {ADVANCED_LABEL} --venue advanced --key-file "
        f"{added['key_file']}; then the plaintext key file was deleted"
    )
