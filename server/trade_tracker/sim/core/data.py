"""Deterministic synthetic fill history of one product, stored compactly.

Why compact: the simulator must serve a million fills in a few hundred MB and answer a
page in well under 10 ms. So a product's fills live in parallel ``array`` columns of
integers (trade_id, price and size in increment units, created_at in microseconds), plus
one byte per fill (settled) and per order (side, liquidity, funding). JSON rows are
formatted on demand, only for the page being served. Everything is drawn from a
``random.Random`` seeded with (seed, product id), so a seed always gives the same history.

Invariants the paging code relies on: ``trade_ids`` and ``created_us`` are strictly
increasing, and ``created_us % 16 == product index`` (timestamps never collide across
products, so date cursors on ``/orders`` are unambiguous). Every product's trade_ids start
at the same value, so trade_ids overlap across products, as they do on the real exchange.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .catalog import ProductSpec, usd_rate
from .formats import Q16, fixed, iso_us, units_to_decimal
from .ids import OrderIdCodec

__all__ = ["MAKER_FEE_RATE", "TAKER_FEE_RATE", "TRADE_ID_START", "ProductHistory"]

TRADE_ID_START = 1_000_001
TRADE_ID_MAX_GAP = 24
MAKER_FEE_RATE = Decimal("0.004")
TAKER_FEE_RATE = Decimal("0.006")

TICK_US = 16
_SIGMA = 0.003  # per-fill log-price step of the random walk
_IN_ORDER_MAX_TICKS = 2000  # fills of one order are at most ~32 ms apart
_AVG_FILLS_PER_ORDER = 1.975
_APPEND_TICKS_PER_FILL = 550

_SELL = 1
_MAKER = 2
_USDC = 4


class ProductHistory:
    """All fills (and the orders they belong to) of one product, oldest first."""

    def __init__(
        self, spec: ProductSpec, index: int, seed: object, codec: OrderIdCodec, user_id: str, profile_id: str
    ) -> None:
        if not 0 <= index < TICK_US:
            raise ValueError(f"at most {TICK_US} products are supported")
        self.spec = spec
        self.index = index
        self.user_id = user_id
        self.profile_id = profile_id
        self._codec = codec
        self._rng = random.Random(f"trade-tracker-sim:{seed}:{spec.id}")
        self.trade_ids = array("q")
        self.price_units = array("q")
        self.size_units = array("q")
        self.created_us = array("q")
        self.settled = bytearray()
        self.order_first = array("q")
        self.order_created_us = array("q")
        self.order_flags = bytearray()
        self.fee_overrides: dict[int, Decimal] = {}
        self.unsettled: set[int] = set()
        self._lo, self._hi = math.log(spec.low), math.log(spec.high)
        self._log_price = (self._lo + self._hi) / 2 + self._rng.uniform(-0.2, 0.2) * (self._hi - self._lo)
        self._last_tid = TRADE_ID_START - 1
        self._last_tick = 0
        self._position = 0  # base units held, so the history never sells what it never bought
        #: Bumped whenever a fill's amount can have changed (a fee override); balances cache on it.
        self.fee_version = 0

    def __len__(self) -> int:
        return len(self.trade_ids)

    # ---- generation -------------------------------------------------------------------------

    def generate(self, count: int, start_us: int, end_us: int, unsettled: int, *, close: bool = False) -> None:
        """Create the initial ``count`` fills spread over [start_us, end_us]; the newest
        ``unsettled`` ones stay unsettled (delisted products are fully settled).

        ``close``: the last of the ``count`` fills is one sell of the whole position, so the
        product's base currency ends at exactly 0 (a position the trader closed).
        """
        if count <= 0:
            return
        span_ticks = max(2, (end_us - start_us) // TICK_US * 97 // 100)  # aim a little short of the end
        mean_gap = max(2.0, span_ticks / max(1.0, count / _AVG_FILLS_PER_ORDER))
        self._last_tick = start_us // TICK_US
        closing = close and count >= 2
        self._grow(count - 1 if closing else count, mean_gap, settled=True)
        if closing:
            self._close_out(max(2, int(mean_gap)))
        overshoot = (self._last_tick * TICK_US - end_us) // TICK_US
        if overshoot > 0:  # random gaps ran past the end: shift everything back, order kept
            self._shift_ticks(-overshoot - 1 - int(self._rng.random() * 1_000_000))
        if not self.spec.delisted:
            self.mark_unsettled(range(max(0, len(self) - unsettled), len(self)))

    def append(self, count: int, now_us: int) -> range:
        """Add ``count`` newer fills ending about ``now_us``; they are unsettled. Returns their indices.

        A batch spans ~550 ticks (~9 ms) per fill when there is room since the newest fill;
        otherwise its gaps shrink so it still ends about now, not in the future.
        """
        nominal = count * _APPEND_TICKS_PER_FILL
        available = now_us // TICK_US - self._last_tick
        scale = 1.0 if available >= nominal else max(available, 0) / max(nominal, 1)
        self._last_tick = max(self._last_tick + 1, now_us // TICK_US - nominal)
        start = len(self)
        self._grow(count, max(2.0, 100.0 * scale), settled=False, in_order_max=max(1, int(_IN_ORDER_MAX_TICKS * scale)))
        return range(start, len(self))

    def _grow(self, count: int, mean_gap: float, *, settled: bool, in_order_max: int = _IN_ORDER_MAX_TICKS) -> None:
        rng = self._rng
        rand, gauss, exp = rng.random, rng.gauss, math.exp
        tids, prices, sizes, created = self.trade_ids, self.price_units, self.size_units, self.created_us
        qinc, binc = float(self.spec.quote_increment), float(self.spec.base_increment)
        usd = float(usd_rate(self.spec.quote_currency))
        usdc_ok = self.spec.quote_currency == "USD"
        lo, hi, logp = self._lo, self._hi, self._log_price
        tid, tick, residue = self._last_tid, self._last_tick, self.index
        position = self._position
        first = len(tids)
        made = 0
        while made < count:
            u = rand()
            n = 1 if u < 0.6 else (2 + int(rand() * 3) if u < 0.95 else 5 + int(rand() * 4))
            n = min(n, count - made)
            gap = max(2, int(mean_gap * (0.2 + 1.6 * rand())))
            tick += gap
            self.order_created_us.append((tick - 1 - int(rand() * (gap - 1))) * TICK_US + residue)
            self.order_first.append(len(tids))
            per_fill = exp(gauss(5.5, 1.3)) / n / usd  # quote notional per fill, median ~ $245
            # A spot account sells only what it holds: a sell needs the position to cover the order
            # with room for the price to move between its fills.
            order_units = n * per_fill / exp(logp) / binc
            sell = rand() < 0.5 and position >= 1.5 * order_units + n
            flags = (_SELL if sell else 0) | (_MAKER if rand() < 0.45 else 0)
            if usdc_ok and rand() < 0.15:
                flags |= _USDC
            self.order_flags.append(flags)
            for j in range(n):
                if j:
                    tick += 1 + int(rand() * in_order_max)
                logp += gauss(0.0, _SIGMA)
                if logp < lo:
                    logp = 2 * lo - logp
                elif logp > hi:
                    logp = 2 * hi - logp
                price = exp(logp)
                tid = tid + 1 + int(rand() * TRADE_ID_MAX_GAP) if tid >= TRADE_ID_START else TRADE_ID_START
                tids.append(tid)
                prices.append(max(1, round(price / qinc)))
                size = max(1, int(per_fill / price / binc))
                if sell:
                    size = max(1, min(size, position))
                    position -= size
                else:
                    position += size
                sizes.append(size)
                created.append(tick * TICK_US + residue)
            made += n
        self._log_price, self._last_tid, self._last_tick, self._position = logp, tid, tick, position
        added = len(tids) - first
        self.settled.extend((b"\x01" if settled else b"\x00") * added)
        if not settled:
            self.unsettled.update(range(first, first + added))

    def _close_out(self, gap: int) -> None:
        """Append one taker sell order, one fill, of the whole position at the last price.

        If nothing is held (rare: random sells can end at exactly 0), nothing is appended.
        """
        held = self._position
        if held <= 0 or not len(self):
            return
        tick = self._last_tick + gap
        self.order_created_us.append((tick - 1) * TICK_US + self.index)
        self.order_first.append(len(self.trade_ids))
        self.order_flags.append(_SELL)
        tid = self._last_tid + 1 + int(self._rng.random() * TRADE_ID_MAX_GAP)
        self.trade_ids.append(tid)
        self.price_units.append(self.price_units[-1])
        self.size_units.append(held)
        self.created_us.append(tick * TICK_US + self.index)
        self.settled.append(1)
        self._last_tid, self._last_tick, self._position = tid, tick, 0

    def _shift_ticks(self, ticks: int) -> None:
        delta = ticks * TICK_US
        for column in (self.created_us, self.order_created_us):
            column[:] = array("q", map(delta.__add__, column))
        self._last_tick += ticks

    def shift_us(self, us: int) -> None:
        """Move every timestamp by ``us`` microseconds (a multiple of ``TICK_US``, so residues stay)."""
        if us % TICK_US:
            raise ValueError(f"a shift must be a multiple of {TICK_US} us")
        self._shift_ticks(us // TICK_US)

    # ---- mutation ---------------------------------------------------------------------------

    def mark_unsettled(self, indices: Iterable[int]) -> None:
        for i in indices:
            self.settled[i] = 0
            self.unsettled.add(i)

    def settle_all(self) -> list[int]:
        """Settle every unsettled fill; return their trade_ids, ascending."""
        changed = sorted(self.unsettled)
        for i in changed:
            self.settled[i] = 1
        self.unsettled.clear()
        return [self.trade_ids[i] for i in changed]

    def set_fee(self, index: int, fee: Decimal) -> None:
        self.fee_overrides[index] = fee.quantize(Q16)
        self.fee_version += 1

    @property
    def position_units(self) -> int:
        """Base units the account holds from this product's fills (never negative)."""
        return self._position

    def is_sell(self, order_index: int) -> bool:
        return bool(self.order_flags[order_index] & _SELL)

    def is_maker(self, order_index: int) -> bool:
        return bool(self.order_flags[order_index] & _MAKER)

    # ---- lookup -----------------------------------------------------------------------------

    def index_of(self, trade_id: int) -> int | None:
        i = bisect_left(self.trade_ids, trade_id)
        return i if i < len(self) and self.trade_ids[i] == trade_id else None

    def order_of(self, index: int) -> int:
        return bisect_right(self.order_first, index) - 1

    def order_span(self, order_index: int) -> tuple[int, int]:
        """[first, end) fill indices of an order."""
        end = self.order_first[order_index + 1] if order_index + 1 < len(self.order_first) else len(self)
        return self.order_first[order_index], end

    def order_id(self, order_index: int) -> str:
        return self._codec.encode(self.index, order_index)

    def date_span(self, start_us: int | None, end_us: int | None) -> tuple[int, int]:
        """[lo, hi) fill indices with created_at inside the inclusive bounds."""
        lo = 0 if start_us is None else bisect_left(self.created_us, start_us)
        hi = len(self) if end_us is None else bisect_right(self.created_us, end_us)
        return lo, max(lo, hi)

    # ---- rendering --------------------------------------------------------------------------

    def price(self, index: int) -> Decimal:
        return units_to_decimal(self.price_units[index], self.spec.quote_places)

    def size(self, index: int) -> Decimal:
        return units_to_decimal(self.size_units[index], self.spec.base_places)

    def fee(self, index: int) -> Decimal:
        override = self.fee_overrides.get(index)
        if override is not None:
            return override
        maker = self.order_flags[self.order_of(index)] & _MAKER
        return (self.price(index) * self.size(index) * (MAKER_FEE_RATE if maker else TAKER_FEE_RATE)).quantize(Q16)

    def fill(self, index: int) -> dict[str, Any]:
        """One fill as ``GET /fills`` returns it (field order as in the docs' sample)."""
        spec = self.spec
        order_index = self.order_of(index)
        flags = self.order_flags[order_index]
        price, size = self.price(index), self.size(index)
        notional = price * size
        return {
            "created_at": iso_us(self.created_us[index]),
            "trade_id": self.trade_ids[index],
            "product_id": spec.id,
            "order_id": self.order_id(order_index),
            "user_id": self.user_id,
            "profile_id": self.profile_id,
            "liquidity": "M" if flags & _MAKER else "T",
            "price": fixed(price, spec.price_places),
            "size": fixed(size, spec.size_places),
            "fee": fixed(self.fee(index), 16),
            "side": "sell" if flags & _SELL else "buy",
            "settled": bool(self.settled[index]),
            "usd_volume": fixed((notional * usd_rate(spec.quote_currency)).quantize(Q16), 16),
            "funding_currency": "USDC" if flags & _USDC else spec.quote_currency,
            "market_type": "spot",
        }

    def done_order(self, order_index: int) -> dict[str, Any]:
        """A filled order as ``GET /orders`` returns it, aggregated from its fills."""
        spec = self.spec
        first, end = self.order_span(order_index)
        flags = self.order_flags[order_index]
        indices = range(first, end)
        prices = [self.price(i) for i in indices]
        filled = sum((self.size(i) for i in indices), Decimal(0))
        executed = sum((p * self.size(i) for p, i in zip(prices, indices, strict=True)), Decimal(0))
        fees = sum((self.fee(i) for i in indices), Decimal(0))
        sell = bool(flags & _SELL)
        return {
            "id": self.order_id(order_index),
            "price": fixed(min(prices) if sell else max(prices), spec.price_places),
            "size": fixed(filled, spec.size_places),
            "product_id": spec.id,
            "profile_id": self.profile_id,
            "side": "sell" if sell else "buy",
            "type": "limit",
            "time_in_force": "GTC",
            "post_only": bool(flags & _MAKER),
            "created_at": iso_us(self.order_created_us[order_index]),
            "done_at": iso_us(self.created_us[end - 1]),
            "done_reason": "filled",
            "fill_fees": fixed(fees, 16),
            "filled_size": fixed(filled, spec.size_places),
            "executed_value": fixed(executed.quantize(Q16), 16),
            "market_type": "spot",
            "status": "done",
            "settled": all(self.settled[i] for i in indices),
        }
