"""The trading venues behind one boundary: the seam every venue implements (``base``: ``Venue``,
``PageSink``, ``VenueInfo``), the venues by name (``registry``: ``VENUES``), the generic HTTP retry policy
(``retries``), rate limits (``ratelimit``, ``shared_bucket``), and one sub-package per venue
(``coinbase_exchange``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "CURRENT_REQUEST": "retries",
    "VENUES": "registry",
    "PUBLIC_VENUE_IDS": "registry",
    "venue_named": "registry",
    "CredentialField": "base",
    "FillScope": "base",
    "PageSink": "base",
    "Venue": "base",
    "VenueClient": "base",
    "VenueId": "base",
    "VenueInfo": "base",
    "venue_of_client": "registry",
    "venue_of_stored": "registry",
    "RETRY_STATUSES": "retries",
    "AttemptTimedOut": "retries",
    "Backoff": "retries",
    "Bucket": "ratelimit",
    "BucketSpec": "ratelimit",
    "FileTokenBucket": "shared_bucket",
    "RateLimits": "ratelimit",
    "RetryPolicy": "retries",
    "RetryableAnswer": "retries",
    "VenueHttp": "http",
    "adapter_for": "http",
    "file_buckets_supported": "shared_bucket",
    "install_retry_log": "retries",
    "is_connection_refused": "retries",
    "retry_after_seconds": "retries",
    "MAX_CANDLES": "candles",
    "AdvancedCandleRequests": "candles",
    "Candle": "candles",
    "ExchangeCandleRequests": "candles",
}
__all__ = [
    "CURRENT_REQUEST",
    "PUBLIC_VENUE_IDS",
    "RETRY_STATUSES",
    "VENUES",
    "AttemptTimedOut",
    "Backoff",
    "Bucket",
    "BucketSpec",
    "CredentialField",
    "FileTokenBucket",
    "FillScope",
    "PageSink",
    "RateLimits",
    "RetryPolicy",
    "RetryableAnswer",
    "Venue",
    "VenueClient",
    "VenueHttp",
    "VenueId",
    "VenueInfo",
    "adapter_for",
    "file_buckets_supported",
    "install_retry_log",
    "is_connection_refused",
    "retry_after_seconds",
    "venue_named",
    "venue_of_client",
    "venue_of_stored",
    "MAX_CANDLES",
    "AdvancedCandleRequests",
    "Candle",
    "ExchangeCandleRequests",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .base import CredentialField, FillScope, PageSink, Venue, VenueClient, VenueId, VenueInfo
    from .candles import MAX_CANDLES, AdvancedCandleRequests, Candle, ExchangeCandleRequests
    from .http import VenueHttp, adapter_for
    from .ratelimit import Bucket, BucketSpec, RateLimits
    from .registry import PUBLIC_VENUE_IDS, VENUES, venue_named, venue_of_client, venue_of_stored
    from .retries import (
        CURRENT_REQUEST,
        RETRY_STATUSES,
        AttemptTimedOut,
        Backoff,
        RetryableAnswer,
        RetryPolicy,
        install_retry_log,
        is_connection_refused,
        retry_after_seconds,
    )
    from .shared_bucket import FileTokenBucket, file_buckets_supported
