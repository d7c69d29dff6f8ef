"""Candles from a product's synthetic history, for both venues' candle endpoints.

Consistent with the fills: a bucket's open, high, low and close are the prices of the product's own
fills inside it; a bucket with no fill carries the last price before it (open = high = low = close,
volume 0), so every minute after the first fill has a price, as a real market's would. Buckets
before the first fill have no candle. Volumes are scaled like the ticker's (market, not account).

Exchange (``GET /products/{id}/candles?granularity=60&start&end``, ISO-8601 or UNIX seconds) answers
``[[time, low, high, open, close, volume], ...]`` newest first with JSON *numbers* (written here as
the exact decimal text), at most 300 buckets. Advanced Trade
(``GET /api/v3/brokerage/market/products/{id}/candles?start&end&granularity=ONE_MINUTE``, UNIX
seconds) answers ``{"candles": [{"start", "low", "high", "open", "close", "volume"}]}`` with strings,
newest first, at most 350 buckets.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from .data import ProductHistory
from .errors import SimError
from .formats import fixed

__all__ = [
    "ADVANCED_GRANULARITIES",
    "EXCHANGE_GRANULARITIES",
    "SimCandle",
    "advanced_candles_json",
    "candles_of",
    "exchange_candles_body",
    "parse_advanced_query",
    "parse_exchange_query",
]

EXCHANGE_GRANULARITIES = (60, 300, 900, 3600, 21600, 86400)
ADVANCED_GRANULARITIES = {
    "ONE_MINUTE": 60,
    "FIVE_MINUTE": 300,
    "FIFTEEN_MINUTE": 900,
    "THIRTY_MINUTE": 1800,
    "ONE_HOUR": 3600,
    "TWO_HOUR": 7200,
    "SIX_HOUR": 21600,
    "ONE_DAY": 86400,
}
_MARKET_SCALE = 1000


class SimCandle(NamedTuple):
    start: int  # UNIX seconds
    low: Decimal
    high: Decimal
    open: Decimal
    close: Decimal
    volume: Decimal


def candles_of(history: ProductHistory, start: int, end: int, granularity: int) -> list[SimCandle]:
    """The buckets of ``granularity`` seconds from ``start`` (floored) up to ``end``, newest first."""
    first = start - start % granularity
    out: list[SimCandle] = []
    times = history.created_us
    for bucket in range(first, end + 1, granularity):
        lo_us, hi_us = bucket * 1_000_000, (bucket + granularity) * 1_000_000
        lo, hi = bisect_left(times, lo_us), bisect_left(times, hi_us)
        if lo == hi:
            if lo == 0:
                continue  # before the first fill
            price = history.price(lo - 1)
            out.append(SimCandle(bucket, price, price, price, price, Decimal(0)))
            continue
        prices = [history.price(i) for i in range(lo, hi)]
        volume = sum((history.size(i) for i in range(lo, hi)), Decimal(0)) * _MARKET_SCALE
        out.append(SimCandle(bucket, min(prices), max(prices), prices[0], prices[-1], volume))
    out.reverse()
    return out


def _seconds(text: str | None, name: str) -> int:
    if not text:
        raise SimError(400, f"{name} is required")
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SimError(400, f"Invalid {name}") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _span(start: int, end: int, granularity: int, most: int, message: str) -> None:
    if end < start:
        raise SimError(400, "start must be before end")
    if (end - start) // granularity + 1 > most:
        raise SimError(400, message)


def parse_exchange_query(query: Mapping[str, str]) -> tuple[int, int, int]:
    """(start, end, granularity) of an Exchange candles request; 400 as the API words it."""
    try:
        granularity = int(query.get("granularity", "60"))
    except ValueError:
        granularity = -1
    if granularity not in EXCHANGE_GRANULARITIES:
        raise SimError(400, "Unsupported granularity")
    start, end = _seconds(query.get("start"), "start"), _seconds(query.get("end"), "end")
    _span(start, end, granularity, 300, "granularity too small for the requested time range")
    return start, end, granularity


def parse_advanced_query(query: Mapping[str, str]) -> tuple[int, int, int]:
    """(start, end, granularity) of an Advanced Trade candles request."""
    granularity = ADVANCED_GRANULARITIES.get(query.get("granularity", ""))
    if granularity is None:
        raise SimError(400, "granularity is required: ONE_MINUTE ... ONE_DAY")
    start, end = _seconds(query.get("start"), "start"), _seconds(query.get("end"), "end")
    _span(start, end, granularity, 350, "start and end must be within 350 candles")
    return start, end, granularity


def exchange_candles_body(history: ProductHistory, candles: list[SimCandle]) -> bytes:
    """Exchange's answer: arrays of JSON numbers, each written as its exact decimal text."""
    spec = history.spec
    rows = [
        f"[{c.start},{fixed(c.low, spec.quote_places)},{fixed(c.high, spec.quote_places)},"
        f"{fixed(c.open, spec.quote_places)},{fixed(c.close, spec.quote_places)},{fixed(c.volume, spec.size_places)}]"
        for c in candles
    ]
    return ("[" + ",".join(rows) + "]").encode()


def advanced_candles_json(history: ProductHistory, candles: list[SimCandle]) -> dict[str, Any]:
    """Advanced Trade's answer: every field a string."""
    places, size = history.spec.quote_places, history.spec.size_places
    return {
        "candles": [
            {
                "start": str(c.start),
                "low": fixed(c.low, places),
                "high": fixed(c.high, places),
                "open": fixed(c.open, places),
                "close": fixed(c.close, places),
                "volume": fixed(c.volume, size),
            }
            for c in candles
        ]
    }
