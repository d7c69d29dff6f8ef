"""The CLI's verbs: live reads, sync, the store's reads and export, and serve / sim / demo.

Each verb checks its options (click), opens the core only when it runs (:func:`output.run_app`), and
prints through :func:`output.emit`. The heavy modules (the core, pydantic, httpx, sqlite-utils, mcp)
are imported inside the verbs, so ``trade-tracker --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .progress import SyncProgressBar

if TYPE_CHECKING:
    from trade_tracker.analytics.models import GroupBy, Method
    from trade_tracker.app import TradeTracker

from .options import ORDER_STATUSES, check_label_option, check_product, format_option, label_option, store_filters
from .output import CliError, ExitCode, emit, run_app, say_error

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
def products(quote_currency: str | None, status: str | None, query: str | None) -> None:
    """List the exchange's products (public; no key needed)."""
    from ..shapes import ProductsOut

    found = run_app(lambda app: app.list_products(quote_currency, status, query))
    emit(ProductsOut.of(found, limit=len(found)), table=True)  # a script gets every product; the model is bounded


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
def ticker(product_id: str) -> None:
    """Last price, bid/ask and 24h volume of one product (public)."""
    from ..shapes import TickerOut

    emit(TickerOut.of(product_id, run_app(lambda app: app.get_ticker(product_id))))


@click.command()
@format_option
@label_option
@click.option("--all", "show_all", is_flag=True, help="include currencies with zero balance")
def accounts(label: str | None, show_all: bool) -> None:
    """Balances per currency, live (needs a key with View permission)."""
    from ..shapes import AccountsOut

    used, found = run_app(lambda app: app.list_accounts(label, hide_zero=not show_all))
    emit(AccountsOut.of(used, found), table=True)


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
    used, found = run_app(lambda app: app.list_orders(label, wanted or None, product_id, limit))
    emit(OrdersOut.of(used, wanted, found), table=True)


@click.command()
@format_option
@label_option
@click.option("--product-id", callback=check_product, metavar="BASE-QUOTE", help="fills of this product")
@click.option("--order-id", metavar="UUID", help="fills of this order")
@click.option("--limit", type=click.IntRange(1, 100), default=25, show_default=True, help="fills per page")
@click.option("--after", type=click.IntRange(min=1), metavar="TRADE_ID", help="next_after of the previous page")
def fills(label: str | None, product_id: str | None, order_id: str | None, limit: int, after: int | None) -> None:
    """One page of fills, live from the exchange, newest first.

    Needs --product-id or --order-id. Pass next_after as --after for older fills.
    """
    if (product_id is None) == (order_id is None):
        raise click.UsageError("give exactly one of --product-id or --order-id")
    from ..shapes import FillsOut

    used, page = run_app(lambda app: app.list_fills(label, product_id, order_id, limit, after))
    emit(FillsOut.of(used, page, hoist_product=False), table=True, hide=("order_id",))


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
@format_option
@store_filters
@click.option("--side", type=click.Choice(["buy", "sell"]), help="only buys or only sells")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="rows per page")
@click.option("--cursor", metavar="TEXT", help="next_cursor of the previous page")
def trades(
    product_id: str | None,
    since: str | None,
    until: str | None,
    label: str | None,
    side: str | None,
    limit: int,
    cursor: str | None,
) -> None:
    """Fills from the local store (offline), newest first.

    Run sync-fills first. Pass next_cursor as --cursor for the next page.
    """
    from ..shapes import TradesOut

    async def job(app: TradeTracker) -> TradesOut:
        from trade_tracker.sync.status import empty_store_hint

        rows, next_cursor = app.store.query_fills(
            product_id=product_id, side=side, since=since, until=until, label=label, limit=limit, cursor=cursor
        )
        out = TradesOut.of(rows, next_cursor, hoist_product=False)
        if not rows and cursor is None:  # as the MCP tool: say why an empty answer is empty
            out.hint = empty_store_hint(app.store, label)
        return out

    emit(run_app(job), table=True, hide=("order_id",))


@click.command()
@format_option
@store_filters
@click.option("--group-by", type=click.Choice(["product", "month", "day"]), default="product", show_default=True)
@click.option(
    "--method",
    type=click.Choice(["fifo", "average"]),
    default="fifo",
    show_default=True,
    help="cost basis for realized PnL",
)
@click.option(
    "--with-unrealized",
    is_flag=True,
    help="also fetch live tickers for unrealized PnL (calls the exchange; marked in the output)",
)
def summary(
    product_id: str | None,
    since: str | None,
    until: str | None,
    label: str | None,
    group_by: GroupBy,
    method: Method,
    with_unrealized: bool,
) -> None:
    """Volume, fees, position and PnL, from the local store.

    Grouped per product (or month, day: then also totals per period across products, with the
    cumulative realized PnL). Offline and exact unless --with-unrealized fetches tickers.
    """

    async def job(app: TradeTracker) -> Any:
        return await app.summary(
            product_id=product_id,
            since=since,
            until=until,
            label=label,
            group_by=group_by,
            method=method,
            with_unrealized=with_unrealized,
        )

    from .table import SUMMARY_COLUMNS

    hide = ("generated_at",) if group_by != "product" else ("generated_at", "periods")
    emit(run_app(job), table=True, hide=hide, columns=SUMMARY_COLUMNS)


@click.command()
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="the CSV file to write (replaced atomically, mode 0600)",
)
@click.option("--summary", "as_summary", is_flag=True, help="write the summary instead of the fills")
@store_filters
@click.option(
    "--group-by",
    type=click.Choice(["product", "month", "day"]),
    default="product",
    show_default=True,
    help="with --summary",
)
@click.option(
    "--method",
    type=click.Choice(["fifo", "average"]),
    default="fifo",
    show_default=True,
    help="with --summary: cost basis for realized PnL",
)
@click.option("--with-unrealized", is_flag=True, help="with --summary: add unrealized PnL at live tickers")
def export(
    csv_path: Path,
    as_summary: bool,
    product_id: str | None,
    since: str | None,
    until: str | None,
    label: str | None,
    group_by: GroupBy,
    method: Method,
    with_unrealized: bool,
) -> None:
    """Write stored fills (or the summary) to a CSV file.

    Prints the file's path and row count as JSON.
    """
    if not as_summary and (with_unrealized or group_by != "product" or method != "fifo"):
        raise click.UsageError("--group-by, --method and --with-unrealized go with --summary")
    emit(
        run_app(
            lambda app: app.export_csv(
                csv_path,
                summary=as_summary,
                group_by=group_by,
                method=method,
                with_unrealized=with_unrealized,
                product_id=product_id,
                since=since,
                until=until,
                label=label,
            )
        )
    )


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
    help="keep the demo key in PATH across restarts (created 0600 on first run)",
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
) -> None:
    """Run the local Coinbase Exchange simulator until Ctrl-C.

    Prints one JSON line {url, key, secret, passphrase} once listening: a throwaway demo key, not a real one.
    """
    from trade_tracker.sim import serve_main

    try:
        code = serve_main(
            host=host,
            port=port,
            fills=fills,
            products=[p.strip() for p in products.split(",") if p.strip()],
            seed=int(seed) if seed.lstrip("-").isdigit() else seed,
            rate_limits=rate_limits == "on",
            fail_rate=fail_rate,
            latency_ms=latency_ms,
            auth_failure_status=int(auth_failure_status),
            clock_offset=clock_offset,
            allow_non_loopback=allow_non_loopback,
            key_file=key_file,
        )
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
    trades,
    summary,
    export,
    serve,
    sim,
    demo,
)
