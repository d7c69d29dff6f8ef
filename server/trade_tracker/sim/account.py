"""The simulated account around the fills: balances, profiles, and orders that never filled.

All drawn from the seed, so the same seed always shows the same account.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .data import TICK_US, ProductHistory
from .formats import fixed, iso_us
from .ids import stable_uuid
from .orders import OpenOrder

__all__ = ["build_accounts", "build_open_orders", "build_profiles"]

_FIAT = frozenset({"USD", "USDC", "EUR", "GBP"})


def build_accounts(seed: object, histories: Sequence[ProductHistory], profile_id: str) -> list[dict[str, Any]]:
    """``GET /accounts``: USD, USDC and every currency of the products, 16-place balances."""
    rng = random.Random(f"trade-tracker-sim-accounts:{seed}")
    currencies = ["USD", "USDC"]
    for h in histories:
        currencies += [h.spec.base_currency, h.spec.quote_currency]
    accounts = []
    for currency in dict.fromkeys(currencies):
        fiat = currency in _FIAT
        balance = Decimal(rng.randint(0, 5_000_000 if fiat else 300_000_000)).scaleb(-2 if fiat else -8)
        hold = (balance / 10).quantize(Decimal("0.01")) if currency == "USD" else Decimal(0)
        accounts.append({
            "id": stable_uuid(seed, "account", currency),
            "currency": currency,
            "balance": fixed(balance, 16),
            "hold": fixed(hold, 16),
            "available": fixed(balance - hold, 16),
            "profile_id": profile_id,
            "trading_enabled": True,
        })
    return accounts


def build_profiles(seed: object, user_id: str, profile_id: str, created_us: int) -> list[dict[str, Any]]:
    """``GET /profiles``: the key's active default profile and an inactive old one."""
    return [
        {"id": profile_id, "user_id": user_id, "name": "default", "active": True, "is_default": True,
         "created_at": iso_us(created_us)},
        {"id": stable_uuid(seed, "profile", "old-bot"), "user_id": user_id, "name": "old bot", "active": False,
         "is_default": False, "created_at": iso_us(created_us + 7_777_777)},
    ]


def build_open_orders(seed: object, histories: Sequence[ProductHistory], profile_id: str) -> list[OpenOrder]:
    """Two open limit orders per online product near its last price, plus one pending, one
    active (stop) and one rejected order on the first products: every status ``/orders`` knows."""
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
            created = h.created_us[-1] + TICK_US * rng.randint(1_000, 10_000_000)
            stop = (price * Decimal("0.99")).quantize(h.spec.quote_increment) if status == "active" else None
            orders.append(OpenOrder(stable_uuid(seed, "open", h.spec.id, n), h.spec, profile_id, side, price,
                                    size, created, status, stop))
    return orders
