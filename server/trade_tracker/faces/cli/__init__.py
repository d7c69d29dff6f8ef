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

import os
from pathlib import Path

import click

from trade_tracker import __version__

from .commands import COMMANDS
from .options import (
    DATE,
    FORMAT_HELP,
    LABEL_HELP,
    ORDER_STATUSES,
    DateText,
    StoreFilterArgs,
    check_label_option,
    check_product,
    format_option,
    group_by_option,
    label_option,
    method_option,
    store_filters,
    venue_option,
)
from .output import (
    EXIT_CODES,
    CliError,
    CliState,
    ExitCode,
    TrackerGroup,
    emit,
    exit_code_for,
    report_error,
    run_app,
    say_error,
    to_jsonable,
)
from .progress import SyncProgressBar, estimate_text, say_duration

__all__ = [
    "COMMANDS",
    "DATE",
    "EXIT_CODES",
    "FORMAT_HELP",
    "LABEL_HELP",
    "ORDER_STATUSES",
    "CliError",
    "CliState",
    "DateText",
    "ExitCode",
    "StoreFilterArgs",
    "SyncProgressBar",
    "TrackerGroup",
    "check_label_option",
    "check_product",
    "emit",
    "estimate_text",
    "exit_code_for",
    "format_option",
    "group_by_option",
    "label_option",
    "venue_option",
    "main",
    "method_option",
    "report_error",
    "run_app",
    "say_duration",
    "say_error",
    "store_filters",
    "to_jsonable",
]


@click.group(
    cls=TrackerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    lazy_commands={
        "credentials": (
            "trade_tracker.faces.cli.credentials",
            "credentials",
            "Add, list or remove API keys (encrypted); rotate-key.",
        )
    },
)
@click.option(
    "--pretty/--compact",
    default=None,
    help="JSON layout: indented (default on a terminal) or one compact line (default when piped).",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default=None, help=FORMAT_HELP)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="data directory (trades.db, vault.key); overrides TRADE_TRACKER_HOME.",
)
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
        from trade_tracker.logs import configure_cli_logging

        configure_cli_logging(os.environ.get("TRADE_TRACKER_LOG_LEVEL"))
    ctx.obj = CliState(pretty=pretty, format=output_format)


for _command in COMMANDS:
    main.add_command(_command)
