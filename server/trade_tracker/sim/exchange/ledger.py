"""The simulated account's money: balances that follow from the fills, and each account's ledger.

Every fill moves two accounts, as on Coinbase Exchange: the base currency by ``±size`` and
the quote currency by ``∓price×size`` and ``−fee`` (fees are charged in the quote currency,
USDC-funded fills included). Each quote currency starts with one deposit (a ``transfer``),
large enough that no balance ever goes below 0. So ``balance = deposit + Σ amounts``,
exactly, in Decimal, and a product sold down to 0 leaves its base account at exactly 0.

The ledger (``GET /accounts/{id}/ledger``) lists those movements, newest first: per fill a
``match`` entry in the base account, a ``match`` and a ``fee`` entry in the quote account,
with ``details`` {order_id, trade_id, product_id}, and the running ``balance`` after each.
Nothing is materialised: an entry's id is ``4 × created_us + k`` (k: 0 base match, 1 quote
match, 2 fee, 3 transfer; created_us never collides across products), so ids grow with time,
paging by id cursor is a few bisects per product, and running balances come from per-fill
prefix sums built once per product (extended as fills are appended, rebuilt after a fee
change). With neither ``start_date`` nor ``end_date``, only the past day is answered, as the
real API does.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import mul
from typing import Any

from ..core.data import ProductHistory
from ..core.formats import fixed, iso_us
from ..core.ids import stable_uuid

__all__ = ["LEDGER_DEFAULT_WINDOW_US", "Money"]

LEDGER_DEFAULT_WINDOW_US = 86_400_000_000  # the real API's "past 1 day only"
_PLACES = 16
_DEPOSIT_EXTRA = 10_000  # whole currency units deposited beyond what the history's buys cost
_BASE, _QUOTE = "base", "quote"


@dataclass
class _Sums:
    """Prefix sums of one product's per-fill movements, in 1e-16 units (``sums[i]``: fills before i)."""

    fee_version: int
    base: list[int] = field(default_factory=lambda: [0])
    quote: list[int] = field(default_factory=lambda: [0])


def _to_decimal(units16: int) -> str:
    return fixed(Decimal(units16).scaleb(-_PLACES), _PLACES)


class Money:
    """Balances and ledgers of the simulated profile's accounts, derived from the histories."""

    def __init__(self, seed: object, histories: Sequence[ProductHistory], currencies: Sequence[str]) -> None:
        self.seed = seed
        self.histories = list(histories)
        self.currencies = list(dict.fromkeys(currencies))
        for h in self.histories:
            if h.spec.quote_places + h.spec.base_places > _PLACES:
                raise ValueError(f"{h.spec.id}: increments too fine for 16-place balances")
        self._sums: dict[str, _Sums] = {}
        self.account_ids = {c: stable_uuid(seed, "account", c) for c in self.currencies}
        self._by_account_id = {a: c for c, a in self.account_ids.items()}
        self._totals: dict[str, tuple[int, int, int, int]] = {}  # id -> (fills, fee_version, base, quote)
        self.deposits: dict[str, tuple[int, int]] = {}  # currency -> (created_us, amount16)
        unit = 10**_PLACES
        for currency in self.currencies:
            quoted = [h for h in self.histories if h.spec.quote_currency == currency and len(h)]
            if quoted:  # an upper bound of what every buy costs, fees included (0.6% at most)
                turnover = sum(
                    sum(map(mul, h.price_units, h.size_units))
                    * 10 ** (_PLACES - h.spec.quote_places - h.spec.base_places)
                    for h in quoted
                )
                amount = (turnover * 1006 // 1000 // unit + 1 + _DEPOSIT_EXTRA) * unit
                start = min(h.created_us[0] for h in quoted) - LEDGER_DEFAULT_WINDOW_US
                self.deposits[currency] = (start, amount)

    # ---- per-fill movements (1e-16 units) ---------------------------------------------------

    @staticmethod
    def _base(h: ProductHistory, i: int) -> int:
        units = h.size_units[i] * 10 ** (_PLACES - h.spec.base_places)
        return -units if h.is_sell(h.order_of(i)) else units

    @staticmethod
    def _quote_match(h: ProductHistory, i: int) -> int:
        spec = h.spec
        notional = h.price_units[i] * h.size_units[i] * 10 ** (_PLACES - spec.quote_places - spec.base_places)
        return notional if h.is_sell(h.order_of(i)) else -notional

    @staticmethod
    def _fee(h: ProductHistory, i: int) -> int:
        override = h.fee_overrides.get(i)
        exponent = 13 - h.spec.quote_places - h.spec.base_places
        if override is not None or exponent < 0:
            return int(h.fee(i).scaleb(_PLACES))
        rate = 4 if h.is_maker(h.order_of(i)) else 6  # MAKER_FEE_RATE 0.004, TAKER_FEE_RATE 0.006
        return h.price_units[i] * h.size_units[i] * rate * 10**exponent

    def _prefix(self, h: ProductHistory) -> _Sums:
        sums = self._sums.get(h.spec.id)
        if sums is None or sums.fee_version != h.fee_version:
            sums = self._sums[h.spec.id] = _Sums(h.fee_version)
        base, quote = sums.base, sums.quote
        start = len(base) - 1
        if start >= len(h):
            return sums
        spec = h.spec
        base_scale = 10 ** (_PLACES - spec.base_places)
        quote_scale = 10 ** (_PLACES - spec.quote_places - spec.base_places)
        exponent = 13 - spec.quote_places - spec.base_places
        exact = exponent >= 0
        fee_scale = 10 ** max(exponent, 0)
        prices, sizes, overrides = h.price_units, h.size_units, h.fee_overrides
        b, q = base[-1], quote[-1]
        for order in range(h.order_of(start), len(h.order_first)):  # appended fills extend the sums
            first, end = h.order_span(order)
            sign = -1 if h.is_sell(order) else 1
            rate = (4 if h.is_maker(order) else 6) * fee_scale
            for i in range(max(first, start), end):
                size = sizes[i]
                notional = prices[i] * size
                fee = notional * rate if exact and i not in overrides else self._fee(h, i)
                b += sign * size * base_scale
                q -= sign * notional * quote_scale + fee
                base.append(b)
                quote.append(q)
        return sums

    def _sources(self, currency: str) -> list[tuple[ProductHistory, str]]:
        return [(h, _BASE) for h in self.histories if h.spec.base_currency == currency] + [
            (h, _QUOTE) for h in self.histories if h.spec.quote_currency == currency
        ]

    # ---- balances ---------------------------------------------------------------------------

    def _total(self, h: ProductHistory) -> tuple[int, int]:
        """(base, quote) movement of all of a product's fills, summed order by order (cached)."""
        cached = self._totals.get(h.spec.id)
        if cached is not None and cached[:2] == (len(h), h.fee_version):
            return cached[2], cached[3]
        spec = h.spec
        base_scale = 10 ** (_PLACES - spec.base_places)
        quote_scale = 10 ** (_PLACES - spec.quote_places - spec.base_places)
        base = quote = 0
        for order in range(len(h.order_first)):
            a, b = h.order_span(order)
            size = sum(h.size_units[a:b])
            notional = sum(map(mul, h.price_units[a:b], h.size_units[a:b]))
            sign = -1 if h.is_sell(order) else 1
            base += sign * size * base_scale
            quote -= sign * notional * quote_scale
        exponent = 13 - spec.quote_places - spec.base_places
        fees = sum(self._fee(h, i) for i in range(len(h))) if exponent < 0 or h.fee_overrides else None
        if fees is None:
            fees = 0
            for order in range(len(h.order_first)):
                a, b = h.order_span(order)
                rate = 4 if h.is_maker(order) else 6
                fees += sum(map(mul, h.price_units[a:b], h.size_units[a:b])) * rate * 10**exponent
        self._totals[h.spec.id] = (len(h), h.fee_version, base, quote - fees)
        return base, quote - fees

    def balance16(self, currency: str) -> int:
        """The account's balance: its deposit plus every movement of every fill."""
        total = self.deposits.get(currency, (0, 0))[1]
        for h, role in self._sources(currency):
            total += self._total(h)[0 if role == _BASE else 1]
        return total

    def balance(self, currency: str) -> Decimal:
        return Decimal(self.balance16(currency)).scaleb(-_PLACES)

    def currency_of(self, account_id: str) -> str | None:
        return self._by_account_id.get(account_id.strip().lower())

    # ---- the ledger -------------------------------------------------------------------------

    def _entries(self, h: ProductHistory, role: str, i: int) -> list[tuple[int, int, str, ProductHistory, int]]:
        """(id, amount16, type, history, fill index) of one fill's entries in one account."""
        c4 = 4 * h.created_us[i]
        if role == _BASE:
            return [(c4, self._base(h, i), "match", h, i)]
        out = [(c4 + 1, self._quote_match(h, i), "match", h, i)]
        fee = self._fee(h, i)
        if fee:
            out.append((c4 + 2, -fee, "fee", h, i))
        return out

    def _before(self, currency: str, entry_id: int) -> int:
        """The balance just before the entry with this id (every entry with a smaller id)."""
        deposit = self.deposits.get(currency)
        total = deposit[1] if deposit is not None and 4 * deposit[0] + 3 < entry_id else 0
        moment = entry_id // 4
        for h, role in self._sources(currency):
            sums = self._prefix(h)
            i = bisect_left(h.created_us, moment)
            total += (sums.base if role == _BASE else sums.quote)[i]
            if i < len(h) and h.created_us[i] == moment:
                total += sum(e[1] for e in self._entries(h, role, i) if e[0] < entry_id)
        return total

    def ledger(
        self,
        currency: str,
        *,
        now_us: int,
        start_us: int | None = None,
        end_us: int | None = None,
        before: int | None = None,
        after: int | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """One ledger page, newest first (``before``/``after`` are entry ids, as CB-BEFORE/CB-AFTER)."""
        if start_us is None and end_us is None:
            start_us = now_us - LEDGER_DEFAULT_WINDOW_US
        lo_id = None if start_us is None else 4 * start_us
        hi_id = None if end_us is None else 4 * end_us + 3
        found: list[tuple[int, int, str, ProductHistory | None, int]] = []
        for h, role in self._sources(currency):
            lo, hi = h.date_span(start_us, end_us)
            if after is not None:
                hi = min(hi, bisect_right(h.created_us, after // 4, lo, hi))
                lo = max(lo, hi - limit - 1)
            elif before is not None:
                lo = max(lo, bisect_left(h.created_us, before // 4, lo, hi))
                hi = min(hi, lo + limit + 1)
            else:
                lo = max(lo, hi - limit - 1)
            for i in range(lo, hi):
                found += self._entries(h, role, i)
        deposit = self.deposits.get(currency)
        if deposit is not None:
            found.append((4 * deposit[0] + 3, deposit[1], "transfer", None, 0))
        found = [
            e
            for e in found
            if (lo_id is None or e[0] >= lo_id)
            and (hi_id is None or e[0] <= hi_id)
            and (after is None or e[0] < after)
            and (before is None or e[0] > before)
        ]
        found.sort(key=lambda e: e[0])
        found = found[:limit] if before is not None else found[-limit:]
        if not found:
            return []
        balance = self._before(currency, found[0][0])
        rows = []
        for entry_id, amount, kind, h, i in found:
            balance += amount
            rows.append(self._render(currency, entry_id, amount, balance, kind, h, i))
        return rows[::-1]

    def _render(
        self, currency: str, entry_id: int, amount: int, balance: int, kind: str, h: ProductHistory | None, i: int
    ) -> dict[str, Any]:
        if h is None:
            details: dict[str, str] = {
                "transfer_id": stable_uuid(self.seed, "deposit", currency),
                "transfer_type": "deposit",
            }
        else:
            details = {"order_id": h.order_id(h.order_of(i)), "trade_id": str(h.trade_ids[i]), "product_id": h.spec.id}
        return {
            "id": str(entry_id),
            "created_at": iso_us(entry_id // 4),
            "amount": _to_decimal(amount),
            "balance": _to_decimal(balance),
            "type": kind,
            "details": details,
        }
