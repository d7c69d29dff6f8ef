"""The simulated account around the fills: balances, profiles, and orders that never filled.

All drawn from the seed, so the same seed always shows the same account.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..core.data import TICK_US, ProductHistory
from ..core.formats import fixed, iso_us
from ..core.ids import stable_uuid
from .ledger import Money
from .orders import OpenOrder

__all__ = ["account_currencies", "build_accounts", "build_open_orders", "build_profiles", "holds"]

#: Open-order statuses whose funds are on hold.
_HOLDING = frozenset({"open", "pending", "active"})


def holds(open_orders: Sequence[OpenOrder]) -> dict[str, Decimal]:
    """Funds on hold per currency: a buy holds price × size of the quote, a sell its size of the base."""
    held: dict[str, Decimal] = {}
    for order in open_orders:
        if order.status not in _HOLDING:
            continue
        spec = order.spec
        currency = spec.quote_currency if order.side == "buy" else spec.base_currency
        amount = order.price * order.size if order.side == "buy" else order.size
        held[currency] = held.get(currency, Decimal(0)) + amount
    return held


def build_accounts(money: Money, open_orders: Sequence[OpenOrder], profile_id: str) -> list[dict[str, Any]]:
    """``GET /accounts``: USD, USDC and every currency of the products, 16-place balances that follow
    from the fills (see ``ledger.Money``), holds from the open orders."""
    held = holds(open_orders)
    accounts = []
    for currency in money.currencies:
        balance = money.balance(currency)
        hold = held.get(currency, Decimal(0))
        accounts.append(
            {
                "id": money.account_ids[currency],
                "currency": currency,
                "balance": fixed(balance, 16),
                "hold": fixed(hold, 16),
                "available": fixed(balance - hold, 16),
                "profile_id": profile_id,
                "trading_enabled": True,
            }
        )
    return accounts


def account_currencies(histories: Sequence[ProductHistory]) -> list[str]:
    """USD and USDC first, then every base and quote currency of the products, in order."""
    currencies = ["USD", "USDC"]
    for h in histories:
        currencies += [h.spec.base_currency, h.spec.quote_currency]
    return list(dict.fromkeys(currencies))


def build_profiles(seed: object, user_id: str, profile_id: str, created_us: int) -> list[dict[str, Any]]:
    """``GET /profiles``: the key's active default profile and an inactive old one."""
    return [
        {
            "id": profile_id,
            "user_id": user_id,
            "name": "default",
            "active": True,
            "is_default": True,
            "created_at": iso_us(created_us),
        },
        {
            "id": stable_uuid(seed, "profile", "old-bot"),
            "user_id": user_id,
            "name": "old bot",
            "active": False,
            "is_default": False,
            "created_at": iso_us(created_us + 7_777_777),
        },
    ]


def build_open_orders(seed: object, histories: Sequence[ProductHistory], profile_id: str) -> list[OpenOrder]:
    """Two open limit orders per online product near its last price, plus one pending, one
    active (stop) and one rejected order on the first products: every status ``/orders`` knows.
    A sell never offers more than the product's fills left the account holding (none, once closed)."""
    rng = random.Random(f"trade-tracker-sim-orders:{seed}")
    extra_statuses = ["pending", "active", "rejected"]
    orders: list[OpenOrder] = []
    for h in histories:
        if h.spec.delisted or not len(h):
            continue
        last_price = h.price(len(h) - 1)
        statuses = ["open", "open"] + ([extra_statuses.pop(0)] if extra_statuses else [])
        for n, status in enumerate(statuses):
            side = "buy" if n % 2 == 0 else "sell"
            price = (last_price * Decimal("0.97" if side == "buy" else "1.03")).quantize(h.spec.quote_increment)
            size = (Decimal(rng.randint(1, 50)) / last_price * 100).quantize(h.spec.base_increment)
            size = max(size, h.spec.base_increment)
            if side == "sell":
                size = min(size, (h.spec.base_increment * h.position_units / 2).quantize(h.spec.base_increment))
                if size <= 0:
                    continue
            created = h.created_us[-1] + TICK_US * rng.randint(1_000, 10_000_000)
            stop = (price * Decimal("0.99")).quantize(h.spec.quote_increment) if status == "active" else None
            orders.append(
                OpenOrder(
                    stable_uuid(seed, "open", h.spec.id, n),
                    h.spec,
                    profile_id,
                    side,
                    price,
                    size,
                    created,
                    status,
                    stop,
                )
            )
    return orders
