"""Coinbase Exchange's documented rate limits, as data: the bucket table and which path counts against which.

Coinbase documents a lazy-fill token bucket per limit: public endpoints 10 req/s (bursts of 15) per IP,
private endpoints 15 req/s (bursts of 30) per profile, and ``/fills`` 10 req/s (bursts of 20). The
generic :class:`~trade_tracker.venues.ratelimit.RateLimits` runs whatever table it is given; this is
Exchange's (Advanced Trade brings its own ``limits.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from ..ratelimit import BucketSpec, RateLimits

if TYPE_CHECKING:
    from trade_tracker.config import Settings

__all__ = ["BUCKETS", "PUBLIC_PREFIXES", "ExchangeBucket", "bucket_for_path", "exchange_rate_limits"]

#: The names of Exchange's three limits.
ExchangeBucket = Literal["public", "private", "fills"]

#: The documented buckets: rate per second and burst.
BUCKETS: Mapping[str, BucketSpec] = {
    "public": BucketSpec(rate=10, burst=15),
    "private": BucketSpec(rate=15, burst=30),
    "fills": BucketSpec(rate=10, burst=20),
}

#: Request paths under the public (per IP) limit; every other path but ``/fills`` is private.
PUBLIC_PREFIXES = ("/time", "/products", "/currencies")


def bucket_for_path(path: str) -> ExchangeBucket:
    """Which documented limit a request path counts against."""
    if path == "/fills" or path.startswith("/fills?"):
        return "fills"
    if path.startswith(PUBLIC_PREFIXES):
        return "public"
    return "private"


def exchange_rate_limits(settings: Settings) -> RateLimits:
    """Exchange's buckets as trade-tracker runs them: shared with every process that uses the same
    ``TRADE_TRACKER_HOME`` and ``EX_BASE_URL``."""
    # "exchange" is EXCHANGE.id (venue.py); not imported from there: the client imports this module, and
    # venue.py the client.
    return RateLimits.across_processes(settings.trade_tracker_home, "exchange", settings.ex_base_url, BUCKETS)
