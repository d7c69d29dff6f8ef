"""The CLI's verbs that read the local store: ``trades``, ``summary`` and ``export``.

Offline (``summary --with-unrealized`` excepted): each opens the core only when it runs
(:func:`output.run_app`) and prints through :func:`output.emit`. Heavy modules are imported inside
the verbs, so ``trade-tracker --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import StoreFilterArgs, format_option, group_by_option, method_option, store_filters
from .output import emit, run_app

if TYPE_CHECKING:
    from trade_tracker.analytics.models import GroupBy, Method
    from trade_tracker.app import TradeTracker

__all__ = ["STORE_COMMANDS", "export", "summary", "trades"]


@click.command()
@format_option
@store_filters
@click.option("--side", type=click.Choice(["buy", "sell"]), help="only buys or only sells")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="rows per page")
@click.option("--cursor", metavar="TEXT", help="next_cursor of the previous page")
def trades(
    filters: StoreFilterArgs,
    side: str | None,
    limit: int,
    cursor: str | None,
) -> None:
    """Fills from the local store (offline), newest first.

    Run sync-fills first. Pass next_cursor as --cursor for the next page.
    """
    from ..shapes import TradesOut

    async def job(app: TradeTracker) -> TradesOut:
        from trade_tracker.store.filters import Filters
        from trade_tracker.sync.status import empty_store_hint

        rows, next_cursor = app.store.query_fills(Filters.of(side=side, **filters), limit, cursor)
        out = TradesOut.of(rows, next_cursor, hoist_product=False)
        if not rows and cursor is None:  # as the MCP tool: say why an empty answer is empty
            out.hint = empty_store_hint(app.store, filters["label"])
        return out

    emit(run_app(job), table=True, hide=("order_id",))


@click.command()
@format_option
@store_filters
@group_by_option()
@method_option("cost basis for realized PnL")
@click.option(
    "--with-unrealized",
    is_flag=True,
    help="also fetch live tickers for unrealized PnL (calls the exchange; marked in the output)",
)
def summary(
    filters: StoreFilterArgs,
    group_by: GroupBy,
    method: Method,
    with_unrealized: bool,
) -> None:
    """Volume, fees, position and PnL, from the local store.

    Grouped per product (or month, day: then also totals per period across products, with the
    cumulative realized PnL). Offline and exact unless --with-unrealized fetches tickers.
    """

    async def job(app: TradeTracker) -> Any:
        from trade_tracker.store.filters import Filters

        from ..shapes import SummaryOut

        checked = Filters.of(**filters)
        result = await app.summary(checked, group_by=group_by, method=method, with_unrealized=with_unrealized)
        # the MCP tool's shape with each entry's venue; a script gets every entry (no bound, no hint)
        out = SummaryOut.of(
            result, limit=len(result.products) + len(result.periods), venues=app.store.fill_venues(checked)
        )
        return out.model_dump(mode="json", exclude={"omitted_entries", "omitted_periods", "hint"})

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
@group_by_option("with --summary")
@method_option("with --summary: cost basis for realized PnL")
@click.option("--with-unrealized", is_flag=True, help="with --summary: add unrealized PnL at live tickers")
def export(
    csv_path: Path,
    as_summary: bool,
    filters: StoreFilterArgs,
    group_by: GroupBy,
    method: Method,
    with_unrealized: bool,
) -> None:
    """Write stored fills (or the summary) to a CSV file.

    Prints the file's path and row count as JSON.
    """
    if not as_summary and (with_unrealized or group_by != "product" or method != "fifo"):
        raise click.UsageError("--group-by, --method and --with-unrealized go with --summary")

    async def job(app: TradeTracker) -> Any:
        from trade_tracker.store.filters import Filters

        return await app.export_csv(
            csv_path,
            filters=Filters.of(**filters),
            summary=as_summary,
            group_by=group_by,
            method=method,
            with_unrealized=with_unrealized,
        )

    emit(run_app(job))


#: The store's verbs, added to the group with the others (``commands.COMMANDS``).
STORE_COMMANDS = (trades, summary, export)
