"""A capital-gains report over the store: the effective fills of every book through the lot engine.

The fills are read through ``book_fills`` (so Advanced Trade's reversals, corrections and quote-sized
fills count exactly as in every other figure), merged across products in time order
(created_at, product_id, label, trade_id), and run through ``lots`` up to the end of the year; only the
disposals sold in the year are reported. Fills quoted in anything but USD need the USD close of
``QUOTE-USD`` at their minute: :func:`needed_prices` says which, the caller looks them up in the
``usd_prices`` cache (and fetches the missing ones when it may), :func:`tax_report` takes what was found.

Books are per label (each credential label is its own account, the per-account cost basis US rules
ask for from 2025) unless ``pooled``: then one book per asset across labels.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from sqlite3 import Connection

from ..errors import InvalidArgument, StoreError
from ..store.usd_prices import minute_of
from .book_fills import book_fills
from .books import EXACT, ZERO
from .lots import Disposal, Lot, LotMethod, TaxFill, check_method, run_lots

__all__ = [
    "AssetTotals",
    "TaxReport",
    "TermTotals",
    "needed_before",
    "needed_prices",
    "open_lots_before",
    "read_tax_fills",
    "tax_report",
    "usd_product",
]


def usd_product(currency: str) -> str:
    """The USD product whose close values one unit of ``currency``."""
    return f"{currency}-USD"


def _year_end(year: int) -> str:
    if not 1970 <= year <= 9998:
        raise InvalidArgument(f"year must be between 1970 and 9998; got {year}")
    return f"{year + 1:04d}-01-01T00:00:00.000000Z"


def _books(conn: Connection, label: str | None) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT DISTINCT label, product_id FROM fills WHERE (? IS NULL OR label = ?) ORDER BY label, product_id",
        (label, label),
    )
    return [(row[0], row[1]) for row in rows]


def _stream(conn: Connection, label: str, product_id: str, end: str) -> Iterator[tuple]:
    for fill in book_fills(conn, label, product_id, end=end):
        yield (fill.created_at, product_id, label, str(fill.trade_id), fill)


def read_tax_fills(
    conn: Connection, *, end: str, label: str | None = None, pooled: bool = False, rates: Mapping | None = None
) -> Iterator[TaxFill]:
    """Every effective fill before ``end`` (of one label, or all), as lot-engine input, in time order.

    ``rates`` maps (usd_product, minute) → close text (None: no candle); a fill quoted in anything but
    USD whose key is absent or None gets ``usd_rate`` None and a note saying what is missing.
    """
    streams = [_stream(conn, lab, product, end) for lab, product in _books(conn, label)]
    rates = rates or {}
    for at, product_id, lab, key, fill in heapq.merge(*streams, key=lambda item: item[:4]):
        quote_currency = product_id.partition("-")[2]
        try:
            size, fee = Decimal(fill.size), Decimal(fill.fee)
            quote = Decimal(fill.price) * size if fill.quote is None else Decimal(fill.quote)
        except InvalidOperation as exc:
            raise StoreError(f"fill {key} of {product_id} at {at} holds a malformed price, size or fee") from exc
        rate: Decimal | None = Decimal(1)
        note = ""
        if quote_currency != "USD":
            wanted = (usd_product(quote_currency), minute_of(at))
            close = rates.get(wanted)
            rate = Decimal(close) if close is not None else None
            if rate is None:
                note = f"no USD price: no {wanted[0]} candle for {wanted[1]}"
        yield TaxFill("*" if pooled else lab, at, product_id, fill.side, size, quote, fee, rate, key, lab, note)


def needed_prices(conn: Connection, year: int, label: str | None = None) -> set[tuple[str, str]]:
    """The (usd_product, minute) keys the report of ``year`` needs: one per minute with a fill quoted in
    anything but USD, before the end of the year (lots from earlier years count too)."""
    return needed_before(conn, _year_end(year), label)


def needed_before(conn: Connection, end: str | None, label: str | None = None) -> set[tuple[str, str]]:
    """The (usd_product, minute) keys of the fills quoted in anything but USD before ``end`` (None: all)."""
    rows = conn.execute(
        "SELECT DISTINCT product_id, substr(created_at, 1, 16) FROM fills WHERE (? IS NULL OR created_at < ?) "
        "AND product_id NOT LIKE '%-USD' AND (? IS NULL OR label = ?) AND side IN ('buy', 'sell')",
        (end, end, label, label),
    )
    return {(usd_product(product.partition("-")[2]), minute + ":00Z") for product, minute in rows}


def open_lots_before(
    conn: Connection, end: str | None, *, label: str | None = None, rates: Mapping[tuple[str, str], str | None]
) -> list[Lot]:
    """The FIFO lots open just before ``end`` (None: after every fill), per label: what ``trade_summary``
    shows as open lots. Lots valued through a missing USD price have an unknown (None) cost."""
    fills = read_tax_fills(conn, end=end or "9999-12-31T23:59:59.999999Z", label=label, rates=rates)
    return run_lots(fills, "fifo", keep=lambda _: False).open_lots()


@dataclass
class TermTotals:
    """Totals of one term's disposals; rows without a gain (no USD price) are counted, not added."""

    term: str
    count: int = 0
    proceeds: Decimal = ZERO
    cost: Decimal = ZERO
    gain: Decimal = ZERO
    without_gain: int = 0

    def add(self, row: Disposal) -> None:
        self.count += 1
        gain = _add_valued(self, row)
        if gain is not None:
            self.gain += gain


@dataclass
class AssetTotals:
    """One asset's disposals in the year: quantity, matched proceeds, cost, gain per term, unmatched quantity."""

    asset: str
    quantity: Decimal = ZERO
    proceeds: Decimal = ZERO
    cost: Decimal = ZERO
    short_gain: Decimal = ZERO
    long_gain: Decimal = ZERO
    unmatched_quantity: Decimal = ZERO
    without_gain: int = 0

    def add(self, row: Disposal) -> None:
        self.quantity += row.quantity
        if row.unmatched:
            self.unmatched_quantity += row.quantity
            return
        gain = _add_valued(self, row)
        if gain is None:
            return
        if row.term == "long":
            self.long_gain += gain
        else:
            self.short_gain += gain


@dataclass
class TaxReport:
    """The report of one year: its disposals (sold in the year), totals, the lots still open at its end."""

    year: int
    method: LotMethod
    pooled: bool
    label: str | None
    product_id: str | None
    disposals: list[Disposal]
    open_lots: list[Lot]
    missing_prices: list[tuple[str, str]]
    terms: dict[str, TermTotals] = field(default_factory=lambda: dict[str, TermTotals]())
    assets: dict[str, AssetTotals] = field(default_factory=lambda: dict[str, AssetTotals]())
    unmatched_rows: int = 0
    needed_prices: int = 0

    def total(self) -> None:
        with localcontext(EXACT):
            self.terms = {"short": TermTotals("short"), "long": TermTotals("long")}
            for row in self.disposals:
                self.assets.setdefault(row.asset, AssetTotals(row.asset)).add(row)
                if row.unmatched:
                    self.unmatched_rows += 1
                else:
                    self.terms[row.term or "short"].add(row)


def tax_report(
    conn: Connection,
    year: int,
    *,
    method: str = "fifo",
    label: str | None = None,
    product_id: str | None = None,
    pooled: bool = False,
    rates: Mapping[tuple[str, str], str | None] | None = None,
) -> TaxReport:
    """The capital-gains report of ``year`` (UTC) from the store, under ``method`` (module docstring).

    ``product_id`` keeps only the disposals made by that product's fills (every product still builds
    the lots: an ETH-BTC buy consumes BTC lots from BTC-USD). ``rates`` are the USD closes found
    (:func:`needed_prices` says which are wanted); those not given are reported in ``missing_prices``.
    """
    lot_method = check_method(method)
    end = _year_end(year)
    prefix = f"{year:04d}"
    rates = dict(rates or {})
    needed = needed_prices(conn, year, label)
    missing = sorted(key for key in needed if rates.get(key) is None)

    def keep(sold_at: str) -> bool:
        return sold_at.startswith(prefix)

    books = run_lots(read_tax_fills(conn, end=end, label=label, pooled=pooled, rates=rates), lot_method, keep)
    disposals = books.disposals
    if product_id is not None:
        disposals = [row for row in disposals if row.product_id == product_id]
    report = TaxReport(year, lot_method, pooled, label, product_id, disposals, books.open_lots(), missing)
    report.needed_prices = len(needed)
    report.total()
    return report


def _add_valued(totals: TermTotals | AssetTotals, row: Disposal) -> Decimal | None:
    """Add a disposal's proceeds and cost to ``totals`` and return its gain; a disposal without a gain (no USD
    price) is only counted in ``without_gain``, never added."""
    if row.gain is None or row.proceeds is None or row.cost is None:
        totals.without_gain += 1
        return None
    totals.proceeds += row.proceeds
    totals.cost += row.cost
    return row.gain
