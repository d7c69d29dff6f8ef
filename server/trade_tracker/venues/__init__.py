"""The trading venues behind one boundary: the generic HTTP retry policy (``retries``), rate limits
(``ratelimit``, ``shared_bucket``), and one sub-package per venue (``coinbase_exchange``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "CURRENT_REQUEST": "retries",
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
    "bucket_for_path": "ratelimit",
    "file_buckets_supported": "shared_bucket",
    "install_retry_log": "retries",
    "is_connection_refused": "retries",
    "retry_after_seconds": "retries",
}
__all__ = ["CURRENT_REQUEST", "RETRY_STATUSES", "AttemptTimedOut", "Backoff", "Bucket", "BucketSpec", "FileTokenBucket",
           "RateLimits", "RetryPolicy", "RetryableAnswer", "VenueHttp", "adapter_for", "bucket_for_path",
           "file_buckets_supported", "install_retry_log", "is_connection_refused", "retry_after_seconds"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from .http import VenueHttp, adapter_for
    from .ratelimit import Bucket, BucketSpec, RateLimits, bucket_for_path
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
