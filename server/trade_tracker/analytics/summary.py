"""Trade analytics over the store: counts, volumes, fees, positions and realized PnL, exactly.

Conventions (users' scripts and the README rely on them):

* Amounts are exact ``Decimal`` and leave as canonical decimal strings: no exponent, no trailing
  fractional zeros (``"0.5"``, ``"100"``, ``"0"``), never float. Only two figures divide:
  average prices (rounded half-even to 12 places) and the average-cost method (below).
* A *book* is one (label, product): each credential label is its own account, and fills under
  different labels never match each other. A product entry sums its labels' books. Inside a
  book, fills are ordered by (created_at, trade_id).
* ``realized_pnl`` counts price differences only: for each sell, the proceeds of the matched size
  minus the cost of what it consumed. FIFO (default) consumes the oldest open lots first;
  ``method="average"`` removes held cost × sold / held, rounded half-even to 18 places. The rounding
  stays in the open cost basis, so realized + open cost basis always reconcile exactly.
* ``fees`` are reported beside it, by currency; Coinbase Exchange charges them in the quote
  currency. ``net_realized_pnl = realized_pnl − fee_total`` (the fees of all the window's fills).
* A sell beyond the book's open size (history not fully synced, coins transferred in) has no cost
  basis: that quantity adds nothing to realized_pnl and is reported as ``unmatched_sell_size``.
  It never opens a short and is never treated as zero cost.
* Windows are ``since <= created_at <= until``, both inclusive and UTC, as in ``query_fills``
  (a bare date is that whole day). Lots are built from all history before each sell, so a sell
  inside the window may match a buy from before it; realized PnL belongs to the window's sells.
  Counts, volumes, fees, averages and unmatched_sell_size are window-only.
  ``position`` (bought − sold, signed), ``open_size`` (the matched lots still open) and
  ``cost_basis`` (their cost) are holdings as of the end of the window, or of each period.
  A product appears when it has fills in the window.
* ``group_by="month"|"day"`` uses UTC calendar periods, clipped to the window, and adds ``periods``:
  totals per period and quote currency across products (``analytics_periods``), with a running
  ``cumulative_realized_pnl`` from the start of the window.
* Unrealized PnL never comes from the store alone: :func:`with_unrealized` values ``open_size`` at
  ticker prices the caller fetched, ``unrealized_pnl_at_ticker = open_size × ticker_price − cost_basis``.

This module builds the summaries; the pieces live beside it, each with one job: ``analytics_models`` (the
filters and result models), ``analytics_books`` (one book's exact sums and FIFO/average lots) and
``analytics_cache`` (the derived tables that make a summary fast, and keeping them up to date).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from sqlite3 import Connection
from typing import TypeVar

from ..errors import InvalidArgument, StoreError
from ..formats import iso_utc, parse_timestamp, utc_now
from ..store.connection import TradeStore
from ..store.filters import NO_FILTERS
from ..store.filters import Filters as StoreFilters
from .book_fills import book_fills
from .books import DAY_COLUMNS, EXACT, ZERO, FillSums, divide_half_even
from .cache import MIDNIGHT, dirty_books, rebuild_cache, refresh_book, refresh_cache
from .models import CurrencyTotal, Filters, GroupBy, Method, ProductSummary, Summary
from .periods import period_totals

__all__ = ["AVERAGE_PRICE_PLACES", "summarize", "with_unrealized"]

#: Decimal places of average prices (a division, so rounded half-even).
AVERAGE_PRICE_PLACES = 12


def _fmt(value: Decimal) -> str:
    """Canonical text of an exact value: no exponent, no trailing zeros, ``"0"`` for zero."""
    if not value:
        return "0"
    return format(value.normalize(EXACT), "f")


def _exclusive_end(until: str | None) -> str | None:
    """The inclusive ``until`` as an exclusive bound: created_at has microseconds, so add one."""
    if until is None:
        return None
    try:
        return iso_utc(parse_timestamp(until) + timedelta(microseconds=1))
    except OverflowError:  # the end of time: no bound at all
        return None


def _currencies(product_id: str) -> tuple[str, str]:
    base, sep, quote = product_id.partition("-")
    return base, (quote if sep else "?")


# --------------------------------------------------------------------------- summaries

_T = TypeVar("_T")


def _consistent_read(store: TradeStore, read: Callable[[Connection], _T]) -> _T:
    """Run ``read`` in one snapshot in which no book is dirty (refreshing first), so the cache is never stale."""
    for _ in range(3):
        refresh_cache(store)
        with store.reading("summarizing trades") as conn:
            conn.execute("BEGIN")
            try:
                if conn.execute("SELECT 1 FROM analytics_dirty LIMIT 1").fetchone() is None:
                    return read(conn)
            finally:
                conn.execute("COMMIT")
    # Fills keep arriving: refresh and read under the write lock.
    with store.write("summarizing trades") as conn, localcontext(EXACT):
        for label, product_id in dirty_books(conn):
            refresh_book(conn, label, product_id)
        return read(conn)


class _Slot:
    """One book's sums: before the window, and per period inside it."""

    __slots__ = ("periods", "prefix")

    def __init__(self) -> None:
        self.prefix = FillSums()
        self.periods: dict[str | None, FillSums] = {}

    def period(self, key: str | None) -> FillSums:
        agg = self.periods.get(key)
        if agg is None:
            agg = self.periods[key] = FillSums()
        return agg


_PERIOD: dict[str, Callable[[str], str | None]] = {
    "product": lambda day: None,
    "month": lambda day: day[:7],
    "day": lambda day: day,
}


def _collect(conn: Connection, filters: StoreFilters, group_by: GroupBy) -> dict[tuple[str, str], _Slot]:
    """Read the sums of every matching book: whole days from the cache, days cut by the window from fills."""
    columns = [(c, v) for c, v in (("label", filters.label), ("product_id", filters.product_id)) if v is not None]
    where = [f"{column} = ?" for column, _ in columns] or ["1 = 1"]
    params = [value for _, value in columns]
    since, until = filters.since, _exclusive_end(filters.until)
    period = _PERIOD[group_by]
    books = conn.execute(f"SELECT label, product_id FROM analytics_book WHERE {' AND '.join(where)}", params)
    slots = {(label, product): _Slot() for label, product in books}
    cut_days = {t[:10] for t in (since, until) if t is not None and not t.endswith(MIDNIGHT)}

    day_where, day_params = list(where), list(params)
    if until is not None:
        day_where.append("day < ?")
        day_params.append(until[:10])
    rows = conn.execute(
        f"SELECT label, product_id, day, {', '.join(DAY_COLUMNS)} FROM analytics_day "
        f"WHERE {' AND '.join(day_where)} ORDER BY label, product_id, day",
        day_params,
    )
    for row in rows:
        day = row[2]
        if day in cut_days:
            continue
        slot = slots[(row[0], row[1])]
        agg = FillSums.from_row(row[3:])
        if since is not None and day < since[:10]:
            slot.prefix.add(agg)
        else:
            slot.period(period(day)).add(agg)

    for day in sorted(cut_days):
        _add_cut_day(conn, slots, day, since, until, period)
    return slots


def _add_cut_day(
    conn: Connection,
    slots: dict[tuple[str, str], _Slot],
    day: str,
    since: str | None,
    until: str | None,
    period: Callable[[str], str | None],
) -> None:
    """Add the fills of a day cut by the window, read as the cache reads them (``book_fills``), with
    each sell's derived values from ``analytics_sell``."""
    start = day + MIDNIGHT
    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat() + MIDNIGHT
    if until is not None:
        end = min(end, until)
    for (label, product), slot in slots.items():
        derived_of = {
            (at, fill_key): tuple(map(Decimal, derived))
            for at, fill_key, *derived in conn.execute(
                "SELECT created_at, fill_key, unmatched, fifo_realized, fifo_cost, avg_realized, avg_cost "
                "FROM analytics_sell WHERE label = ? AND product_id = ? AND created_at >= ? AND created_at < ?",
                (label, product, start, end),
            )
        }
        for fill in book_fills(conn, label, product, start=start, end=end):
            at, side, size = fill.created_at, fill.side, Decimal(fill.size)
            derived = derived_of.get((at, fill.fill_key)) if side == "sell" else None
            if side == "sell" and derived is None:
                raise _StaleCache(f"the analytics cache misses the sell of {product} at {at}")
            quote = Decimal(fill.price) * size if fill.quote is None else Decimal(fill.quote)
            target = slot.prefix if since is not None and at < since else slot.period(period(at[:10]))
            target.add_fill(at, side, quote, size, Decimal(fill.fee), derived)


class _StaleCache(Exception):
    """Internal: the cache disagrees with the fills (it should never); summarize rebuilds it once."""


def _entry(product_id: str, period: str | None, flow: FillSums, stock: FillSums, method: Method) -> ProductSummary:
    base, quote = _currencies(product_id)
    realized = flow.fifo_realized if method == "fifo" else flow.avg_realized
    cost = stock.fifo_cost if method == "fifo" else stock.avg_cost
    position = stock.buy_size - stock.sell_size
    return ProductSummary(
        product_id=product_id,
        base_currency=base,
        quote_currency=quote,
        period=period,
        buy_count=flow.buy_count,
        sell_count=flow.sell_count,
        buy_size=_fmt(flow.buy_size),
        sell_size=_fmt(flow.sell_size),
        base_volume=_fmt(flow.buy_size + flow.sell_size),
        quote_volume=_fmt(flow.buy_quote + flow.sell_quote),
        fees={quote: _fmt(flow.fees)},
        fee_total=_fmt(flow.fees),
        avg_buy_price=(
            _fmt(divide_half_even(flow.buy_quote, flow.buy_size, AVERAGE_PRICE_PLACES)) if flow.buy_size else None
        ),
        avg_sell_price=(
            _fmt(divide_half_even(flow.sell_quote, flow.sell_size, AVERAGE_PRICE_PLACES)) if flow.sell_size else None
        ),
        position=_fmt(position),
        open_size=_fmt(position + stock.unmatched),
        cost_basis=_fmt(stock.buy_quote - cost),
        realized_pnl=_fmt(realized),
        net_realized_pnl=_fmt(realized - flow.fees),
        unmatched_sell_size=_fmt(flow.unmatched),
        first_fill_at=flow.first_at,
        last_fill_at=flow.last_at,
    )


class _CurrencySums:
    __slots__ = ("base_volume", "cost_basis", "fees", "position", "quote_volume", "realized", "unmatched")

    def __init__(self) -> None:
        self.position = self.base_volume = self.unmatched = ZERO
        self.quote_volume = self.fees = self.realized = self.cost_basis = ZERO

    def total(self, currency: str) -> CurrencyTotal:
        return CurrencyTotal(
            currency=currency,
            position=_fmt(self.position),
            base_volume=_fmt(self.base_volume),
            unmatched_sell_size=_fmt(self.unmatched),
            quote_volume=_fmt(self.quote_volume),
            fees=_fmt(self.fees),
            realized_pnl=_fmt(self.realized),
            net_realized_pnl=_fmt(self.realized - self.fees),
            cost_basis=_fmt(self.cost_basis),
        )


def _build(slots: dict[tuple[str, str], _Slot], filters: StoreFilters, group_by: GroupBy, method: Method) -> Summary:
    by_product: dict[str, list[_Slot]] = {}
    for (_, product), slot in slots.items():
        by_product.setdefault(product, []).append(slot)
    entries: list[ProductSummary] = []
    sums: dict[str, _CurrencySums] = {}
    fill_count = 0
    for product in sorted(by_product):
        books = by_product[product]
        periods = sorted({p for slot in books for p in slot.periods}, key=lambda p: p or "")
        if not periods:
            continue  # no fills in the window
        running = [slot.prefix.copy() for slot in books]
        total = FillSums()
        for period in periods:
            flow, stock = FillSums(), FillSums()
            for slot, run in zip(books, running, strict=True):
                part = slot.periods.get(period)
                if part is not None:
                    flow.add(part)
                    run.add(part)
                stock.add(run)
            total.add(flow)
            entries.append(_entry(product, period, flow, stock, method))
        fill_count += total.buy_count + total.sell_count
        base, quote = _currencies(product)
        b, q = sums.setdefault(base, _CurrencySums()), sums.setdefault(quote, _CurrencySums())
        b.position += stock.buy_size - stock.sell_size
        b.base_volume += total.buy_size + total.sell_size
        b.unmatched += total.unmatched
        q.quote_volume += total.buy_quote + total.sell_quote
        q.fees += total.fees
        q.realized += total.fifo_realized if method == "fifo" else total.avg_realized
        q.cost_basis += stock.buy_quote - (stock.fifo_cost if method == "fifo" else stock.avg_cost)
    return Summary(
        method=method,
        group_by=group_by,
        filters=Filters.of(filters),
        fill_count=fill_count,
        products=entries,
        currencies=[sums[c].total(c) for c in sorted(sums)],
        periods=period_totals(entries) if group_by != "product" else [],
        generated_at=utc_now(),
    )


def summarize(
    store: TradeStore,
    filters: StoreFilters = NO_FILTERS,
    *,
    group_by: GroupBy = "product",
    method: Method = "fifo",
) -> Summary:
    """Summarize the stored fills exactly (conventions in the module docstring).

    Args:
        store: the trade store.
        filters: which fills (checked when built; see ``store.filters.Filters``): one product, one label,
            since/until inclusive with a bare date meaning that whole UTC day. ``side`` is not read: a
            book is both sides.
        group_by: ``product`` (one entry per product), or ``month`` / ``day`` (one per product and UTC period).
        method: ``fifo`` or ``average`` cost for realized PnL and the open cost basis.

    Raises:
        InvalidArgument: an unknown group_by / method.
        StoreError: the store failed.
    """
    if group_by not in _PERIOD:
        raise InvalidArgument(f"group_by must be product, month or day; got {group_by!r}")
    if method not in ("fifo", "average"):
        raise InvalidArgument(f"method must be fifo or average; got {method!r}")

    def read(conn: Connection) -> Summary:
        with localcontext(EXACT):
            return _build(_collect(conn, filters, group_by), filters, group_by, method)

    try:
        return _consistent_read(store, read)
    except _StaleCache:
        # The cache is a disposable copy of what the fills imply: rebuild it from them, once.
        rebuild_cache(store)
    try:
        return _consistent_read(store, read)
    except _StaleCache as exc:
        raise StoreError(f"{exc}, even after rebuilding it from the stored fills") from None


def _price(value: Decimal | str | int, product_id: str) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | str | int):
        raise InvalidArgument(f"the price of {product_id} must be a Decimal or a decimal string, not {value!r}")
    try:
        price = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidArgument(f"the price of {product_id} is not a number: {value!r}") from exc
    if not price.is_finite():
        raise InvalidArgument(f"the price of {product_id} is not finite: {value!r}")
    return price


def with_unrealized(summary: Summary, prices: Mapping[str, Decimal | str], at: datetime | None = None) -> Summary:
    """Add unrealized PnL at the given ticker prices (product_id → price), clearly marked as such.

    Each product's latest entry (the only one when grouped by product) gets ``ticker_price``,
    ``ticker_time`` (``at``) and ``unrealized_pnl_at_ticker = open_size × price − cost_basis``:
    only the open lots with a known cost basis are valued, never an unmatched sell. A currency
    total gets the sum when every product quoted in it with an open position had a price.
    Products without a price are left unmarked. The store is not touched.
    """
    ticker_time = iso_utc(at) if at is not None else None
    latest: dict[str, int] = {}
    for index, entry in enumerate(summary.products):
        latest[entry.product_id] = index  # entries are sorted by period within a product
    products = list(summary.products)
    unrealized: dict[str, Decimal] = {}
    unpriced: set[str] = set()
    with localcontext(EXACT):
        for product_id, index in latest.items():
            entry = products[index]
            open_size = Decimal(entry.open_size)
            if product_id not in prices:
                if open_size:
                    unpriced.add(entry.quote_currency)
                continue
            price = _price(prices[product_id], product_id)
            value = open_size * price - Decimal(entry.cost_basis)
            unrealized[entry.quote_currency] = unrealized.get(entry.quote_currency, ZERO) + value
            marks = {"ticker_price": _fmt(price), "ticker_time": ticker_time, "unrealized_pnl_at_ticker": _fmt(value)}
            products[index] = entry.model_copy(update=marks)
        currencies = [
            total.model_copy(update={"unrealized_pnl_at_ticker": _fmt(unrealized[total.currency])})
            if total.currency in unrealized and total.currency not in unpriced
            else total
            for total in summary.currencies
        ]
    return summary.model_copy(update={"products": products, "currencies": currencies})
