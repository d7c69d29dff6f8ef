"""``/accounts`` and ``/portfolios``: the key's portfolio and one account per currency it traded.

Balances follow from the entries, read the way the simulator posts adjustments: a REVERSAL undoes
the FILL with its trade_id, a CORRECTION replaces it (the latest posted wins). Each quote currency
starts with one deposit large enough that no balance goes below 0. A closed position ends at 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext
from typing import Any

from ..core.ids import stable_uuid
from .fills import Entry
from .times import iso_ns

__all__ = ["balances", "build_accounts", "effective_fills", "portfolio_json"]

_FIAT = frozenset({"USD", "EUR", "GBP"})
_DEPOSIT = Decimal(10_000_000)


def effective_fills(entries: Iterable[Entry]) -> dict[str, Entry]:
    """trade_id → the entry that counts (FILL or its latest CORRECTION); reversed trades are absent."""
    effective: dict[str, Entry] = {}
    reversed_ids: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.key):
        trade_id = entry.fill["trade_id"]
        if entry.trade_type == "REVERSAL":
            reversed_ids.add(trade_id)
        elif entry.trade_type in ("FILL", "CORRECTION"):
            effective[trade_id] = entry
    return {t: e for t, e in effective.items() if t not in reversed_ids}


def balances(entries: Iterable[Entry], currencies: Iterable[str], quotes: Iterable[str]) -> dict[str, Decimal]:
    """Currency → balance (exact), from the effective fills plus one deposit per quote currency."""
    quote_set = set(quotes)
    totals = {c: (_DEPOSIT if c in quote_set else Decimal(0)) for c in currencies}
    with localcontext() as ctx:
        ctx.prec = 60
        for entry in effective_fills(entries).values():
            f = entry.fill
            base_cur, quote_cur = f["product_id"].split("-")
            price, commission = Decimal(f["price"]), Decimal(f["commission"])
            sign = 1 if f["side"] == "BUY" else -1
            totals[base_cur] = totals.get(base_cur, Decimal(0)) + sign * entry.base
            totals[quote_cur] = totals.get(quote_cur, Decimal(0)) - sign * price * entry.base - commission
    return totals


def build_accounts(
    seed: object, totals: dict[str, Decimal], portfolio_id: str, created_ns: int
) -> list[dict[str, Any]]:
    """One account per currency, in a stable order (sorted by currency)."""
    out = []
    for currency in sorted(totals):
        value = f"{totals[currency]:f}"
        out.append(
            {
                "uuid": stable_uuid(seed, "advanced-account", currency),
                "name": f"{currency} Wallet",
                "currency": currency,
                "available_balance": {"value": value, "currency": currency},
                "default": True,
                "active": True,
                "created_at": iso_ns(created_ns, 3),
                "updated_at": iso_ns(created_ns, 3),
                "deleted_at": None,
                "type": "ACCOUNT_TYPE_FIAT" if currency in _FIAT else "ACCOUNT_TYPE_CRYPTO",
                "ready": True,
                "hold": {"value": "0", "currency": currency},
                "retail_portfolio_id": portfolio_id,
            }
        )
    return out


def portfolio_json(portfolio_id: str, portfolio_type: str) -> dict[str, Any]:
    """The key's portfolio as ``/portfolios`` lists it."""
    return {"name": "Default", "uuid": portfolio_id, "type": portfolio_type, "deleted": False}
