"""The tax report as a CSV file: one row per disposal, Form 8949's columns plus the term.

Columns, in this order and spelling (:data:`TAX_CSV_COLUMNS`): ``Description`` ("0.5 BTC"),
``Date acquired``, ``Date sold``, ``Proceeds``, ``Cost basis``, ``Adjustment code``, ``Adjustment``,
``Gain or loss``, ``Term`` (``short`` or ``long``).

* ``plain`` (default): exact decimals as the engine computed them, dates ``YYYY-MM-DD`` (UTC).
* ``8949``: money rounded to cents (half up, as the form's instructions allow), the gain the
  difference of the rounded proceeds and cost (so each row adds up on the form), dates ``MM/DD/YYYY``.
* A sell with no lot (unmatched): empty ``Date acquired``, ``Cost basis``, ``Gain or loss`` and ``Term``.
  A row without a USD price: empty ``Proceeds`` or ``Cost basis`` (whichever is unknown) and an empty gain.
* The adjustment columns stay empty: the report makes no adjustments.

Written atomically, mode 0600, through ``export.write_csv``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Literal

from .analytics.books import EXACT
from .analytics.lots import Disposal
from .analytics.tax import TaxReport
from .analytics.tax_models import amount_text
from .errors import InvalidArgument
from .export import ExportResult, write_csv

__all__ = ["TAX_CSV_COLUMNS", "TaxFormat", "tax_csv_rows", "write_tax_csv"]

TaxFormat = Literal["plain", "8949"]
TAX_CSV_COLUMNS = (
    "Description",
    "Date acquired",
    "Date sold",
    "Proceeds",
    "Cost basis",
    "Adjustment code",
    "Adjustment",
    "Gain or loss",
    "Term",
)
_CENT = Decimal("0.01")
#: Rounds to cents, half up, and nothing else (EXACT would raise on the rounding).
_TO_CENTS = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)


def _date(at: str | None, form: TaxFormat) -> str:
    if at is None:
        return ""
    return at[:10] if form == "plain" else f"{at[5:7]}/{at[8:10]}/{at[:4]}"


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_CENT, context=_TO_CENTS)


def _money(value: Decimal | None, form: TaxFormat) -> str:
    if value is None:
        return ""
    return format(value, "f") if form == "8949" else amount_text(value) or "0"


def _row(row: Disposal, form: TaxFormat) -> list[str]:
    proceeds, cost = row.proceeds, row.cost
    if form == "8949":
        proceeds, cost = _cents(proceeds), _cents(cost)
    gain = None if proceeds is None or cost is None else proceeds - cost
    return [
        f"{amount_text(row.quantity)} {row.asset}",
        _date(row.acquired_at, form),
        _date(row.sold_at, form),
        _money(proceeds, form),
        _money(cost, form),
        "",
        "",
        _money(gain, form),
        row.term or "",
    ]


def tax_csv_rows(report: TaxReport, form: TaxFormat = "plain") -> Iterable[list[str]]:
    """The CSV rows of a report (no header), in the report's order (by sale time)."""
    with localcontext(EXACT):
        for row in report.disposals:
            yield _row(row, form)


def write_tax_csv(report: TaxReport, path: str | os.PathLike[str], form: TaxFormat = "plain") -> ExportResult:
    """Write the report's disposals to ``path`` (atomically, mode 0600)."""
    if form not in ("plain", "8949"):
        raise InvalidArgument(f"format must be plain or 8949; got {form!r}")
    return write_csv(path, TAX_CSV_COLUMNS, tax_csv_rows(report, form))
