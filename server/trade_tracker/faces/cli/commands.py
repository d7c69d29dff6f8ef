"""The CLI's verbs: live reads, sync, and serve / sim / demo (the store's reads and export: ``store_commands``).

Each verb checks its options (click), opens the core only when it runs (:func:`output.run_app`), and
prints through :func:`output.emit`. The heavy modules (the core, pydantic, httpx, sqlite-utils, mcp)
are imported inside the verbs, so ``trade-tracker --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .progress import SyncProgressBar

if TYPE_CHECKING:
    from trade_tracker.app import TradeTracker

from .options import ORDER_STATUSES, check_label_option, check_product, format_option, label_option, venue_option
from .output import CliError, ExitCode, emit, run_app, say_error
from .store_commands import STORE_COMMANDS
from .tax_commands import TAX_COMMANDS

__all__ = ["COMMANDS"]

# -- sync with a progress bar (cli_progress.SyncProgressBar), and export ------------------------


async def _sync(app: TradeTracker, label: str | None, product_ids: list[str] | None, full: bool) -> Any:
    """Run one sync; the first Ctrl-C asks it to stop after the current page (a second one aborts)."""
    import asyncio
    import signal

    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        cancel.set()
        click.echo("stopping after the current page (Ctrl-C again to abort)", err=True)
        loop.remove_signal_handler(signal.SIGINT)

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        handler_installed = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        handler_installed = False
    bar = SyncProgressBar()
    completed = False
    try:
        result = await app.sync_fills(label, product_ids, full_history=full, progress=bar, cancel=cancel)
        completed = not result.cancelled
        return result
    except Exception as exc:
        from trade_tracker.sync.results import partial_result

        stored = partial_result(exc)
        if stored is not None:  # what was stored before the error, on stdout; the error on stderr
            bar.close(completed=False)
            emit(stored)
        raise
    finally:
        bar.close(completed=completed)
        if handler_installed:
            loop.remove_signal_handler(signal.SIGINT)


@click.command()
@format_option
@click.option("--quote-currency", metavar="CUR", help="only products quoted in this, e.g. USD")
@click.option("--status", type=click.Choice(["online", "offline", "internal", "delisted"]), help="only this status")
@click.option("--query", "-q", metavar="TEXT", help="substring of the id or name, e.g. ETH")
@venue_option
def products(quote_currency: str | None, status: str | None, query: str | None, venue: str) -> None:
    """List a venue's products (public; no key needed)."""
    from ..shapes import ProductsOut

    found = run_app(lambda app: app.list_products(quote_currency, status, query, venue))
    emit(ProductsOut.of(found, limit=len(found), venue=venue), table=True)  # a script gets every product


@click.command()
@click.option(
    "--product",
    "--product-id",
    "product_id",
    required=True,
    callback=check_product,
    metavar="BASE-QUOTE",
    help="e.g. BTC-USD",
)
@venue_option
def ticker(product_id: str, venue: str) -> None:
    """Last price, bid/ask and 24h volume of one product (public)."""
    from ..shapes import TickerOut

    emit(TickerOut.of(run_app(lambda app: app.get_ticker(product_id, venue))))


@click.command()
@format_option
@label_option
@click.option("--all", "show_all", is_flag=True, help="include currencies with zero balance")
def accounts(label: str | None, show_all: bool) -> None:
    """Balances per currency, live (needs a key with View permission)."""
    from ..shapes import AccountsOut

    async def job(app: TradeTracker) -> AccountsOut:
        used, found = await app.list_accounts(label, hide_zero=not show_all)
        return AccountsOut.of(used, found, app.venue_of(used).id)

    emit(run_app(job), table=True)


@click.command()
@format_option
@label_option
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(ORDER_STATUSES),
    help="repeatable; default: open orders only (use done or all for history)",
)
@click.option("--product-id", callback=check_product, metavar="BASE-QUOTE", help="only this product")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def orders(label: str | None, statuses: tuple[str, ...], product_id: str | None, limit: int) -> None:
    """Recent orders, live from the exchange, newest first."""
    from ..shapes import OrdersOut

    wanted = list(dict.fromkeys(statuses))

    async def job(app: TradeTracker) -> OrdersOut:
        used, found = await app.list_orders(label, wanted or None, product_id, limit)
        return OrdersOut.of(used, wanted, found, app.venue_of(used).id)

    emit(run_app(job), table=True)


@click.command()
@format_option
@label_option
@click.option("--product-id", callback=check_product, metavar="BASE-QUOTE", help="fills of this product")
@click.option("--order-id", metavar="UUID", help="fills of this order")
@click.option("--limit", type=click.IntRange(1, 100), default=25, show_default=True, help="fills per page")
@click.option("--after", metavar="CURSOR", help="next_after of the previous page")
def fills(label: str | None, product_id: str | None, order_id: str | None, limit: int, after: str | None) -> None:
    """One page of fills, live from the exchange, newest first.

    Coinbase Exchange needs --product-id or --order-id; an Advanced Trade label reads the whole account
    without them. Pass next_after as --after for older fills.
    """
    if product_id is not None and order_id is not None:
        raise click.UsageError("give exactly one of --product-id or --order-id")
    from ..shapes import FillsOut

    async def job(app: TradeTracker) -> FillsOut:
        if product_id is None and order_id is None and app.needs_product(label):
            raise click.UsageError("give exactly one of --product-id or --order-id")
        used, page = await app.list_fills(label, product_id, order_id, limit, after)
        return FillsOut.of(used, page, hoist_product=False, venue=app.venue_of(used).id)

    emit(run_app(job), table=True, hide=("order_id",))


@click.command("sync-fills")
@format_option
@label_option
@click.option(
    "--product-id",
    "product_ids",
    multiple=True,
    callback=check_product,
    metavar="BASE-QUOTE",
    help="repeatable; default: every product the account traded",
)
@click.option("--full", is_flag=True, help="re-read the whole history, not only new fills")
def sync_fills_cmd(label: str | None, product_ids: tuple[str, ...], full: bool) -> None:
    """Bring fills from the exchange into the local store.

    The first run reads the whole history, later runs only new fills. Ctrl-C stops after the current
    page and keeps everything synced so far. A progress bar shows on stderr when it is a terminal.
    """
    result = run_app(lambda app: _sync(app, label, list(product_ids) or None, full))
    emit(result, table=True)
    if getattr(result, "cancelled", False):
        say_error("interrupted: the sync stopped early; every fill synced so far is kept (run it again to go on)")
        sys.exit(ExitCode.INTERRUPTED)
    if getattr(result, "failed", False):
        say_error("error: every product failed; each product's error is in the result on stdout")
        sys.exit(ExitCode.NETWORK)


@click.command("sync-status")
@format_option
@click.option("--label", metavar="LABEL", callback=check_label_option, help="only this credential label (default: all)")
def sync_status_cmd(label: str | None) -> None:
    """What is synced, per label and product (offline): running or idle, the last run and how it ended,
    fills stored and their dates, whether the whole history is stored. Same JSON as the sync_status tool."""
    from trade_tracker.sync.status import sync_status

    async def job(app: TradeTracker) -> Any:
        return sync_status(app.store, None, [c.label for c in app.credentials.list()], label)

    emit(run_app(job))


@click.command()
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP bind address")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="HTTP port")
@click.option("--allow-remote", is_flag=True, help="allow a non-loopback HTTP bind (put TLS in front)")
def serve(transport: str, host: str, port: int, allow_remote: bool) -> None:
    """Run the MCP server (stdio, or http on loopback).

    stdio is what an editor starts; http binds 127.0.0.1 and needs a bearer token (printed on stderr
    unless TRADE_TRACKER_HTTP_TOKEN is set).
    """
    from ..mcp.serve import run

    if transport == "stdio":
        from .serve import prepare_stdio_terminal

        prepare_stdio_terminal()
    run(transport=transport, host=host, port=port, allow_remote=allow_remote)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="0: a free port (the default; with --key-file, the port kept there)",
)
@click.option("--fills", type=click.IntRange(min=0), default=10_000, show_default=True, help="fills in the history")
@click.option(
    "--products",
    default="BTC-USD,ETH-USD,SOL-USD",
    show_default=True,
    metavar="A,B,C",
    help="online products (a delisted one is always added)",
)
@click.option("--seed", default="42", show_default=True, help="same seed, same history")
@click.option("--rate-limits", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="share of API requests answering a random 5xx",
)
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True, help="added to every API answer"
)
@click.option(
    "--auth-failure-status",
    type=click.Choice(["400", "401"]),
    default="401",
    show_default=True,
    help="status of a rejected signature (older deployments used 400)",
)
@click.option("--clock-offset", type=float, default=0.0, show_default=True, help="server clock minus real clock, s")
@click.option("--allow-non-loopback", is_flag=True, help="allow a non-loopback --host")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="keep the demo key in PATH across restarts (created 0600 on first run; --venue exchange)",
)
@click.option(
    "--venue",
    type=click.Choice(["exchange", "advanced"]),
    default="exchange",
    show_default=True,
    help="which API to simulate: Coinbase Exchange, or Advanced Trade (CDP keys, JWT)",
)
@click.option(
    "--key-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="--venue advanced: keep the CDP key files (and the port) in DIR across restarts",
)
@click.option(
    "--page-cap",
    type=click.IntRange(min=1),
    default=250,
    show_default=True,
    help="--venue advanced: largest fills page",
)
@click.option(
    "--reversal-sign",
    type=click.Choice(["positive", "negative"]),
    default="positive",
    show_default=True,
    help="--venue advanced: sign of REVERSAL sizes (unverified on the real API)",
)
def sim(
    host: str,
    port: int | None,
    fills: int,
    products: str,
    seed: str,
    rate_limits: str,
    fail_rate: float,
    latency_ms: float,
    auth_failure_status: str,
    clock_offset: float,
    allow_non_loopback: bool,
    key_file: Path | None,
    venue: str,
    key_dir: Path | None,
    page_cap: int,
    reversal_sign: str,
) -> None:
    """Run the local Coinbase Exchange (or, with --venue advanced, Advanced Trade) simulator until Ctrl-C.

    Prints one JSON line once listening. Exchange: {url, key, secret, passphrase}, a throwaway demo key.
    Advanced: {venue, url, key_dir, key_files, key_names}; import a key with
    `trade-tracker credentials add --venue advanced --key-file PATH` (the private keys are never printed).
    """
    from trade_tracker.sim import serve_main

    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "fills": fills,
        "products": [p.strip() for p in products.split(",") if p.strip()],
        "seed": int(seed) if seed.lstrip("-").isdigit() else seed,
        "rate_limits": rate_limits == "on",
        "fail_rate": fail_rate,
        "latency_ms": latency_ms,
        "clock_offset": clock_offset,
        "allow_non_loopback": allow_non_loopback,
    }
    if venue == "advanced":
        if key_file is not None:
            raise click.UsageError("--key-file is for --venue exchange; with --venue advanced use --key-dir DIR")
        from trade_tracker.sim.advanced.server import serve_advanced_main

        advanced = {"key_dir": key_dir, "page_cap": page_cap, "reversal_sign": reversal_sign}
        _serve_sim(lambda: serve_advanced_main(**common, **advanced), host, port)
    _serve_sim(
        lambda: serve_main(**common, auth_failure_status=int(auth_failure_status), key_file=key_file), host, port
    )


def _serve_sim(serve: Callable[[], int], host: str, port: int | None) -> None:
    """Run a simulator's serve function; exit with its code, or a usage / network error."""
    try:
        code = serve()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port or 0}: {exc.strerror or exc}", ExitCode.NETWORK) from None
    sys.exit(code)


@click.command()
@click.option(
    "--demo-home",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".demo-home"),
    show_default=True,
    help="the demo's own data directory, emptied at each run",
)
@click.option("--fills", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--seed", default="7", show_default=True)
def demo(demo_home: Path, fills: int, seed: str) -> None:
    """Offline demo: simulator, stored key, MCP server and a real MCP client.

    Needs no Coinbase key and no network. Prints a transcript; exits 0 when every step worked.
    """
    from .demo import run_demo

    sys.exit(run_demo(demo_home, fills=fills, seed=seed))


#: Every verb, added to the group by ``faces/cli/__init__.py``.
COMMANDS = (
    products,
    ticker,
    accounts,
    orders,
    fills,
    sync_fills_cmd,
    sync_status_cmd,
    *STORE_COMMANDS,
    *TAX_COMMANDS,
    serve,
    sim,
    demo,
)
