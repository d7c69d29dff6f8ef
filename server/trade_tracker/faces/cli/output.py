"""The CLI's one error boundary and its output: exit codes, the lazy command group, JSON or a table on stdout.

Every verb prints JSON on stdout (the MCP tools' shapes): indented on a terminal, one compact line when
piped or with ``--compact``; the list-like verbs print a table on a terminal (``table.py``). Errors are
one line on stderr and a distinct exit code (:data:`EXIT_CODES`, mapped in :func:`exit_code_for`, the
one place). Imports only click and ``errors`` at load time.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from trade_tracker.errors import (
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
    from trade_tracker.app import TradeTracker

__all__ = [
    "EXIT_CODES",
    "CliError",
    "CliState",
    "ExitCode",
    "TrackerGroup",
    "emit",
    "exit_code_for",
    "report_error",
    "run_app",
    "say_error",
    "to_jsonable",
]

T = TypeVar("T")


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


def say_error(text: str) -> None:
    click.echo(_one_line(text), err=True)


def report_error(exc: BaseException) -> int:
    """Print one line on stderr for ``exc`` and return the exit code (the one error boundary)."""
    exc = _unwrap_group(exc)
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        click.echo(exc.ctx.get_help())
        return ExitCode.OK
    if isinstance(exc, click.UsageError):
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        say_error(f"error: {exc.format_message()}{hint}")
        return ExitCode.USAGE
    if isinstance(exc, click.Abort | KeyboardInterrupt):
        say_error("interrupted")
        return ExitCode.INTERRUPTED
    if isinstance(exc, click.ClickException):
        say_error(f"error: {exc.format_message()}")
        return exc.exit_code
    if isinstance(exc, TradeTrackerError):
        say_error(f"error: {exc}")
        return exit_code_for(exc)
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return ExitCode.INTERNAL
    if os.environ.get("TRADE_TRACKER_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    say_error(f"internal error: {type(exc).__name__}")
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
        # click declares exit_code a ClassVar, yet reads it from the instance: ours differs per error.
        self.exit_code = exit_code  # pyright: ignore[reportAttributeAccessIssue]


class TrackerGroup(click.Group):
    """The root group: maps every failure through :func:`report_error`, and loads some subcommands lazily.

    A lazy subcommand (``lazy_commands``: name -> (module, attribute, one-line help)) is imported only
    when it runs or its own help is asked for, so ``trade-tracker --help`` never pays for its imports.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, tuple[str, str, str]] | None = None, **kwargs: Any) -> None:
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

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
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


def emit(
    data: Any,
    *,
    table: bool = False,
    hide: tuple[str, ...] = (),
    columns: dict[str, list[str]] | None = None,
    table_data: Any = None,
) -> None:
    """Print ``data`` on stdout: JSON, indented on a terminal (or --pretty), else one line; or, for a
    list-like verb (``table``) on a terminal or with ``--format table``, as plain-text tables (``hide``
    and ``columns``: what the tables leave out or show, see ``cli_table``; ``table_data``: a terse form
    the table shows instead of ``data``; the JSON keeps everything)."""
    import json

    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(CliState) if ctx else None
    if _wants_table(state, table):
        from .table import render_table

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

    from trade_tracker.app import TradeTracker

    async def go() -> T:
        app = TradeTracker.open()
        try:
            return await job(app)
        finally:
            await app.aclose()

    return asyncio.run(go())
