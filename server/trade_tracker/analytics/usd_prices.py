"""USD prices for the tax report: read the ``usd_prices`` cache, and fetch what it misses, once.

The report (``analytics.tax``) says which (USD product, minute) closes it needs
(:func:`~.tax.needed_prices`); :func:`cached_prices` reads them from the store, :func:`fetch_prices`
asks a candle source (any object with ``candles(product_id, start, end)``: both venue clients have
one, ``venues/candles.py``) for the missing ones, grouped into as few requests as the venue's span
allows, and stores every answer: a close, or NULL for a minute the venue had no candle for (and for
every minute of a product the venue does not know), so the same minute is never asked twice.
A request that fails for any other reason stops the fetching; what is still missing is reported
missing, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from ..errors import ExchangeError, NotFound
from ..formats import utc_now
from ..store.connection import TradeStore
from ..store.usd_prices import read_usd_prices, write_usd_prices

if TYPE_CHECKING:
    from ..venues.candles import Candle

__all__ = ["CandleSource", "PriceFetch", "cached_prices", "fetch_prices", "minute_spans"]


class CandleSource(Protocol):
    """What :func:`fetch_prices` needs of a venue client."""

    async def candles(self, product_id: str, start: datetime, end: datetime) -> list[Candle]: ...


@dataclass
class PriceFetch:
    """What one fetch did: requests made, closes stored, minutes without a candle, and why it stopped early."""

    requests: int = 0
    stored: int = 0
    without_candle: int = 0
    failure: str | None = None
    missing: list[tuple[str, str]] = field(default_factory=lambda: list[tuple[str, str]]())


def cached_prices(store: TradeStore, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """The cached closes of ``keys`` (absent: never fetched; None: the venue had no candle)."""
    with store.reading("reading cached USD prices") as conn:
        return read_usd_prices(conn, keys)


def _epoch(minute: str) -> int:
    return int(datetime.fromisoformat(minute.replace("Z", "+00:00")).timestamp())


def _minute(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:00Z")


def minute_spans(minutes: Iterable[str], most: int) -> list[list[str]]:
    """Sorted minutes grouped so each group spans at most ``most`` minutes (one request each)."""
    groups: list[list[str]] = []
    first = 0
    for minute in sorted(set(minutes)):
        epoch = _epoch(minute)
        if groups and (epoch - first) // 60 + 1 <= most:
            groups[-1].append(minute)
        else:
            groups.append([minute])
            first = epoch
    return groups


async def fetch_prices(
    store: TradeStore, source: CandleSource, keys: Iterable[tuple[str, str]], *, origin: str, most: int
) -> PriceFetch:
    """Fetch and store the closes of ``keys`` (the caller passes the ones the cache misses).

    ``origin`` is recorded with each row (the venue and its URL: a sandbox price is told apart);
    ``most`` is the venue's longest span in minutes.
    """
    result = PriceFetch()
    by_product: dict[str, list[str]] = {}
    for product, minute in keys:
        by_product.setdefault(product, []).append(minute)
    for product in sorted(by_product):
        for group in minute_spans(by_product[product], most):
            if result.failure is not None:
                result.missing.extend((product, m) for m in group)
                continue
            start, end = datetime.fromtimestamp(_epoch(group[0]), UTC), datetime.fromtimestamp(_epoch(group[-1]), UTC)
            result.requests += 1
            try:
                closes = {_minute(c.start): c.close for c in await source.candles(product, start, end)}
            except NotFound:
                closes = {}  # the venue has no such product: no minute of it has a price
            except ExchangeError as exc:
                result.failure = f"fetching {product} candles failed: {exc}"
                result.missing.extend((product, m) for m in group)
                continue
            rows = [(product, m, closes.get(m)) for m in group]
            result.without_candle += sum(1 for _, _, close in rows if close is None)
            result.stored += len(rows)
            with store.write("storing USD prices") as conn:
                write_usd_prices(conn, rows, origin, utc_now())
    return result
