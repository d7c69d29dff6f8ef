"""An independent FIFO for the tests: what ``trade_summary`` must say about one label's raw fills.

Deliberately simple and written apart from ``analytics`` (no shared code, ``Fraction`` arithmetic,
no lot merging, no cache): the end-to-end tests of both venues compare ``trade_summary`` against it.

Input: one label's raw fills as mappings, in POSTING order, with the keys ``product_id``,
``created_at``, ``trade_id``, ``side`` (buy/sell), ``price``, ``size``, ``fee`` (exact strings) and
optionally ``trade_type`` (None for Exchange) and ``size_in_quote``. The reading it encodes (the
README's analytics section):

* a REVERSAL removes the FILL with its trade_id (its own size, of either sign, is ignored);
* a CORRECTION replaces that FILL's price, |size|, fee and size_in_quote; the last one in posting
  order wins; a reversal beats any correction; adjustments without their FILL change nothing;
* SYNTHETIC and FILL are fills; size_in_quote: base = size / price, exact if it terminates, else
  rounded half-even to 18 places, and the quote amount is exactly ``size``;
* FIFO per product in (created_at, trade_id) order; a sell takes min(size, held); what is left of a
  lot is worth price × size left, the part taken carries the rest of the lot's cost; a sell's proceeds
  are its quote amount minus price × its unmatched size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = ["Book", "oracle"]

_PLACES = 18


def _base(quote: Fraction, price: Fraction) -> Fraction:
    exact = quote / price
    den = exact.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1:
        return exact
    return Fraction(round(exact * 10**_PLACES), 10**_PLACES)  # round() on a Fraction is half-even


def _dec(value: Fraction) -> Decimal:
    """A terminating Fraction as an exact Decimal (every value here terminates)."""
    num, den = value.numerator, value.denominator
    places = 0
    while den != 1:
        # multiply up until the denominator divides out (it only has the factors 2 and 5)
        num, places = num * 10, places + 1
        common = Fraction(num, den)
        num, den = common.numerator, common.denominator
    return Decimal(f"{num}E-{places}")  # from text: exact at any length (scaleb would round to the context)


class Book:
    """One product's figures."""

    def __init__(self) -> None:
        self.lots: list[list[Fraction]] = []  # [price, base, cost], oldest first
        self.buy_count = self.sell_count = 0
        self.buy_size = self.sell_size = self.buy_quote = self.sell_quote = Fraction(0)
        self.fees = self.realized = self.unmatched = Fraction(0)

    def buy(self, price: Fraction, base: Fraction, quote: Fraction) -> None:
        self.buy_count += 1
        self.buy_size += base
        self.buy_quote += quote
        self.lots.append([price, base, quote])

    def sell(self, price: Fraction, base: Fraction, quote: Fraction) -> None:
        self.sell_count += 1
        self.sell_size += base
        self.sell_quote += quote
        want, cost = base, Fraction(0)
        while want > 0 and self.lots:
            lot = self.lots[0]
            if lot[1] <= want:
                cost += lot[2]
                want -= lot[1]
                self.lots.pop(0)
            else:
                lot[1] -= want
                cost += lot[2] - lot[0] * lot[1]
                lot[2] = lot[0] * lot[1]
                want = Fraction(0)
        self.unmatched += want
        self.realized += quote - price * want - cost

    def figures(self) -> dict[str, Any]:
        return {
            "buy_count": self.buy_count,
            "sell_count": self.sell_count,
            "buy_size": _dec(self.buy_size),
            "sell_size": _dec(self.sell_size),
            "base_volume": _dec(self.buy_size + self.sell_size),
            "quote_volume": _dec(self.buy_quote + self.sell_quote),
            "fee_total": _dec(self.fees),
            "realized_pnl": _dec(self.realized),
            "net_realized_pnl": _dec(self.realized - self.fees),
            "unmatched_sell_size": _dec(self.unmatched),
            "position": _dec(self.buy_size - self.sell_size),
            "open_size": _dec(sum((lot[1] for lot in self.lots), Fraction(0))),
            "cost_basis": _dec(sum((lot[2] for lot in self.lots), Fraction(0))),
        }


def oracle(fills: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """product_id -> figures (Decimals and counts) of one label's raw fills given in posting order."""
    entries = list(fills)
    reversed_ids = {(f["product_id"], f["trade_id"]) for f in entries if f.get("trade_type") == "REVERSAL"}
    corrections = {(f["product_id"], f["trade_id"]): f for f in entries if f.get("trade_type") == "CORRECTION"}
    kept = []
    for f in entries:
        kind, key = f.get("trade_type"), (f["product_id"], f["trade_id"])
        if kind in ("REVERSAL", "CORRECTION") or (kind == "FILL" and key in reversed_ids):
            continue
        if kind == "FILL" and key in corrections:
            c = corrections[key]
            f = {**f, "price": c["price"], "size": c["size"].lstrip("-"), "fee": c["fee"]}
            f["size_in_quote"] = c.get("size_in_quote")
        kept.append(f)
    books: dict[str, Book] = {}
    for f in sorted(kept, key=lambda f: (f["product_id"], f["created_at"], f["trade_id"])):
        price, size = Fraction(f["price"]), abs(Fraction(f["size"]))
        base, quote = (_base(size, price), size) if f.get("size_in_quote") else (size, price * size)
        book = books.setdefault(f["product_id"], Book())
        (book.buy if f["side"] == "buy" else book.sell)(price, base, quote)
        book.fees += Fraction(f["fee"])
    return {product: book.figures() for product, book in books.items()}
