"""One-minute candles from either venue's public candle endpoint: ``candles()`` on each REST client.

Why: a crypto-for-crypto fill (ETH-BTC) is valued in USD at the close of its quote asset's USD
product in the fill's minute (``analytics.lots``). Both clients inherit ``candles()`` from the mixins
here, so the clients' modules change by one line each:

* Exchange, ``GET /products/{id}/candles?granularity=60&start&end`` (ISO-8601; at most 300 buckets):
  ``[[time, low, high, open, close, volume], ...]``, JSON numbers (decoded as ``Decimal``, never float),
  newest first (``coinbase-exchange-api.md``).
* Advanced Trade, ``GET /api/v3/brokerage/market/products/{id}/candles?start&end&granularity=ONE_MINUTE``
  (UNIX seconds; 350 buckets at most, UNVERIFIED): ``{"candles": [{"start", "low", "high", "open",
  "close", "volume"}]}``, strings (``advanced-trade-api.md``).

Both return :class:`Candle` (bucket start in UNIX seconds, the close as exact decimal text), oldest first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from pydantic import BaseModel

from trade_tracker.errors import ExchangeProtocolError, InvalidArgument
from trade_tracker.formats import check_product_id

from .http import VenueHttp

__all__ = ["MAX_CANDLES", "AdvancedCandleRequests", "Candle", "ExchangeCandleRequests"]

#: The most one-minute buckets one request may span, per venue id.
MAX_CANDLES = {"exchange": 300, "advanced": 350}


class Candle(NamedTuple):
    """One bucket: its start (UNIX seconds) and its close, exact decimal text."""

    start: int
    close: str


def _span(start: datetime, end: datetime, most: int) -> tuple[int, int]:
    first, last = int(start.astimezone(UTC).timestamp()), int(end.astimezone(UTC).timestamp())
    if last < first or (last - first) // 60 + 1 > most:
        raise InvalidArgument(f"a candle request spans at most {most} minutes, from start to end")
    return first, last


def _text(value: Decimal) -> str:
    if not value.is_finite():
        raise ExchangeProtocolError("a candle close is not a finite number")
    return format(value, "f")


class ExchangeCandleRequests(VenueHttp):
    """``candles()`` for the Coinbase Exchange client."""

    async def candles(self, product_id: str, start: datetime, end: datetime) -> list[Candle]:
        """``GET /products/{id}/candles``: the one-minute buckets from ``start`` to ``end``, oldest first."""
        first, last = _span(start, end, MAX_CANDLES["exchange"])
        params = [
            ("granularity", "60"),
            ("start", datetime.fromtimestamp(first, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("end", datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ]
        path = f"/products/{check_product_id(product_id)}/candles"
        rows = await self._get_model(path, list[list[Decimal]], private=False, params=params)
        out: list[Candle] = []
        for row in rows:
            if len(row) != 6 or row[0] != row[0].to_integral_value():
                raise ExchangeProtocolError(
                    f"GET {path} answered a bucket that is not [time, low, high, open, close, volume]"
                )
            out.append(Candle(int(row[0]), _text(row[4])))
        return sorted(out)


class _AdvancedCandle(BaseModel):
    start: str
    close: str


class _AdvancedCandles(BaseModel):
    candles: list[_AdvancedCandle]


class AdvancedCandleRequests(VenueHttp):
    """``candles()`` for the Advanced Trade client (the public market endpoint, no JWT)."""

    async def candles(self, product_id: str, start: datetime, end: datetime) -> list[Candle]:
        """``GET /market/products/{id}/candles``: the one-minute buckets from ``start`` to ``end``, oldest first."""
        first, last = _span(start, end, MAX_CANDLES["advanced"])
        params = [("start", str(first)), ("end", str(last)), ("granularity", "ONE_MINUTE")]
        path = f"/market/products/{check_product_id(product_id)}/candles"
        answer = await self._get_model(path, _AdvancedCandles, private=False, params=params)
        out: list[Candle] = []
        for candle in answer.candles:
            try:
                close = Decimal(candle.close)
            except ArithmeticError:
                raise ExchangeProtocolError(f"GET {path} answered a close that is not a number") from None
            if not candle.start.isdigit():
                raise ExchangeProtocolError(f"GET {path} answered a start that is not UNIX seconds")
            out.append(Candle(int(candle.start), _text(close)))
        return sorted(out)
