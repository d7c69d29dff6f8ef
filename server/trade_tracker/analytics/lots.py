"""The tax-lot engine: buys open lots, sells dispose of them by FIFO, LIFO or HIFO. Pure: no SQL, no I/O.

Input is a stream of :class:`TaxFill` (effective fills, already adjusted by ``adjustments``, in time
order across every product); output is the :class:`Disposal` rows and the lots still open.

* A buy of ``size`` BASE for ``quote`` + ``fee`` QUOTE opens a lot of ``size`` BASE whose cost basis is
  (quote + fee) in USD. A sell disposes of ``size`` BASE for proceeds (quote − fee) in USD.
* A fill quoted in anything but USD (ETH-BTC) is two legs, both valued by ``usd_rate`` (USD per unit of
  the quote currency, the candle close the caller looked up): a buy also disposes of quote + fee BTC
  for the same USD value its ETH lot costs; a sell also opens a BTC lot of quote − fee at the USD value
  of its ETH proceeds. Rows valued so are marked :data:`CANDLE_NOTE`. Without a rate (``None``) the
  amounts are unknown (``None``): gains from them are left empty, never guessed.
* Methods: ``fifo`` (oldest lot first), ``lifo`` (newest first), ``hifo`` (highest unit cost first,
  by the lot's cost at acquisition; ties oldest first; lots of unknown cost last). ``specific``
  identification is out of scope.
* Every +, − and × is exact (:data:`~.books.EXACT`). The only divisions, a partial lot's share of
  its cost and a sell's share of its proceeds, round once, half-even, to :data:`LOT_PLACES` (1e-18)
  in :func:`_share`; the remainder stays with the lot / goes to the sell's last piece, so the pieces'
  cost and proceeds add up to the whole exactly.
* Term: long when sold after the anniversary of acquisition (UTC dates); a sale on the anniversary is
  short. The anniversary of Feb 29 is Feb 28 of the next year.
* What a sell takes beyond the lots held is an *unmatched* row: no acquisition date, no cost basis,
  no gain, no term; never a negative basis.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from ..errors import InvalidArgument
from .books import EXACT, divide_half_even

__all__ = [
    "CANDLE_NOTE",
    "LOT_METHODS",
    "LOT_PLACES",
    "Disposal",
    "Lot",
    "LotBooks",
    "LotMethod",
    "TaxFill",
    "anniversary",
    "check_method",
    "run_lots",
    "term_of",
]

LotMethod = Literal["fifo", "lifo", "hifo"]
LOT_METHODS: tuple[LotMethod, ...] = ("fifo", "lifo", "hifo")
#: Decimal places of a divided share (a partial lot's cost, a sell's piece of proceeds): 1e-18.
LOT_PLACES = 18
#: The note on a row whose USD amounts come from a one-minute candle close.
CANDLE_NOTE = "valued at candle close"


@dataclass(frozen=True, slots=True)
class TaxFill:
    """One effective fill as the lot engine reads it; ``book`` is the label (or ``"*"`` when pooled).

    ``usd_rate`` is USD per unit of the quote currency: 1 for USD-quoted products, the candle close of
    ``QUOTE-USD`` at the fill's minute otherwise, ``None`` when no price could be had.
    """

    book: str
    created_at: str
    product_id: str
    side: str
    size: Decimal
    quote: Decimal
    fee: Decimal
    usd_rate: Decimal | None = Decimal(1)
    key: str = ""
    label: str = ""
    missing_note: str = ""

    @property
    def base(self) -> str:
        return self.product_id.partition("-")[0]

    @property
    def quote_currency(self) -> str:
        return self.product_id.partition("-")[2]


@dataclass(slots=True)
class Lot:
    """An open lot: ``quantity`` of ``asset`` left, and the cost basis of what is left (None: unknown)."""

    book: str
    asset: str
    quantity: Decimal
    cost: Decimal | None
    acquired_at: str
    seq: int
    note: str = ""
    label: str = ""


@dataclass(frozen=True, slots=True)
class Disposal:
    """One disposal row: one piece of one sell, against one lot (or unmatched: ``acquired_at`` None)."""

    book: str
    asset: str
    quantity: Decimal
    acquired_at: str | None
    sold_at: str
    proceeds: Decimal | None
    cost: Decimal | None
    product_id: str
    notes: tuple[str, ...] = ()
    label: str = ""
    gain: Decimal | None = None  # proceeds − cost; None when either is unknown
    term: str | None = None  # short or long; None when unmatched

    @property
    def unmatched(self) -> bool:
        return self.acquired_at is None


def check_method(method: str) -> LotMethod:
    """The method, checked; ``specific`` (and anything else) is refused with what is supported."""
    if method == "specific":
        raise InvalidArgument("method 'specific' (specific identification) is not supported; use fifo, lifo or hifo")
    if method not in LOT_METHODS:
        raise InvalidArgument(f"method must be fifo, lifo or hifo; got {method!r}")
    return method  # pyright: ignore[reportReturnType]


def anniversary(day: date) -> date:
    """The same day one year later; Feb 29 → Feb 28."""
    if day.month == 2 and day.day == 29:
        return date(day.year + 1, 2, 28)
    return day.replace(year=day.year + 1)


def term_of(acquired_at: str, sold_at: str) -> str:
    """``long`` when the sale's UTC date is after the anniversary of the acquisition's, else ``short``."""
    return _term(acquired_at[:10], sold_at[:10])


@lru_cache(maxsize=1 << 16)
def _term(acquired_day: str, sold_day: str) -> str:
    return "long" if date.fromisoformat(sold_day) > anniversary(date.fromisoformat(acquired_day)) else "short"


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """amount × part / whole: the one rounding of the engine (half-even, :data:`LOT_PLACES`)."""
    if part == whole:
        return amount
    return divide_half_even(amount * part, whole, LOT_PLACES)


class _Queue:
    """The open lots of one (book, asset), in the order the method takes them."""

    __slots__ = ("heap", "items", "method")

    def __init__(self, method: LotMethod) -> None:
        self.method = method
        self.items: deque[Lot] = deque()
        self.heap: list[tuple[int, Fraction, int, Lot]] = []

    def add(self, lot: Lot) -> None:
        if self.method == "hifo":
            unit = Fraction(0) if lot.cost is None else Fraction(lot.cost) / Fraction(lot.quantity)
            heapq.heappush(self.heap, (lot.cost is None, -unit, lot.seq, lot))
        else:
            self.items.append(lot)

    def next(self) -> Lot | None:
        if self.method == "hifo":
            return self.heap[0][3] if self.heap else None
        if not self.items:
            return None
        return self.items[0] if self.method == "fifo" else self.items[-1]

    def drop(self) -> None:
        if self.method == "hifo":
            heapq.heappop(self.heap)
        elif self.method == "fifo":
            self.items.popleft()
        else:
            self.items.pop()

    def lots(self) -> list[Lot]:
        return [entry[3] for entry in self.heap] if self.method == "hifo" else list(self.items)


@dataclass
class LotBooks:
    """Every (book, asset)'s open lots under one method, and the disposals made so far."""

    method: LotMethod = "fifo"
    disposals: list[Disposal] = field(default_factory=lambda: list[Disposal]())
    queues: dict[tuple[str, str], _Queue] = field(default_factory=lambda: dict[tuple[str, str], _Queue]())
    seq: int = 0
    keep: Callable[[str], bool] | None = None  # which disposals to keep, by sale time (None: all)

    def acquire(self, fill: TaxFill, asset: str, quantity: Decimal, cost: Decimal | None, note: str) -> None:
        if quantity <= 0:
            return
        queue = self.queues.get((fill.book, asset))
        if queue is None:
            queue = self.queues[(fill.book, asset)] = _Queue(self.method)
        self.seq += 1
        queue.add(Lot(fill.book, asset, quantity, cost, fill.created_at, self.seq, note, fill.label))

    def dispose(self, fill: TaxFill, asset: str, quantity: Decimal, proceeds: Decimal | None, note: str) -> None:
        """Take ``quantity`` of ``asset`` from the lots; split ``proceeds`` over the pieces (last one: the rest)."""
        if quantity <= 0:
            return
        keep = self.keep
        wanted = keep is None or keep(fill.created_at)
        queue = self.queues.get((fill.book, asset))
        rest, proceeds_left = quantity, proceeds
        while rest:
            lot = queue.next() if queue is not None else None
            take = rest if lot is None or lot.quantity >= rest else lot.quantity
            last = take == rest
            if proceeds_left is None or proceeds is None:
                piece = None
            else:
                piece = proceeds_left if last else _share(proceeds, take, quantity)
                proceeds_left -= piece
            notes = tuple(n for n in (note, lot.note if lot is not None else "") if n)
            if lot is None:
                cost, acquired = None, None
            else:
                cost = None if lot.cost is None else _share(lot.cost, take, lot.quantity)
                acquired = lot.acquired_at
                lot.quantity -= take
                if lot.cost is not None and cost is not None:
                    lot.cost -= cost
                if not lot.quantity:
                    queue.drop()  # pyright: ignore[reportOptionalMemberAccess]
            if wanted:
                gain = None if piece is None or cost is None else piece - cost
                term = None if acquired is None else term_of(acquired, fill.created_at)
                row = Disposal(
                    fill.book, asset, take, acquired, fill.created_at, piece, cost, fill.product_id, notes,
                    fill.label, gain, term,
                )  # fmt: skip
                self.disposals.append(row)
            rest -= take

    def add(self, fill: TaxFill) -> None:
        """Run one fill through the books (both legs when it is not quoted in USD)."""
        rate = fill.usd_rate
        foreign = fill.quote_currency != "USD"
        note = (CANDLE_NOTE if rate is not None else fill.missing_note) if foreign else ""
        if fill.side == "buy":
            paid = fill.quote + fill.fee
            value = None if rate is None else paid * rate
            self.acquire(fill, fill.base, fill.size, value, note)
            if foreign:
                self.dispose(fill, fill.quote_currency, paid, value, note)
        else:
            got = fill.quote - fill.fee
            value = None if rate is None else got * rate
            self.dispose(fill, fill.base, fill.size, value, note)
            if foreign:
                self.acquire(fill, fill.quote_currency, got, value, note)

    def open_lots(self) -> list[Lot]:
        """The lots still open, by (book, asset) and acquisition order."""
        out = [lot for key in sorted(self.queues) for lot in self.queues[key].lots()]
        return sorted(out, key=lambda lot: (lot.book, lot.asset, lot.seq))


def run_lots(fills: Iterable[TaxFill], method: str = "fifo", keep: Callable[[str], bool] | None = None) -> LotBooks:
    """Run ``fills`` (in time order) through fresh books under ``method``; ``keep(sold_at)`` picks the
    disposals to keep (all by default), the lots are always run through all of them."""
    books = LotBooks(check_method(method), keep=keep)
    with localcontext(EXACT):
        for fill in fills:
            books.add(fill)
    return books
