"""Advanced Trade fill entries: the account's ledger of FILL, REVERSAL and CORRECTION entries.

Built on the core's synthetic history (``core.data.ProductHistory``: prices, base sizes, orders, a
closed position), each core fill becomes one ``FILL`` entry shaped like the API's sample:

- ``entry_id`` 64 hex digits (the unique key), ``trade_id`` a UUID, ``order_id`` the core's order UUID;
- ``trade_time`` and ``sequence_timestamp`` (posted a little later) each rendered with 6 or 9
  fractional digits, drawn per entry, so both precisions occur;
- ``size_in_quote`` true for some orders (market orders by quote amount): then ``size`` is the
  QUOTE amount, exactly ``price × base size``, so ``size / price`` gives the base size back exactly;
- ``commission`` the fee in quote currency, ``liquidity_indicator`` MAKER / TAKER (quote-sized market
  orders: UNKNOWN_LIQUIDITY_INDICATOR, as in the sample), ``side`` BUY / SELL, ``user_id`` and
  ``retail_portfolio_id``.

Adjustments are separate entries with their own ``entry_id``, the ``trade_id``, ``order_id``,
``product_id`` and ``trade_time`` of the fill they adjust, and a LATER ``sequence_timestamp``:

- ``REVERSAL`` undoes the fill. Whether its ``size`` is negative is UNVERIFIED, so it is a setting
  (``reversal_sign``): "positive" (default: the fill's own size and commission, to be netted by the
  consumer) or "negative" (``-size`` and ``-commission``); clients must tolerate both.
- ``CORRECTION`` replaces the fill: the corrected full values (positive), here a changed commission
  and, for base-sized fills, a changed price.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..core.data import MAKER_FEE_RATE, TAKER_FEE_RATE, ProductHistory
from ..core.formats import Q16, fixed
from ..core.ids import stable_hex, stable_uuid
from .times import iso_ns

__all__ = ["ADJUSTMENT_TYPES", "Entry", "adjustment", "entries_of", "posted_after"]

ADJUSTMENT_TYPES = ("REVERSAL", "CORRECTION")
#: Share of orders placed by quote amount (``size_in_quote``).
QUOTE_SIZED_SHARE = 0.2


@dataclass(frozen=True)
class Entry:
    """One ledger entry: its sort key (``seq_ns``), exact JSON (positive sizes), and base size."""

    seq_ns: int
    trade_ns: int
    fill: dict[str, Any]
    base: Decimal = field(compare=False)
    #: When the order this entry belongs to was created.
    order_ns: int = field(default=0, compare=False)

    @property
    def key(self) -> tuple[int, str]:
        """Sort key: sequence time, then entry_id (newest first is this, descending)."""
        return self.seq_ns, self.fill["entry_id"]

    @property
    def trade_type(self) -> str:
        return str(self.fill["trade_type"])

    def render(self, reversal_sign: str = "positive") -> dict[str, Any]:
        """The entry as ``/orders/historical/fills`` returns it, under the reversal sign convention."""
        if self.trade_type != "REVERSAL" or reversal_sign == "positive":
            return dict(self.fill)
        return {**self.fill, "size": "-" + self.fill["size"], "commission": "-" + self.fill["commission"]}


def _digits(rng: random.Random) -> int:
    return 9 if rng.random() < 0.5 else 6


def _stamp(ns: int, digits: int) -> tuple[int, str]:
    """``ns`` cut to ``digits`` fractional digits, and its text: what is sent is what is sorted on."""
    if digits == 6:
        ns -= ns % 1000
    return ns, iso_ns(ns, digits)


def entries_of(history: ProductHistory, fills: range, seed: object, user_id: str, portfolio_id: str) -> list[Entry]:
    """FILL entries for the core fills ``fills`` of ``history`` (deterministic per seed and index)."""
    spec = history.spec
    out: list[Entry] = []
    for index in fills:
        rng = random.Random(f"sim-advanced:{seed}:{spec.id}:{index}")
        order_index = history.order_of(index)
        order_rng = random.Random(f"sim-advanced-order:{seed}:{spec.id}:{order_index}")
        quote_sized = order_rng.random() < QUOTE_SIZED_SHARE
        maker = history.is_maker(order_index) and not quote_sized
        price, base = history.price(index), history.size(index)
        notional = price * base
        rate = MAKER_FEE_RATE if maker else TAKER_FEE_RATE
        trade_ns, trade_text = _stamp(history.created_us[index] * 1000 + rng.randrange(1000), _digits(rng))
        seq_ns, seq_text = _stamp(trade_ns + rng.randrange(100_000, 5_000_000), _digits(rng))
        size = fixed(notional, spec.quote_places + spec.base_places) if quote_sized else fixed(base, spec.base_places)
        fill = {
            "entry_id": stable_hex(seed, "entry", spec.id, history.trade_ids[index], length=64),
            "trade_id": stable_uuid(seed, "trade", spec.id, history.trade_ids[index]),
            "order_id": history.order_id(order_index),
            "trade_time": trade_text,
            "trade_type": "FILL",
            "price": fixed(price, spec.quote_places),
            "size": size,
            "commission": fixed((notional * rate).quantize(Q16), 16),
            "product_id": spec.id,
            "sequence_timestamp": seq_text,
            "liquidity_indicator": "UNKNOWN_LIQUIDITY_INDICATOR" if quote_sized else ("MAKER" if maker else "TAKER"),
            "size_in_quote": quote_sized,
            "user_id": user_id,
            "side": "SELL" if history.is_sell(order_index) else "BUY",
            "retail_portfolio_id": portfolio_id,
        }
        out.append(Entry(seq_ns, trade_ns, fill, base, history.order_created_us[order_index] * 1000))
    return out


def adjustment(original: Entry, kind: str, seq_ns: int, seed: object, serial: int) -> Entry:
    """A ``kind`` (REVERSAL or CORRECTION) entry for ``original`` posted at ``seq_ns`` (later than it)."""
    if kind not in ADJUSTMENT_TYPES:
        raise ValueError(f"an adjustment is one of {list(ADJUSTMENT_TYPES)}, not {kind!r}")
    if original.trade_type != "FILL":
        raise ValueError("only FILL entries are adjusted")
    rng = random.Random(f"sim-advanced-adjust:{seed}:{serial}")
    seq_ns, seq_text = _stamp(max(seq_ns, original.seq_ns + 1000), _digits(rng))
    fill = {
        **original.fill,
        "entry_id": stable_hex(seed, "adjustment", serial, original.fill["entry_id"], length=64),
        "trade_type": kind,
        "sequence_timestamp": seq_text,
    }
    base = original.base
    if kind == "CORRECTION":
        commission = Decimal(original.fill["commission"])
        fill["commission"] = fixed((commission * Decimal("0.5")).quantize(Q16), 16)
        if not original.fill["size_in_quote"]:
            places = len(original.fill["price"].partition(".")[2])
            step = Decimal(1).scaleb(-places)
            price = Decimal(original.fill["price"]) + step * (1 if rng.random() < 0.5 else -1)
            fill["price"] = fixed(max(price, step), places)
    return replace(original, seq_ns=seq_ns, fill=fill, base=base)


def posted_after(entries: list[Entry], floor_ns: int) -> list[Entry]:
    """``entries`` (oldest first) with every sequence time moved past ``floor_ns`` where it is not already.

    Sequence time is posting time: what is posted now comes after everything posted before, so a client
    holding "everything up to mark" never misses a newer post. Each keeps its precision (6 or 9 digits).
    """
    out: list[Entry] = []
    for entry in sorted(entries, key=lambda e: e.key):
        if entry.seq_ns > floor_ns:
            out.append(entry)
            floor_ns = entry.seq_ns
            continue
        digits = len(entry.fill["sequence_timestamp"].rstrip("Z").partition(".")[2])
        floor_ns, text = _stamp(floor_ns + 1000, digits)
        out.append(replace(entry, seq_ns=floor_ns, fill={**entry.fill, "sequence_timestamp": text}))
    return out
