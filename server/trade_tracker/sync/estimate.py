"""How long a running sync has left, at the exchange's rate limit, and what that guess assumes.

Why a guess: Coinbase never says how many fills an account has, so the time left of a first
sync cannot be known. What is known: ``/fills`` answers at most 100 fills per request and the
client sends at most 10 requests/s (Coinbase's documented limit; the client runs at 97% of it),
and the history walk goes from the newest fill back in time. So the estimate extrapolates:
the fills stored so far for the product being walked, over the time span they cover, give a
pace (fills per day of account history); the span left is from the oldest fill reached back to
the profile's creation (``/profiles``' ``created_at``: no fill can be older). Products not
started yet count two requests each (a page and the empty page that ends a walk).

Every :class:`Estimate` carries its assumptions as text, so the model can pass them on.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ..store.sync_runs import stored_ranges

if TYPE_CHECKING:
    from ..store.connection import TradeStore
    from ..venues.coinbase_exchange.client import CoinbaseClient
    from .results import SyncProgress

__all__ = [
    "CLIENT_REQUESTS_PER_SECOND",
    "FILLS_PER_REQUEST",
    "LIMIT_REQUESTS_PER_SECOND",
    "MIN_OBSERVED_PAGES",
    "Estimate",
    "estimate",
    "history_start",
    "say_duration",
]

FILLS_PER_REQUEST = 100
#: Coinbase's documented /fills limit, and what the client actually sends (ratelimit.HEADROOM).
LIMIT_REQUESTS_PER_SECOND = 10.0
CLIENT_REQUESTS_PER_SECOND = 9.7
#: Pages needed before the observed rate replaces the limit in the estimate.
MIN_OBSERVED_PAGES = 10


class Estimate(BaseModel):
    """Time left of a running sync; ``seconds_left`` is None when there is nothing to base it on."""

    seconds_left: int | None
    text: str = Field(description="the estimate in words, e.g. 'about 3 min left at 9.7 requests/s'")
    requests_per_second: float
    rate_basis: Literal["observed", "limit"]
    fills_left: int | None = Field(default=None, description="fills still to fetch for the current product")
    assumes: str


def say_duration(seconds: float) -> str:
    """'45 s', '3 min', '1 h 5 min': rounded the way a person would say it."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


async def history_start(client: CoinbaseClient) -> datetime | None:
    """The earliest profile's creation time (no fill is older), or None if the exchange won't say. Only
    Coinbase Exchange has profiles; for another venue (Advanced Trade) the start is not known: None."""
    from ..errors import TradeTrackerError

    if client.venue_id != "exchange":
        return None

    try:
        profiles = await client.list_profiles()
    except TradeTrackerError:
        return None
    stamps = [p.created_at for p in profiles if p.created_at is not None]
    return min(stamps) if stamps else None


def _rate(pages: int, seconds: float) -> tuple[float, Literal["observed", "limit"]]:
    if pages >= MIN_OBSERVED_PAGES and seconds > 0:
        return round(min(pages / seconds, LIMIT_REQUESTS_PER_SECOND), 2), "observed"
    return CLIENT_REQUESTS_PER_SECOND, "limit"


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _later_products(store: TradeStore, label: str, progress: SyncProgress, per_new: int | None) -> tuple[int, str]:
    """Requests for the products not started yet, and how they were counted.

    A product synced before (it has a sync state) needs about 2 requests (a page, the empty page);
    a new one is assumed as long as the current product (``per_new`` fills), when that is known.
    """
    later = max(progress.products_total - progress.products_done - 1, 0)
    if later == 0:
        return 0, "no other product left"
    # The done and current products have a state now; any other state belongs to a product still to come.
    known_later = max(len(store.sync_states(label)) - progress.products_done - 1, 0)
    new = max(later - known_later, 0) if per_new is not None else 0
    requests = 2 * (later - new) + new * (math.ceil(per_new / FILLS_PER_REQUEST) + 2 if per_new else 0)
    said = f"{later - new} product(s) not started yet, synced before, at 2 requests each"
    if new:
        said = f"{new} new product(s) not started yet, each assumed as long as this one ({per_new} fills); " + said
    return requests, said


def estimate(
    store: TradeStore,
    label: str,
    progress: SyncProgress,
    *,
    pages: int,
    seconds: float,
    start: datetime | None,
) -> Estimate:
    """Estimate the time left of ``label``'s sync, now at ``progress`` after ``pages`` pages in ``seconds``."""
    rate, basis = _rate(pages, seconds)
    said_rate = (
        f"{rate:g} requests/s ({'observed' if basis == 'observed' else 'the client limit'}; Coinbase "
        f"allows {LIMIT_REQUESTS_PER_SECOND:g}/s on /fills, {FILLS_PER_REQUEST} fills each)"
    )
    found = stored_ranges(store, label, progress.product_id)
    got = found[0] if found else None
    fills_left: int | None = None
    if progress.phase == "backfill":
        if start is None or got is None or got.fills < 2 or not got.first_at or not got.last_at:
            return Estimate(
                seconds_left=None,
                requests_per_second=rate,
                rate_basis=basis,
                text=f"time left unknown yet, syncing at {rate:g} requests/s",
                assumes="Coinbase does not say how many fills an account has, and the profile's creation date "
                "is not known, so the history walk's length is unknown until it reaches the oldest fill",
            )
        first, last = _stamp(got.first_at), _stamp(got.last_at)
        span = max((last - first).total_seconds(), 1.0)
        fills_left = round(got.fills / span * max((first - start).total_seconds(), 0.0))
        requests = math.ceil(fills_left / FILLS_PER_REQUEST) + 2
        current = (
            f"{progress.product_id}'s fills go back to {start:%Y-%m-%d} (the profile's creation) at the pace "
            f"seen so far ({got.fills} fills from {first:%Y-%m-%d} to {last:%Y-%m-%d})"
        )
    else:
        requests = 1
        current = f"{progress.product_id} is reading fills newer than its history, which ends at the next empty page"
    per_new = (got.fills if got else 0) + (fills_left or 0)
    later_requests, later = _later_products(store, label, progress, per_new or None)
    left = math.ceil((requests + later_requests) / rate)
    return Estimate(
        seconds_left=left,
        requests_per_second=rate,
        rate_basis=basis,
        fills_left=fills_left,
        text=f"about {say_duration(left)} left at {rate:g} requests/s",
        assumes=f"{current}; {later}; {said_rate}",
    )
