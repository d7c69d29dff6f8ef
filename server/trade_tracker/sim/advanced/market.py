"""Public market data: products (with ``alias`` / ``alias_to``) and the ticker (best bid/ask + trades).

A product follows the API's ``/market/products`` sample. An alias pair (default BTC-USDC → BTC-USD)
is shown as the sample shows it: BTC-USD has ``alias_to: ["BTC-USDC"]`` and BTC-USDC has
``alias: "BTC-USD"``; each id keeps fills of its own (which id a real fill carries is UNVERIFIED).
The ticker's trades are drawn from the seed around the product's last fill price.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..core.catalog import ProductSpec
from ..core.formats import fixed
from .times import iso_ns

__all__ = ["product_json", "ticker_json"]


def product_json(
    spec: ProductSpec, last_price: Decimal, aliases: Mapping[str, str], *, closed_trading: bool = False
) -> dict[str, Any]:
    """One product as ``/market/products`` lists it (``aliases``: alias id → the id it aliases)."""
    alias_to = sorted(a for a, target in aliases.items() if target == spec.id)
    return {
        "product_id": spec.id,
        "price": fixed(last_price, spec.quote_places),
        "price_percentage_change_24h": "0.5",
        "volume_24h": "1234.5",
        "volume_percentage_change_24h": "-2.1",
        "base_increment": fixed(spec.base_increment, spec.base_places),
        "quote_increment": fixed(spec.quote_increment, spec.quote_places),
        "quote_min_size": "1",
        "quote_max_size": "150000000",
        "base_min_size": fixed(spec.base_increment, spec.base_places),
        "base_max_size": "3400",
        "base_name": spec.base_currency,
        "quote_name": spec.quote_currency,
        "watched": False,
        "is_disabled": False,
        "new": False,
        "status": "online",
        "cancel_only": False,
        "limit_only": False,
        "post_only": False,
        "trading_disabled": closed_trading,
        "auction_mode": False,
        "product_type": "SPOT",
        "quote_currency_id": spec.quote_currency,
        "base_currency_id": spec.base_currency,
        "mid_market_price": "",
        "alias": aliases.get(spec.id, ""),
        "alias_to": alias_to,
        "base_display_symbol": spec.base_currency,
        "quote_display_symbol": spec.quote_currency,
        "view_only": False,
        "price_increment": fixed(spec.quote_increment, spec.quote_places),
        "product_venue": "CBE",
    }


def ticker_json(spec: ProductSpec, last_price: Decimal, now_ns: int, seed: object, limit: int) -> dict[str, Any]:
    """``/market/products/{id}/ticker``: ``limit`` recent trades, newest first, and the best bid/ask."""
    step = spec.quote_increment
    rng = random.Random(f"sim-advanced-ticker:{seed}:{spec.id}:{now_ns // 1_000_000_000}")
    trades = []
    for n in range(limit):
        price = max(step, last_price + step * rng.randint(-50, 50))
        trades.append(
            {
                "trade_id": str(900_000_000 - n - (now_ns // 1_000_000_000) % 1000),
                "product_id": spec.id,
                "price": fixed(price, spec.quote_places),
                "size": fixed(spec.base_increment * rng.randint(1, 10_000_000), spec.base_places),
                "time": iso_ns(now_ns - n * 250_000_000 - rng.randrange(1000) * 1000, 6),
                "side": "BUY" if rng.random() < 0.5 else "SELL",
                "bid": "",
                "ask": "",
            }
        )
    return {
        "trades": trades,
        "best_bid": fixed(last_price, spec.quote_places),
        "best_ask": fixed(last_price + step, spec.quote_places),
    }
