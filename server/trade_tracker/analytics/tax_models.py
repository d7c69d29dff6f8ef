"""The shape of a tax report as both faces return it: totals per term and per asset, and the disposals
as a bounded, paged columnar table. Amounts are canonical decimal strings (exact, never float);
an amount that could not be had (no USD price) is ``null``, never a guess.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ..formats import utc_now
from .books import EXACT
from .lots import Disposal, Lot, term_of
from .tax import TaxReport

__all__ = [
    "DISPOSAL_COLUMNS",
    "MAX_DISPOSAL_ROWS",
    "NOT_TAX_ADVICE",
    "AssetOut",
    "OpenLotOut",
    "PricesOut",
    "TaxReportOut",
    "TermOut",
    "amount_text",
    "disposal_cells",
    "missing_prices",
    "open_lot_out",
]

#: The most disposal rows one answer holds; ``next_offset`` pages on.
MAX_DISPOSAL_ROWS = 200
NOT_TAX_ADVICE = "Figures computed from your stored fills; this is not tax advice."
DISPOSAL_COLUMNS = (
    "asset",
    "quantity",
    "date_acquired",
    "date_sold",
    "proceeds",
    "cost_basis",
    "gain",
    "term",
    "label",
    "product_id",
    "note",
)


def amount_text(value: Decimal | None) -> str | None:
    """Canonical text (no exponent, no trailing zeros, ``"0"``), or None for an unknown amount."""
    if value is None:
        return None
    return format(value.normalize(EXACT), "f") if value else "0"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class TermOut(_Frozen):
    term: str = Field(description="short (held one year or less) or long (sold after the anniversary)")
    count: int
    proceeds: str
    cost_basis: str
    gain: str
    rows_without_gain: int = Field(description="rows left out of the sums: no USD price for them")


class AssetOut(_Frozen):
    asset: str
    quantity: str = Field(description="disposed of in the year, unmatched included")
    proceeds: str
    cost_basis: str
    short_term_gain: str
    long_term_gain: str
    unmatched_quantity: str = Field(description="sold beyond the lots held: no cost basis, no gain")
    rows_without_gain: int


class PricesOut(_Frozen):
    needed: int = Field(description="fill minutes quoted in a currency other than USD (valued at candle close)")
    missing_count: int = Field(description="of them, without a USD close: those rows' gains are empty")
    missing: list[str] = Field(description="the first missing ones, 'BTC-USD 2025-03-01T12:34:00Z'")
    fetched_requests: int = 0
    fetch_failure: str | None = None


class OpenLotOut(_Frozen):
    asset: str
    label: str
    quantity: str
    cost_basis: str | None
    acquired_at: str
    holding_days: int = Field(description="whole UTC days from acquisition to the end of the report")
    term_if_sold: str = Field(description="short or long, were it sold at the end of the report")


class TaxReportOut(_Frozen):
    """A capital-gains report of one UTC year (disposals paged by offset)."""

    year: int
    method: str
    pooled: bool = Field(description="one book per asset across labels; false: one per label (per account)")
    label: str | None
    product_id: str | None
    terms: list[TermOut]
    assets: list[AssetOut]
    unmatched_rows: int
    prices: PricesOut
    disposal_count: int
    columns: list[str]
    rows: list[list[str | None]]
    offset: int
    next_offset: int | None = Field(default=None, description="pass as offset for the next page of disposals")
    note: str = NOT_TAX_ADVICE
    generated_at: str

    @classmethod
    def of(
        cls, report: TaxReport, offset: int = 0, limit: int = MAX_DISPOSAL_ROWS, prices: PricesOut | None = None
    ) -> TaxReportOut:
        rows = report.disposals[offset : offset + limit]
        end = offset + len(rows)
        return cls(
            year=report.year,
            method=report.method,
            pooled=report.pooled,
            label=report.label,
            product_id=report.product_id,
            terms=[
                TermOut(
                    term=t.term,
                    count=t.count,
                    proceeds=amount_text(t.proceeds) or "0",
                    cost_basis=amount_text(t.cost) or "0",
                    gain=amount_text(t.gain) or "0",
                    rows_without_gain=t.without_gain,
                )
                for t in report.terms.values()
            ],
            assets=[_asset(report, name) for name in sorted(report.assets)],
            unmatched_rows=report.unmatched_rows,
            prices=prices or missing_prices(report),
            disposal_count=len(report.disposals),
            columns=list(DISPOSAL_COLUMNS),
            rows=[disposal_cells(row) for row in rows],
            offset=offset,
            next_offset=end if end < len(report.disposals) else None,
            generated_at=utc_now(),
        )


def _asset(report: TaxReport, name: str) -> AssetOut:
    a = report.assets[name]
    return AssetOut(
        asset=name,
        quantity=amount_text(a.quantity) or "0",
        proceeds=amount_text(a.proceeds) or "0",
        cost_basis=amount_text(a.cost) or "0",
        short_term_gain=amount_text(a.short_gain) or "0",
        long_term_gain=amount_text(a.long_gain) or "0",
        unmatched_quantity=amount_text(a.unmatched_quantity) or "0",
        rows_without_gain=a.without_gain,
    )


def missing_prices(report: TaxReport, shown: int = 20) -> PricesOut:
    """The price part of a report that fetched nothing."""
    return PricesOut(
        needed=report.needed_prices,
        missing_count=len(report.missing_prices),
        missing=[f"{product} {minute}" for product, minute in report.missing_prices[:shown]],
    )


def disposal_cells(row: Disposal) -> list[str | None]:
    """One disposal as the table's cells (:data:`DISPOSAL_COLUMNS`)."""
    return [
        row.asset,
        amount_text(row.quantity),
        row.acquired_at[:10] if row.acquired_at else None,
        row.sold_at[:10],
        amount_text(row.proceeds),
        amount_text(row.cost),
        amount_text(row.gain),
        row.term,
        row.label,
        row.product_id,
        "; ".join(row.notes) or ("unmatched: no lot held" if row.unmatched else None),
    ]


def open_lot_out(lot: Lot, at: str) -> OpenLotOut:
    """An open lot as ``trade_summary`` shows it, held until ``at`` (fixed-width UTC text)."""
    days = (date.fromisoformat(at[:10]) - date.fromisoformat(lot.acquired_at[:10])).days
    return OpenLotOut(
        asset=lot.asset,
        label=lot.label,
        quantity=amount_text(lot.quantity) or "0",
        cost_basis=amount_text(lot.cost),
        acquired_at=lot.acquired_at,
        holding_days=days,
        term_if_sold=term_of(lot.acquired_at, at),
    )
