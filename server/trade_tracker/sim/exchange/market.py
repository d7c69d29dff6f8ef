"""Public market data (ticker, 24 h stats) derived from a product's synthetic history.

The user's fills double as a sample of the market: the ticker's price is the last fill's
price, and the stats window is the last 24 h of fills before the newest one. Volumes
are scaled up, since the market trades far more than one account. All values are exact
decimal strings.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal
from typing import Any

from ..core.data import ProductHistory
from ..core.formats import fixed, iso_us

__all__ = ["stats", "ticker"]

_DAY_US = 86_400_000_000
_MIN_WINDOW = 20
_MAX_WINDOW = 5000
_MARKET_SCALE = 1000  # market volume per unit of the account's own volume
_MARKET_TRADES_AFTER = 7919  # market trades since the account's last fill


def _window(history: ProductHistory) -> range:
    n = len(history)
    if n == 0:
        return range(0)
    since = bisect_left(history.created_us, history.created_us[n - 1] - _DAY_US)
    since = max(n - _MAX_WINDOW, min(since, n - _MIN_WINDOW), 0)
    return range(since, n)


def _volume(history: ProductHistory, indices: range) -> Decimal:
    return sum((history.size(i) for i in indices), Decimal(0)) * _MARKET_SCALE


def ticker(history: ProductHistory, now_us: int) -> dict[str, Any]:
    """``GET /products/{id}/ticker``: live-looking for online products, frozen for delisted ones."""
    spec = history.spec
    n = len(history)
    if n == 0:
        price, size, trade_id, time_us = Decimal((spec.low + spec.high) / 2), Decimal(1), 1, now_us
        price = price.quantize(spec.quote_increment)
    else:
        last = n - 1
        price, size = history.price(last), history.size(last)
        trade_id = history.trade_ids[last]
        time_us = history.created_us[last]
        if not spec.delisted:
            trade_id += _MARKET_TRADES_AFTER
            time_us = max(time_us, now_us)
    step = spec.quote_increment
    return {
        "ask": fixed(price + step, spec.quote_places),
        "bid": fixed(max(step, price - step), spec.quote_places),
        "volume": fixed(_volume(history, _window(history)), spec.size_places),
        "trade_id": trade_id,
        "price": fixed(price, spec.quote_places),
        "size": fixed(size, spec.size_places),
        "time": iso_us(time_us),
        "rfq_volume": fixed(Decimal(0), 6),
    }


def stats(history: ProductHistory) -> dict[str, Any]:
    """``GET /products/{id}/stats``: open/high/low/last over the last 24 h of fills."""
    spec = history.spec
    places = spec.price_places
    indices = _window(history)
    zero = fixed(Decimal(0), places)
    prices = [history.price(i) for i in indices] or [Decimal(0)]
    volume = _volume(history, indices)
    return {
        "open": fixed(prices[0], places),
        "high": fixed(max(prices), places),
        "low": fixed(min(prices), places),
        "volume": fixed(volume, spec.size_places),
        "last": fixed(prices[-1], places),
        "volume_30day": fixed(volume * 30, spec.size_places),
        "rfq_volume_24hour": zero,
        "conversions_volume_24hour": fixed(Decimal(0), 6),
        "rfq_volume_30day": zero,
        "conversions_volume_30day": fixed(Decimal(0), 6),
    }
