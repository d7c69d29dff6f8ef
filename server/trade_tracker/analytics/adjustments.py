"""Advanced Trade's fill adjustments, read as the books need them: from stored fills to *effective* fills.

Pure: no SQL, no I/O. The store keeps every Advanced Trade entry exactly as sent (``trade_type``,
``size_in_quote``, ``commission`` = ``fee``, ``sequence_timestamp``); this module decides what they
mean for a book. The reading (``advanced-trade-api.md`` §3, and where it is UNVERIFIED we tolerate both):

* ``size_in_quote`` true: ``size`` is in the QUOTE currency, so the base size is ``size / price``.
  It is exact when that division terminates; otherwise it is rounded once, half-even, to
  :data:`QUOTE_SIZE_PLACES` (18) decimals, here and nowhere else (:func:`base_size`). The quote
  amount stays exactly ``size``: volumes, costs and proceeds in the quote currency are exact.
* ``commission`` is the fee in the quote currency; the store already holds it as ``fee``.
* ``REVERSAL`` undoes the ``FILL`` with its ``trade_id``: that fill counts as if it never happened,
  whatever the sign of the reversal's own ``size`` (positive or negative: the sign is UNVERIFIED).
  A reversal wins over any correction of the same trade.
* ``CORRECTION`` replaces the ``FILL`` with its ``trade_id``: price, size (absolute value), fee and
  ``size_in_quote`` become the correction's; the fill keeps its place in the book (its created_at,
  trade_id and side). Of several corrections the latest by posting order wins: parsed
  ``sequence_timestamp`` (6 or 9 fractional digits), then created_at, then input order.
* A reversal or correction whose fill is not (yet) stored changes nothing; it is kept aside and
  counted (:attr:`Effective.orphans`), never guessed. Once the fill arrives it applies.
* ``SYNTHETIC`` counts as a regular fill: it is a real change of position that the venue books on
  the account (UNVERIFIED: the docs name it an adjusted fill without saying more).
* Adjustment entries themselves never enter a book.
* Exchange fills (``trade_type`` None) pass through unchanged, as the same objects: for an
  Exchange-only book the output is its input.

Products aliased with ``alias_to`` (BTC-USDC ↔ BTC-USD) are not folded: a fill stays under the
product id it carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import NamedTuple

from ..errors import StoreError
from .books import EXACT, cache_text, divide_half_even

__all__ = [
    "ADJUSTMENT_TYPES",
    "QUOTE_SIZE_PLACES",
    "Adjustments",
    "BookFill",
    "Effective",
    "apply_adjustments",
    "base_size",
    "effective_fills",
    "posting_key",
]

#: Decimal places of a quote-sized fill's base size when ``size / price`` does not terminate.
QUOTE_SIZE_PLACES = 18
#: The trade types that adjust another fill rather than being one.
ADJUSTMENT_TYPES = frozenset({"REVERSAL", "CORRECTION"})


class BookFill(NamedTuple):
    """One stored fill as a book reads it; the first six fields are what Exchange rows have.

    ``quote`` is the exact quote amount when it is not ``price × size`` (a converted quote-sized fill).
    """

    created_at: str
    trade_id: object
    side: str
    price: str
    size: str
    fee: str
    quote: str | None = None
    trade_type: str | None = None
    size_in_quote: int | bool | None = None
    sequence_timestamp: str | None = None
    fill_key: str | None = None


def _number(text: str, what: str, entry: BookFill) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise StoreError(f"fill {entry.trade_id} at {entry.created_at} holds a malformed {what}") from exc
    if not value.is_finite():
        raise StoreError(f"fill {entry.trade_id} at {entry.created_at} holds a non-finite {what}")
    return value


def base_size(quote: Decimal, price: Decimal) -> Decimal:
    """``quote / price``: exact when it terminates, else rounded half-even to :data:`QUOTE_SIZE_PLACES`."""
    if not price:
        raise ZeroDivisionError("a quote-sized fill at price 0 has no base size")
    ratio = Fraction(quote) / Fraction(price)
    den, twos, fives = ratio.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    places = max(twos, fives) if den == 1 else QUOTE_SIZE_PLACES
    return divide_half_even(quote, price, places).normalize(EXACT) if places else Decimal(ratio.numerator)


def _converted(entry: BookFill) -> BookFill:
    """A quote-sized fill as base size + exact quote amount; any other fill as it is."""
    if not entry.size_in_quote:
        return entry
    price, quote = _number(entry.price, "price", entry), abs(_number(entry.size, "size", entry))
    try:
        size = base_size(quote, price)
    except ZeroDivisionError:
        raise StoreError(f"quote-sized fill {entry.trade_id} at {entry.created_at} has price 0") from None
    return entry._replace(size=cache_text(size), quote=cache_text(quote), size_in_quote=False)


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def posting_key(entry: BookFill) -> tuple:
    """Sort key of posting order: the parsed ``sequence_timestamp`` (any fractional digits), then created_at."""
    stamp = entry.sequence_timestamp
    found = _STAMP.match(stamp) if stamp else None
    if found is None:
        return (1, entry.created_at)  # no (readable) posting time: after those that have one, by trade time
    whole, fraction, zone = found.groups()
    seconds = datetime.fromisoformat(whole + ("+00:00" if zone in (None, "Z") else zone))
    return (0, seconds.timestamp(), Decimal("0." + (fraction or "0")), entry.created_at)


class Adjustments:
    """The reversals and corrections of one book, indexed by the trade_id they adjust."""

    __slots__ = ("corrections", "reversed", "targets")

    def __init__(self, entries: Iterable[BookFill] = ()) -> None:
        self.reversed: dict[object, BookFill] = {}  # the first reversal of a trade (any one undoes it)
        self.corrections: dict[object, BookFill] = {}  # the latest correction of a trade, by posting order
        # sorted() is stable: input order breaks ties of posting_key.
        for entry in sorted((e for e in entries if e.trade_type in ADJUSTMENT_TYPES), key=posting_key):
            if entry.trade_type == "REVERSAL":
                self.reversed.setdefault(entry.trade_id, entry)
            else:
                self.corrections[entry.trade_id] = entry
        self.targets: frozenset[object] = frozenset(self.reversed) | frozenset(self.corrections)

    def __bool__(self) -> bool:
        return bool(self.reversed or self.corrections)

    def effective(self, entry: BookFill) -> BookFill | None:
        """What one regular fill counts as: None when reversed, the correction's figures when corrected."""
        if entry.trade_id in self.reversed:
            return None
        correction = self.corrections.get(entry.trade_id)
        if correction is not None:
            size = abs(_number(correction.size, "size", correction))
            entry = entry._replace(
                price=correction.price,
                size=cache_text(size),
                fee=correction.fee,
                size_in_quote=correction.size_in_quote,
            )
        return _converted(entry)


def apply_adjustments(
    fills: Iterable[BookFill], adjustments: Adjustments, seen: set[object] | None = None
) -> Iterator[BookFill]:
    """The effective fills of a stream of one book's fills (in book order), streamed.

    Adjustment entries are dropped (their effect comes from ``adjustments``, which holds the book's
    adjustments from all its history). The trade_ids of the FILLs met that ``adjustments`` covers are
    added to ``seen`` when given (to tell orphans apart).
    """
    for entry in fills:
        kind = entry.trade_type
        if kind is None and not entry.size_in_quote:
            yield entry  # Exchange: untouched
            continue
        if kind in ADJUSTMENT_TYPES:
            continue
        if kind == "FILL" and adjustments:
            if seen is not None and entry.trade_id in adjustments.targets:
                seen.add(entry.trade_id)
            out = adjustments.effective(entry)
        else:
            out = _converted(entry)
        if out is not None:
            yield out


class Effective(NamedTuple):
    """The effective fills of one book, and the adjustments whose fill is not (yet) stored."""

    fills: list[BookFill]
    orphans: list[BookFill]


def effective_fills(fills: Iterable[BookFill]) -> Effective:
    """All of one book's entries (any order; ties in posting order as given) → effective fills, in the
    given order, and the orphaned adjustments (kept aside, not applied)."""
    entries = list(fills)
    adjustments = Adjustments(entries)
    seen: set[object] = set()
    out = list(apply_adjustments(entries, adjustments, seen))
    orphans = [e for e in entries if e.trade_type in ADJUSTMENT_TYPES and e.trade_id not in seen]
    return Effective(out, orphans)
