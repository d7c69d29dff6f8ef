"""One book's exact arithmetic: additive sums over its fills, and its open lots under FIFO and average cost.

A *book* is one (label, product); its fills run through it in (created_at, trade_id) order. Pure
``Decimal`` work with no SQL: ``analytics_cache`` replays fills through :class:`OpenLots` and stores
the resulting :class:`FillSums` per day and each sell's matched cost; ``analytics`` adds stored sums up.

* Every +, −, × runs in :data:`EXACT`, which raises rather than round. Only divisions round, once,
  half-even (:func:`divide_half_even`).
* A sell consumes ``min(size, held)`` under both methods; only the cost removed differs. FIFO takes
  the oldest lots first; average cost removes held cost × sold / held, rounded to
  :data:`AVERAGE_COST_PLACES`, and the rounding stays in the open cost basis, so realized PnL + open
  cost basis reconcile exactly.
* What a sell takes beyond the held size has no cost basis: it is counted as ``unmatched``, adds
  nothing to realized PnL and never opens a short.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

from ..errors import StoreError

__all__ = [
    "AVERAGE_COST_PLACES",
    "DAY_COLUMNS",
    "EXACT",
    "ZERO",
    "FillSums",
    "OpenLots",
    "cache_text",
    "divide_half_even",
    "replay_fills",
]

#: Decimal places of the cost one sell removes under the average-cost method.
AVERAGE_COST_PLACES = 18

#: Every +, −, × is exact; anything that would round raises instead.
EXACT = Context(
    prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact]
)
ZERO = Decimal(0)


def cache_text(value: Decimal) -> str:
    """Cache text of a value (round-trips exactly)."""
    return format(value, "f")


def divide_half_even(num: Decimal, den: Decimal, places: int) -> Decimal:
    """num / den rounded once, half-even, to ``places`` decimals (exact integer division, no double rounding)."""
    quotient, remainder = divmod(num.scaleb(places, EXACT), den)
    twice, size = abs(remainder) * 2, abs(den)
    if twice > size or (twice == size and quotient % 2):
        quotient += 1 if (num < 0) == (den < 0) else -1
    return quotient.scaleb(-places, EXACT)


# --------------------------------------------------------------------------- exact sums

_AMOUNTS = (
    "buy_size",
    "sell_size",
    "buy_quote",
    "sell_quote",
    "fees",
    "unmatched",
    "fifo_realized",
    "fifo_cost",
    "avg_realized",
    "avg_cost",
)
#: analytics_day's value columns, in order.
DAY_COLUMNS = ("buy_count", "sell_count", *_AMOUNTS, "first_at", "last_at")


class FillSums:
    """Exact additive sums over a set of fills of one book (a day, a window, a prefix)."""

    __slots__ = DAY_COLUMNS

    def __init__(self) -> None:
        self.buy_count = self.sell_count = 0
        self.buy_size = self.sell_size = self.buy_quote = self.sell_quote = self.fees = ZERO
        self.unmatched = self.fifo_realized = self.fifo_cost = self.avg_realized = self.avg_cost = ZERO
        self.first_at: str | None = None
        self.last_at: str | None = None

    @classmethod
    def from_row(cls, row: tuple) -> FillSums:
        agg = cls()
        agg.buy_count, agg.sell_count = row[0], row[1]
        (
            agg.buy_size,
            agg.sell_size,
            agg.buy_quote,
            agg.sell_quote,
            agg.fees,
            agg.unmatched,
            agg.fifo_realized,
            agg.fifo_cost,
            agg.avg_realized,
            agg.avg_cost,
        ) = map(Decimal, row[2:12])
        agg.first_at, agg.last_at = row[12], row[13]
        return agg

    def to_row(self) -> tuple:
        return (
            self.buy_count,
            self.sell_count,
            *(cache_text(getattr(self, name)) for name in _AMOUNTS),
            self.first_at,
            self.last_at,
        )

    def add(self, other: FillSums) -> None:
        self.buy_count += other.buy_count
        self.sell_count += other.sell_count
        self.buy_size += other.buy_size
        self.sell_size += other.sell_size
        self.buy_quote += other.buy_quote
        self.sell_quote += other.sell_quote
        self.fees += other.fees
        self.unmatched += other.unmatched
        self.fifo_realized += other.fifo_realized
        self.fifo_cost += other.fifo_cost
        self.avg_realized += other.avg_realized
        self.avg_cost += other.avg_cost
        if other.first_at is not None and (self.first_at is None or other.first_at < self.first_at):
            self.first_at = other.first_at
        if other.last_at is not None and (self.last_at is None or other.last_at > self.last_at):
            self.last_at = other.last_at

    def copy(self) -> FillSums:
        agg = FillSums()
        agg.add(self)
        return agg

    def add_fill(self, at: str, side: str, quote: Decimal, size: Decimal, fee: Decimal, sell: tuple | None) -> None:
        """Add one fill of ``size`` (base) for ``quote`` (price × size, or a quote-sized fill's exact amount);
        ``sell`` is (unmatched, fifo_realized, fifo_cost, avg_realized, avg_cost) for a sell."""
        if side == "buy":
            self.buy_count += 1
            self.buy_size += size
            self.buy_quote += quote
        else:
            assert sell is not None
            self.sell_count += 1
            self.sell_size += size
            self.sell_quote += quote
            self.unmatched += sell[0]
            self.fifo_realized += sell[1]
            self.fifo_cost += sell[2]
            self.avg_realized += sell[3]
            self.avg_cost += sell[4]
        self.fees += fee
        if self.first_at is None or at < self.first_at:
            self.first_at = at
        if self.last_at is None or at > self.last_at:
            self.last_at = at


# --------------------------------------------------------------------------- one book's lots


class OpenLots:
    """The open lots of one book: a FIFO queue of [price, size, cost], and the held size and cost for average cost.

    Both methods hold the same size (a sell consumes min(size, held)); only the cost they remove differs.
    A lot's cost is price × size, except for a quote-sized fill whose base size was rounded
    (``adjustments``): its cost is the exact quote amount. What stays of a partly consumed lot is
    valued at price × the size left and the consumed part takes the rest of its cost, so costs
    removed + costs held always add up to the costs bought, exactly. Only lots costing price × size merge.
    """

    __slots__ = ("avg_cost", "held", "lots")

    def __init__(self) -> None:
        self.lots: deque[list[Decimal]] = deque()
        self.held = ZERO
        self.avg_cost = ZERO

    def buy(self, price: Decimal, size: Decimal, quote: Decimal) -> None:
        lots = self.lots
        last = lots[-1] if lots else None
        if last is not None and last[0] == price and quote == price * size and last[2] == price * last[1]:
            last[1] += size  # same price next to each other, both costing price × size: one lot, same FIFO cost
            last[2] += quote
        else:
            lots.append([price, size, quote])
        self.held += size
        self.avg_cost += quote

    def sell(self, size: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """Consume up to ``size``; return (matched size, FIFO cost removed, average cost removed)."""
        held = self.held
        matched = size if size <= held else held
        fifo_cost, rest, lots = ZERO, matched, self.lots
        while rest:
            lot = lots[0]
            if lot[1] <= rest:
                fifo_cost += lot[2]
                rest -= lot[1]
                lots.popleft()
            else:
                lot[1] -= rest
                left = lot[0] * lot[1]
                fifo_cost += lot[2] - left
                lot[2] = left
                rest = ZERO
        if matched == held:
            avg_cost = self.avg_cost
        elif matched:
            avg_cost = divide_half_even(self.avg_cost * matched, held, AVERAGE_COST_PLACES)
        else:
            avg_cost = ZERO
        self.avg_cost -= avg_cost
        self.held = held - matched
        return matched, fifo_cost, avg_cost

    def dump(self) -> str:
        """JSON of the lots; a lot's cost is written only when it is not price × size (a quote-sized fill)."""
        lots = [[str(p), str(s)] if c == p * s else [str(p), str(s), str(c)] for p, s, c in self.lots]
        return json.dumps({"lots": lots, "held": str(self.held), "avg_cost": str(self.avg_cost)})

    @classmethod
    def load(cls, text: str) -> OpenLots:
        data = json.loads(text)
        book = cls()
        # [price, size] (every lot of a cache written before lots had a cost): the cost is price × size.
        book.lots = deque(
            [Decimal(lot[0]), Decimal(lot[1]), Decimal(lot[2]) if len(lot) > 2 else Decimal(lot[0]) * Decimal(lot[1])]
            for lot in data["lots"]
        )
        book.held, book.avg_cost = Decimal(data["held"]), Decimal(data["avg_cost"])
        return book


_SELL_BATCH = 20_000
_FILL_KEY_AT = 10  # BookFill.fill_key (``adjustments`` imports this module, so not BookFill._fields)


def replay_fills(
    book: OpenLots,
    rows: Iterable[tuple],
    days: dict[str, FillSums],
    store_sells: Callable[[list[tuple]], object],
    checkpoint_at: str | None,
) -> str | None:
    """Run effective fills (``adjustments.BookFill`` rows: created_at, trade_id, side, price, size, fee, quote,
    …, fill_key), in order, through ``book``.

    ``quote`` (text or None) is the exact quote amount when it is not price × size (``adjustments``).
    A sell's derived values are keyed by its ``fill_key`` (a reversal shares its fill's trade_id).

    Adds each fill to its day in ``days``, hands each sell's derived values to ``store_sells`` in
    batches (memory stays flat however long the book), and returns the book as it stood before the
    first fill at or after ``checkpoint_at`` (or at the end).
    """
    snapshot = None
    sells: list[tuple] = []
    for row in rows:
        at, trade_id, side, price_text, size_text, fee_text, quote_text = row[:7]
        if checkpoint_at is not None and snapshot is None and at >= checkpoint_at:
            snapshot = book.dump()
        try:
            price, size, fee = Decimal(price_text), Decimal(size_text), Decimal(fee_text)
            quote = price * size if quote_text is None else Decimal(quote_text)
        except InvalidOperation as exc:
            raise StoreError(f"fill {trade_id} at {at} holds a malformed price, size or fee") from exc
        day = days.get(at[:10])
        if day is None:
            day = days[at[:10]] = FillSums()
        if side == "buy":
            book.buy(price, size, quote)
            day.add_fill(at, side, quote, size, fee, None)
        else:
            matched, fifo_cost, avg_cost = book.sell(size)
            proceeds = quote - price * (size - matched)  # the unmatched rest valued at price, as a lot's rest
            derived = (size - matched, proceeds - fifo_cost, fifo_cost, proceeds - avg_cost, avg_cost)
            sells.append((at, row[_FILL_KEY_AT], *map(cache_text, derived)))
            day.add_fill(at, side, quote, size, fee, derived)
            if len(sells) >= _SELL_BATCH:
                store_sells(sells)
                sells = []
    store_sells(sells)
    if checkpoint_at is not None and snapshot is None:
        snapshot = book.dump()
    return snapshot
