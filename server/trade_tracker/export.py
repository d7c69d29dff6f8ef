"""CSV export of the stored fills or of a trade summary, written atomically and privately.

The file is written to a temporary file beside the target (mode 0600), flushed to disk, then
renamed over the target, so a reader never sees half a file and a crash never leaves one.
Columns are fixed (:data:`FILL_CSV_COLUMNS`, :data:`SUMMARY_CSV_COLUMNS`): scripts may rely on
their names and order; new columns are only ever appended. Money is the exact decimal text:
the API's own strings for fills, canonical decimal strings for summaries. Times are UTC.
A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a CR, and is not a number) is written with a leading ``'`` (:func:`safe_cell`):
an order id or a profile name from the exchange must not run in Excel or LibreOffice.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from .analytics.models import GroupBy, Method, Summary
from .analytics.summary import summarize, with_unrealized
from .errors import InvalidArgument
from .private_files import replace_atomically
from .store.connection import TradeStore
from .store.fills import FILL_COLUMNS
from .store.filters import NO_FILTERS, Filters

__all__ = [
    "FILL_CSV_COLUMNS",
    "SUMMARY_CSV_COLUMNS",
    "ExportResult",
    "export_fills_csv",
    "export_summary_csv",
    "safe_cell",
    "write_csv",
    "write_summary_csv",
]


def _fill_csv_order(columns: Sequence[str]) -> tuple[str, ...]:
    """The store's columns in the export's order: ``created_at`` first, ``label`` before ``profile_id``,
    the rest as stored (so a column the store appends is appended to the export too)."""
    rest = [c for c in columns if c not in ("created_at", "label")]
    at = rest.index("profile_id")
    return ("created_at", *rest[:at], "label", *rest[at:])


#: Columns of the fills export, in order: every stored column of ``fills`` (``store.fills.FILL_COLUMNS``).
FILL_CSV_COLUMNS: tuple[str, ...] = _fill_csv_order(FILL_COLUMNS)

#: Columns of the summary export, in order: one row per product entry (or product and period).
SUMMARY_CSV_COLUMNS: tuple[str, ...] = (
    "period",
    "product_id",
    "base_currency",
    "quote_currency",
    "method",
    "buy_count",
    "sell_count",
    "buy_size",
    "sell_size",
    "base_volume",
    "quote_volume",
    "fee_currency",
    "fee_total",
    "avg_buy_price",
    "avg_sell_price",
    "position",
    "open_size",
    "cost_basis",
    "realized_pnl",
    "net_realized_pnl",
    "unmatched_sell_size",
    "first_fill_at",
    "last_fill_at",
    "ticker_price",
    "ticker_time",
    "unrealized_pnl_at_ticker",
    "venue",
)


#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): = + - @, tab, CR.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain decimal number, sign included: left as it is, so ``-12.5`` stays a number.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` so it shows as text.

    Numbers (ints, Decimals, and decimal strings such as the API's ``"-12.5"``) are left alone:
    a number is never a formula, and a fee or PnL must stay a number in the sheet.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class ExportResult(BaseModel):
    """Where an export went and how many data rows (not counting the header) it holds."""

    model_config = ConfigDict(frozen=True)

    path: str
    rows: int
    columns: list[str]


def _write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> ExportResult:
    """Write header + rows to ``path`` atomically (temp file, fsync, rename), mode 0600."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidArgument(f"{target} is a folder; give a file path such as {target / 'trades.csv'}")
    folder = target.parent
    if not folder.is_dir():
        raise InvalidArgument(f"the folder {folder} does not exist; create it first")

    def write(handle: IO[str]) -> int:
        writer = csv.writer(handle)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow([safe_cell(cell) for cell in row])
            count += 1
        return count

    try:
        count = replace_atomically(target, write)
    except OSError as exc:
        raise InvalidArgument(f"cannot write {target}: {exc.strerror or exc}") from exc
    return ExportResult(path=str(target.resolve()), rows=count, columns=list(header))


#: The atomic, private CSV writer, for the other exports (``export_tax``).
write_csv = _write_csv


def export_fills_csv(
    store: TradeStore,
    path: str | os.PathLike[str],
    filters: Filters = NO_FILTERS,
) -> ExportResult:
    """Write the stored fills matching the filters to a CSV file, oldest first.

    Filters read as in :func:`trade_tracker.analytics.summary.summarize` (since and until inclusive, a bare
    date is the whole UTC day). Rows are ordered by (created_at, product_id, trade_id, label), with the
    exact strings the API sent; NULL is an empty field. One SELECT reads one consistent snapshot.

    Raises:
        InvalidArgument: bad filters, or the file cannot be written there.
        StoreError: the store failed.
    """
    # The store's own filters: an export selects exactly what query_trades would show.
    where, params = filters.where()
    query = f"SELECT {', '.join(FILL_CSV_COLUMNS)} FROM fills{where} ORDER BY created_at, product_id, trade_id, label"
    with store.reading("exporting fills") as conn:
        return _write_csv(path, FILL_CSV_COLUMNS, conn.execute(query, params))


def _summary_rows(summary: Summary, venues: Mapping[str, Sequence[str]]) -> Iterable[list[Any]]:
    for entry in summary.products:
        values = entry.model_dump()
        values["method"] = summary.method
        values["fee_currency"] = entry.quote_currency
        values["venue"] = ",".join(venues.get(entry.product_id, ())) or None
        yield [values[column] for column in SUMMARY_CSV_COLUMNS]


def write_summary_csv(
    summary: Summary, path: str | os.PathLike[str], venues: Mapping[str, Sequence[str]] | None = None
) -> ExportResult:
    """Write a summary's product entries to a CSV file, one row each (currency totals are not included);
    ``venues``: the venues of each product's fills (``TradeStore.fill_venues``), the last column."""
    return _write_csv(path, SUMMARY_CSV_COLUMNS, _summary_rows(summary, venues or {}))


def export_summary_csv(
    store: TradeStore,
    path: str | os.PathLike[str],
    filters: Filters = NO_FILTERS,
    *,
    group_by: GroupBy = "product",
    method: Method = "fifo",
    prices: Mapping[str, Decimal | str] | None = None,
    prices_at: datetime | None = None,
) -> ExportResult:
    """Summarize (see :func:`trade_tracker.analytics.summary.summarize`) and write the entries to a CSV file.

    With ``prices`` (product_id → ticker price, fetched by the caller), the unrealized columns are
    filled as :func:`trade_tracker.analytics.summary.with_unrealized` does; otherwise they stay empty.
    """
    summary = summarize(store, filters, group_by=group_by, method=method)
    if prices is not None:
        summary = with_unrealized(summary, prices, prices_at)
    return write_summary_csv(summary, path, store.fill_venues(filters))
