"""The ``trade-tracker`` command line: the CLI face of the core (``app.TradeTracker``).

Every verb prints JSON on stdout (the same shapes as the MCP tools, from ``tool_models``, except
that fills always carry ``product_id`` in their rows): indented on a terminal, one compact line when
piped or with ``--compact``, so ``| jq`` always works and money stays an exact decimal string.
On a terminal the list-like verbs print a plain-text table instead (``cli_table``); ``--format
table|json`` chooses either way. Errors are one line on stderr and
a distinct exit code (:data:`EXIT_CODES`, mapped in :func:`exit_code_for`, the one place).

``trade-tracker --help`` must stay fast, so this module imports only click and the
dependency-free ``errors`` at load time; the core, pydantic, httpx, sqlite-utils and mcp
are imported inside the commands that need them.
"""

from __future__ import annotations

import enum
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .cli_progress import SyncProgressBar
from .errors import (
    AuthenticationError,
    ConfigError,
    CredentialError,
    ExchangeError,
    ExchangeProtocolError,
    InvalidArgument,
    PermissionDenied,
    StoreError,
    SyncCancelled,
    TradeTrackerError,
    VaultError,
)

if TYPE_CHECKING:
    from .app import TradeTracker

__all__ = ["EXIT_CODES", "ExitCode", "SyncProgressBar", "check_label_option", "exit_code_for", "main"]

T = TypeVar("T")

ORDER_STATUSES = ("open", "pending", "rejected", "done", "active", "received", "all")
LABEL_HELP = "credential label; default: the env credential (EX_API_*) if set, else the only stored one"


class ExitCode(enum.IntEnum):
    """Process exit codes: scripts can tell what kind of failure happened."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    AUTH = 3
    NETWORK = 4
    DATA = 5
    INTERRUPTED = 130


#: Our error classes to exit codes, most specific first (the first ``isinstance`` match wins).
EXIT_CODES: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (ExchangeProtocolError, ExitCode.DATA),
    (AuthenticationError, ExitCode.AUTH),
    (PermissionDenied, ExitCode.AUTH),
    (CredentialError, ExitCode.AUTH),
    (InvalidArgument, ExitCode.USAGE),
    (ConfigError, ExitCode.USAGE),
    (ExchangeError, ExitCode.NETWORK),
    (StoreError, ExitCode.DATA),
    (VaultError, ExitCode.DATA),
    (SyncCancelled, ExitCode.INTERRUPTED),
)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for one of our errors; INTERNAL for anything unmapped."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return ExitCode.INTERNAL


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _say_error(text: str) -> None:
    click.echo(_one_line(text), err=True)


def report_error(exc: BaseException) -> int:
    """Print one line on stderr for ``exc`` and return the exit code (the one error boundary)."""
    exc = _unwrap_group(exc)
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        click.echo(exc.ctx.get_help())
        return ExitCode.OK
    if isinstance(exc, click.UsageError):
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        _say_error(f"error: {exc.format_message()}{hint}")
        return ExitCode.USAGE
    if isinstance(exc, click.Abort | KeyboardInterrupt):
        _say_error("interrupted")
        return ExitCode.INTERRUPTED
    if isinstance(exc, click.ClickException):
        _say_error(f"error: {exc.format_message()}")
        return exc.exit_code
    if isinstance(exc, TradeTrackerError):
        _say_error(f"error: {exc}")
        return exit_code_for(exc)
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return ExitCode.INTERNAL
    if os.environ.get("TRADE_TRACKER_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    _say_error(f"internal error: {type(exc).__name__}")
    return ExitCode.INTERNAL


def _unwrap_group(exc: BaseException) -> BaseException:
    """Our error inside anyio's task-group ``ExceptionGroup`` wrappers, so it reads as itself.

    A group holding one of ours (or a single error) gives that one; any other group stays as is.
    """
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    ours = exc.subgroup(lambda e: isinstance(e, TradeTrackerError))
    group = ours if ours is not None else exc
    while isinstance(group, BaseExceptionGroup) and len(group.exceptions) == 1:
        group = group.exceptions[0]
    if isinstance(group, BaseExceptionGroup):
        return next((e for e in _leaves(group) if isinstance(e, TradeTrackerError)), exc)
    return group


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    return [leaf for e in group.exceptions for leaf in (_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])]


def _silence_stdout() -> None:
    """After EPIPE (``| head``), point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class CliError(click.ClickException):
    """A failure found by the CLI itself (e.g. an unwritable file), with its own exit code."""

    def __init__(self, message: str, exit_code: int = ExitCode.INTERNAL) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class TrackerGroup(click.Group):
    """The root group: maps every failure through :func:`report_error`, and loads some subcommands lazily.

    A lazy subcommand (``lazy_commands``: name -> (module, attribute, one-line help)) is imported only
    when it runs or its own help is asked for, so ``trade-tracker --help`` never pays for its imports.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, tuple[str, str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            import importlib

            module, attribute, _ = self.lazy_commands[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name not in self.commands and name in self.lazy_commands:
                rows.append((name, self.lazy_commands[name][2]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - max(map(len, self.commands)))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except SystemExit:
            raise
        except BaseException as exc:  # noqa: BLE001 - this is the one place that reports everything
            sys.exit(report_error(exc))
        sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else ExitCode.OK)


# -- output --------------------------------------------------------------------------------------


@dataclass
class CliState:
    """Global options, kept on the click context."""

    pretty: bool | None = None
    format: str | None = None  # "table" | "json"; None: table for list-like verbs on a terminal


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def to_jsonable(data: Any) -> Any:
    """Pydantic models as ``model_dump(mode="json")`` (exact decimal strings); containers recursively."""
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {str(k): to_jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [to_jsonable(v) for v in data]
    return data


def _json_default(value: Any) -> Any:
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _wants_table(state: CliState | None, table: bool) -> bool:
    """--format wins; else a list-like verb on a terminal gets a table, unless --pretty/--compact asked for JSON."""
    if state is not None and state.format is not None:
        return state.format == "table"
    return table and _stdout_is_tty() and (state is None or state.pretty is None)


def emit(data: Any, *, table: bool = False, hide: tuple[str, ...] = (),
         columns: dict[str, list[str]] | None = None, table_data: Any = None) -> None:
    """Print ``data`` on stdout: JSON, indented on a terminal (or --pretty), else one line; or, for a
    list-like verb (``table``) on a terminal or with ``--format table``, as plain-text tables (``hide``
    and ``columns``: what the tables leave out or show, see ``cli_table``; ``table_data``: a terse form
    the table shows instead of ``data``; the JSON keeps everything)."""
    import json

    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(CliState) if ctx else None
    if _wants_table(state, table):
        from .cli_table import render_table

        shown = data if table_data is None else table_data
        plain = json.loads(json.dumps(to_jsonable(shown), default=_json_default))
        click.echo(render_table(plain, columns=columns, hide=hide))
        return
    pretty = state.pretty if state is not None and state.pretty is not None else _stdout_is_tty()
    text = json.dumps(
        to_jsonable(data),
        indent=2 if pretty else None,
        separators=(",", ": ") if pretty else (",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )
    click.echo(text)


# -- running the core ------------------------------------------------------------------------------


def run_app(job: Callable[[TradeTracker], Awaitable[T]]) -> T:
    """Open the core once (settings, store), run one async job on it, close it."""
    import asyncio

    from .app import TradeTracker

    async def go() -> T:
        app = TradeTracker.open()
        try:
            return await job(app)
        finally:
            await app.aclose()

    return asyncio.run(go())


class DateText(click.ParamType):
    """An ISO date or date-time (UTC when no zone), checked here so a typo is a usage error."""

    name = "DATE"
    _pattern = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not self._pattern.match(text):
            self.fail(f"{text[:40]!r} is not an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z", param, ctx)
        return text


DATE = DateText()


def _check_product(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Upper-case BASE-QUOTE ids (one or several) and refuse anything else as a usage error."""
    if value is None:
        return None
    from .coinbase.params import check_product_id  # light: no HTTP stack
    from .errors import InvalidArgument

    values = [value] if isinstance(value, str) else list(value)
    try:
        upper = [check_product_id(item) for item in values]
    except InvalidArgument as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    return upper[0] if isinstance(value, str) else tuple(upper)


def check_label_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--label``: the same check as the MCP tools' ``label`` (``labels.check_label``); a usage error."""
    if value is None:
        return None
    from .labels import check_label  # light: re and errors only

    try:
        return check_label(value, allow_env=True)
    except InvalidArgument as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _set_format(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliState).format = value


#: ``--format`` on the main group and on each list-like verb (``trade-tracker trades --format json``).
FORMAT_HELP = "table or JSON on stdout (default: a table on a terminal, JSON when piped)."


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "output_format", type=click.Choice(["table", "json"]), default=None,
                        expose_value=False, callback=_set_format, is_eager=False, help=FORMAT_HELP)(fn)


def label_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--label", metavar="LABEL", callback=check_label_option, help=LABEL_HELP)(fn)


def store_filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--product-id, --since, --until and --label for the verbs that read the local store."""
    for option in reversed([
        click.option("--product-id", callback=_check_product, metavar="BASE-QUOTE", help="only this product"),
        click.option("--since", type=DATE, help="only fills at or after this date (UTC)"),
        click.option("--until", type=DATE, help="only fills up to this date (UTC)"),
        click.option("--label", metavar="LABEL", callback=check_label_option,
                     help="only fills synced with this credential (default: all)"),
    ]):
        fn = option(fn)
    return fn


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
        from .sync import partial_result

        stored = partial_result(exc)
        if stored is not None:  # what was stored before the error, on stdout; the error on stderr
            bar.close(completed=False)
            emit(stored)
        raise
    finally:
        bar.close(completed=completed)
        if handler_installed:
            loop.remove_signal_handler(signal.SIGINT)


# -- the command tree ------------------------------------------------------------------------------


@click.group(
    cls=TrackerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    lazy_commands={"credentials": ("trade_tracker.cli_credentials", "credentials",
                                   "Add, list or remove API keys (encrypted); rotate-key.")},
)
@click.option("--pretty/--compact", default=None,
              help="JSON layout: indented (default on a terminal) or one compact line (default when piped).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default=None, help=FORMAT_HELP)
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="data directory (trades.db, vault.key); overrides TRADE_TRACKER_HOME.")
@click.version_option(__version__, "-V", "--version", prog_name="trade-tracker")
@click.pass_context
def main(ctx: click.Context, pretty: bool | None, output_format: str | None, home: Path | None) -> None:
    """trade-tracker: your Coinbase Exchange fills in a local SQLite store, for you and your editor's agent.

    Live verbs (products, ticker, accounts, orders, fills) call the exchange (EX_BASE_URL, the sandbox by
    default); trades, summary and export read the local store only. Output is JSON on stdout (a table
    on a terminal for the list-like verbs; --format chooses).

    Exit codes: 0 ok, 1 internal error, 2 usage or settings, 3 auth or credential, 4 network or exchange,
    5 data (store, vault, unexpected answer), 130 interrupted.
    """
    if home is not None:
        # The environment, not a parameter, so every layer (and `serve`'s child processes) sees it.
        os.environ["TRADE_TRACKER_HOME"] = str(home.expanduser())
    if ctx.invoked_subcommand != "serve":  # serve sets up its own logging from the settings
        from .logs import configure_cli_logging

        configure_cli_logging(os.environ.get("TRADE_TRACKER_LOG_LEVEL"))
    ctx.obj = CliState(pretty=pretty, format=output_format)


@main.command()
@format_option
@click.option("--quote-currency", metavar="CUR", help="only products quoted in this, e.g. USD")
@click.option("--status", type=click.Choice(["online", "offline", "internal", "delisted"]), help="only this status")
@click.option("--query", "-q", metavar="TEXT", help="substring of the id or name, e.g. ETH")
def products(quote_currency: str | None, status: str | None, query: str | None) -> None:
    """List the exchange's products (public; no key needed)."""
    from .tool_models import ProductsOut

    found = run_app(lambda app: app.list_products(quote_currency, status, query))
    emit(ProductsOut.of(found, limit=len(found)), table=True)  # a script gets every product; the model is bounded


@main.command()
@click.option("--product", "--product-id", "product_id", required=True, callback=_check_product,
              metavar="BASE-QUOTE", help="e.g. BTC-USD")
def ticker(product_id: str) -> None:
    """Last price, bid/ask and 24h volume of one product (public)."""
    from .tool_models import TickerOut

    emit(TickerOut.of(product_id, run_app(lambda app: app.get_ticker(product_id))))


@main.command()
@format_option
@label_option
@click.option("--all", "show_all", is_flag=True, help="include currencies with zero balance")
def accounts(label: str | None, show_all: bool) -> None:
    """Balances per currency, live (needs a key with View permission)."""
    from .tool_models import AccountsOut

    used, found = run_app(lambda app: app.list_accounts(label, hide_zero=not show_all))
    emit(AccountsOut.of(used, found), table=True)


@main.command()
@format_option
@label_option
@click.option("--status", "statuses", multiple=True, type=click.Choice(ORDER_STATUSES),
              help="repeatable; default: open orders only (use done or all for history)")
@click.option("--product-id", callback=_check_product, metavar="BASE-QUOTE", help="only this product")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def orders(label: str | None, statuses: tuple[str, ...], product_id: str | None, limit: int) -> None:
    """Recent orders, live from the exchange, newest first."""
    from .tool_models import OrdersOut

    wanted = list(dict.fromkeys(statuses))
    used, found = run_app(lambda app: app.list_orders(label, wanted or None, product_id, limit))
    emit(OrdersOut.of(used, wanted, found), table=True)


@main.command()
@format_option
@label_option
@click.option("--product-id", callback=_check_product, metavar="BASE-QUOTE", help="fills of this product")
@click.option("--order-id", metavar="UUID", help="fills of this order")
@click.option("--limit", type=click.IntRange(1, 100), default=25, show_default=True, help="fills per page")
@click.option("--after", type=click.IntRange(min=1), metavar="TRADE_ID", help="next_after of the previous page")
def fills(label: str | None, product_id: str | None, order_id: str | None, limit: int, after: int | None) -> None:
    """One page of fills, live from the exchange, newest first.

    Needs --product-id or --order-id. Pass next_after as --after for older fills.
    """
    if (product_id is None) == (order_id is None):
        raise click.UsageError("give exactly one of --product-id or --order-id")
    from .tool_models import FillsOut

    used, page = run_app(lambda app: app.list_fills(label, product_id, order_id, limit, after))
    emit(FillsOut.of(used, page, hoist_product=False), table=True, hide=("order_id",))


@main.command("sync-fills")
@format_option
@label_option
@click.option("--product-id", "product_ids", multiple=True, callback=_check_product, metavar="BASE-QUOTE",
              help="repeatable; default: every product the account traded")
@click.option("--full", is_flag=True, help="re-read the whole history, not only new fills")
def sync_fills_cmd(label: str | None, product_ids: tuple[str, ...], full: bool) -> None:
    """Bring fills from the exchange into the local store.

    The first run reads the whole history, later runs only new fills. Ctrl-C stops after the current
    page and keeps everything synced so far. A progress bar shows on stderr when it is a terminal.
    """
    result = run_app(lambda app: _sync(app, label, list(product_ids) or None, full))
    emit(result, table=True)
    if getattr(result, "cancelled", False):
        _say_error("interrupted: the sync stopped early; every fill synced so far is kept (run it again to go on)")
        sys.exit(ExitCode.INTERRUPTED)
    if getattr(result, "failed", False):
        _say_error("error: every product failed; each product's error is in the result on stdout")
        sys.exit(ExitCode.NETWORK)


@main.command("sync-status")
@format_option
@click.option("--label", metavar="LABEL", callback=check_label_option,
              help="only this credential label (default: all)")
def sync_status_cmd(label: str | None) -> None:
    """What is synced, per label and product (offline): running or idle, the last run and how it ended,
    fills stored and their dates, whether the whole history is stored. Same JSON as the sync_status tool."""
    from .sync_status import sync_status

    async def job(app: TradeTracker) -> Any:
        return sync_status(app.store, None, [c.label for c in app.credentials.list()], label)

    emit(run_app(job))


@main.command()
@format_option
@store_filters
@click.option("--side", type=click.Choice(["buy", "sell"]), help="only buys or only sells")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="rows per page")
@click.option("--cursor", metavar="TEXT", help="next_cursor of the previous page")
def trades(product_id: str | None, since: str | None, until: str | None, label: str | None, side: str | None,
           limit: int, cursor: str | None) -> None:
    """Fills from the local store (offline), newest first.

    Run sync-fills first. Pass next_cursor as --cursor for the next page.
    """
    from .tool_models import TradesOut

    async def job(app: TradeTracker) -> TradesOut:
        from .sync_status import empty_store_hint

        rows, next_cursor = app.store.query_fills(product_id=product_id, side=side, since=since, until=until,
                                                  label=label, limit=limit, cursor=cursor)
        out = TradesOut.of(rows, next_cursor, hoist_product=False)
        if not rows and cursor is None:  # as the MCP tool: say why an empty answer is empty
            out.hint = empty_store_hint(app.store, label)
        return out

    emit(run_app(job), table=True, hide=("order_id",))


@main.command()
@format_option
@store_filters
@click.option("--group-by", type=click.Choice(["product", "month", "day"]), default="product", show_default=True)
@click.option("--method", type=click.Choice(["fifo", "average"]), default="fifo", show_default=True,
              help="cost basis for realized PnL")
@click.option("--with-unrealized", is_flag=True,
              help="also fetch live tickers for unrealized PnL (calls the exchange; marked in the output)")
def summary(product_id: str | None, since: str | None, until: str | None, label: str | None, group_by: str,
            method: str, with_unrealized: bool) -> None:
    """Volume, fees, position and PnL, from the local store.

    Grouped per product (or month, day: then also totals per period across products, with the
    cumulative realized PnL). Offline and exact unless --with-unrealized fetches tickers.
    """

    async def job(app: TradeTracker) -> Any:
        return await app.summary(product_id=product_id, since=since, until=until, label=label,
                                 group_by=group_by, method=method, with_unrealized=with_unrealized)

    from .cli_table import SUMMARY_COLUMNS

    hide = ("generated_at",) if group_by != "product" else ("generated_at", "periods")
    emit(run_app(job), table=True, hide=hide, columns=SUMMARY_COLUMNS)


@main.command()
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="PATH", help="the CSV file to write (replaced atomically, mode 0600)")
@click.option("--summary", "as_summary", is_flag=True, help="write the summary instead of the fills")
@store_filters
@click.option("--group-by", type=click.Choice(["product", "month", "day"]), default="product", show_default=True,
              help="with --summary")
@click.option("--method", type=click.Choice(["fifo", "average"]), default="fifo", show_default=True,
              help="with --summary: cost basis for realized PnL")
@click.option("--with-unrealized", is_flag=True, help="with --summary: add unrealized PnL at live tickers")
def export(csv_path: Path, as_summary: bool, product_id: str | None, since: str | None, until: str | None,
           label: str | None, group_by: str, method: str, with_unrealized: bool) -> None:
    """Write stored fills (or the summary) to a CSV file.

    Prints the file's path and row count as JSON.
    """
    if not as_summary and (with_unrealized or group_by != "product" or method != "fifo"):
        raise click.UsageError("--group-by, --method and --with-unrealized go with --summary")
    emit(run_app(lambda app: app.export_csv(csv_path, summary=as_summary, group_by=group_by, method=method,
                                            with_unrealized=with_unrealized, product_id=product_id,
                                            since=since, until=until, label=label)))


@main.command()
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP bind address")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="HTTP port")
@click.option("--allow-remote", is_flag=True, help="allow a non-loopback HTTP bind (put TLS in front)")
def serve(transport: str, host: str, port: int, allow_remote: bool) -> None:
    """Run the MCP server (stdio, or http on loopback).

    stdio is what an editor starts; http binds 127.0.0.1 and needs a bearer token (printed on stderr
    unless TRADE_TRACKER_HTTP_TOKEN is set).
    """
    from .mcp_server import run

    if transport == "stdio":
        from .cli_serve import prepare_stdio_terminal

        prepare_stdio_terminal()
    run(transport=transport, host=host, port=port, allow_remote=allow_remote)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="0: a free port (the default; with --key-file, the port kept there)")
@click.option("--fills", type=click.IntRange(min=0), default=10_000, show_default=True, help="fills in the history")
@click.option("--products", default="BTC-USD,ETH-USD,SOL-USD", show_default=True, metavar="A,B,C",
              help="online products (a delisted one is always added)")
@click.option("--seed", default="42", show_default=True, help="same seed, same history")
@click.option("--rate-limits", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option("--fail-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="share of API requests answering a random 5xx")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="added to every API answer")
@click.option("--auth-failure-status", type=click.Choice(["400", "401"]), default="401", show_default=True,
              help="status of a rejected signature (older deployments used 400)")
@click.option("--clock-offset", type=float, default=0.0, show_default=True, help="server clock minus real clock, s")
@click.option("--allow-non-loopback", is_flag=True, help="allow a non-loopback --host")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="keep the demo key in PATH across restarts (created 0600 on first run)")
def sim(host: str, port: int | None, fills: int, products: str, seed: str, rate_limits: str, fail_rate: float,
        latency_ms: float, auth_failure_status: str, clock_offset: float, allow_non_loopback: bool,
        key_file: Path | None) -> None:
    """Run the local Coinbase Exchange simulator until Ctrl-C.

    Prints one JSON line {url, key, secret, passphrase} once listening: a throwaway demo key, not a real one.
    """
    from .sim import serve_main

    try:
        code = serve_main(
            host=host, port=port, fills=fills, products=[p.strip() for p in products.split(",") if p.strip()],
            seed=int(seed) if seed.lstrip("-").isdigit() else seed, rate_limits=rate_limits == "on",
            fail_rate=fail_rate, latency_ms=latency_ms, auth_failure_status=int(auth_failure_status),
            clock_offset=clock_offset, allow_non_loopback=allow_non_loopback, key_file=key_file,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port or 0}: {exc.strerror or exc}", ExitCode.NETWORK) from None
    sys.exit(code)


@main.command()
@click.option("--demo-home", type=click.Path(file_okay=False, path_type=Path), default=Path(".demo-home"),
              show_default=True, help="the demo's own data directory, emptied at each run")
@click.option("--fills", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--seed", default="7", show_default=True)
def demo(demo_home: Path, fills: int, seed: str) -> None:
    """Offline demo: simulator, stored key, MCP server and a real MCP client.

    Needs no Coinbase key and no network. Prints a transcript; exits 0 when every step worked.
    """
    from .demo import run_demo

    sys.exit(run_demo(demo_home, fills=fills, seed=seed))

