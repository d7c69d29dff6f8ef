"""The simulator's venue-neutral core: synthetic data, ids, formats, faults, rate limits, paging, answers
and the uvicorn runners.

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "lazy_exports": "lazy",
    "DEFAULT_CLOSED": "catalog",
    "DEFAULT_DELISTED": "catalog",
    "DEFAULT_PRODUCTS": "catalog",
    "EXPOSE_HEADERS": "responses",
    "LIMITS": "ratelimit",
    "MAKER_FEE_RATE": "data",
    "Q16": "formats",
    "RANDOM_STATUSES": "faults",
    "TAKER_FEE_RATE": "data",
    "TRADE_ID_START": "data",
    "BucketKind": "ratelimit",
    "Failure": "faults",
    "FaultInjector": "faults",
    "OrderIdCodec": "ids",
    "ProductHistory": "data",
    "ProductSpec": "catalog",
    "RateLimiter": "ratelimit",
    "RunningSim": "server",
    "SimError": "errors",
    "TokenBucket": "ratelimit",
    "bind_socket": "server",
    "default_failure": "faults",
    "error": "responses",
    "fixed": "formats",
    "is_loopback_host": "server",
    "iso_us": "formats",
    "json_response": "responses",
    "load_or_create_key": "keyfile",
    "parse_date_us": "formats",
    "places_of": "formats",
    "remember_port": "keyfile",
    "running_sim": "server",
    "serve_main": "server",
    "socket_url": "server",
    "serve_socket": "server",
    "check_host": "server",
    "spec_for": "catalog",
    "stable_hex": "ids",
    "stable_uuid": "ids",
    "stored_port": "keyfile",
    "units_to_decimal": "formats",
    "usd_rate": "catalog",
    "window": "paging",
    "ADVANCED_GRANULARITIES": "candles",
    "EXCHANGE_GRANULARITIES": "candles",
    "SimCandle": "candles",
    "advanced_candles_json": "candles",
    "candles_of": "candles",
    "exchange_candles_body": "candles",
    "parse_advanced_query": "candles",
    "parse_exchange_query": "candles",
}
__all__ = [
    "lazy_exports",
    "DEFAULT_CLOSED",
    "DEFAULT_DELISTED",
    "DEFAULT_PRODUCTS",
    "EXPOSE_HEADERS",
    "LIMITS",
    "MAKER_FEE_RATE",
    "Q16",
    "RANDOM_STATUSES",
    "TAKER_FEE_RATE",
    "TRADE_ID_START",
    "BucketKind",
    "Failure",
    "FaultInjector",
    "OrderIdCodec",
    "ProductHistory",
    "ProductSpec",
    "RateLimiter",
    "RunningSim",
    "SimError",
    "TokenBucket",
    "bind_socket",
    "default_failure",
    "error",
    "fixed",
    "is_loopback_host",
    "iso_us",
    "json_response",
    "load_or_create_key",
    "parse_date_us",
    "places_of",
    "remember_port",
    "running_sim",
    "serve_main",
    "socket_url",
    "serve_socket",
    "check_host",
    "spec_for",
    "stable_hex",
    "stable_uuid",
    "stored_port",
    "units_to_decimal",
    "usd_rate",
    "window",
    "ADVANCED_GRANULARITIES",
    "EXCHANGE_GRANULARITIES",
    "SimCandle",
    "advanced_candles_json",
    "candles_of",
    "exchange_candles_body",
    "parse_advanced_query",
    "parse_exchange_query",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .candles import (
        ADVANCED_GRANULARITIES,
        EXCHANGE_GRANULARITIES,
        SimCandle,
        advanced_candles_json,
        candles_of,
        exchange_candles_body,
        parse_advanced_query,
        parse_exchange_query,
    )
    from .catalog import DEFAULT_CLOSED, DEFAULT_DELISTED, DEFAULT_PRODUCTS, ProductSpec, spec_for, usd_rate
    from .data import MAKER_FEE_RATE, TAKER_FEE_RATE, TRADE_ID_START, ProductHistory
    from .errors import SimError
    from .faults import RANDOM_STATUSES, Failure, FaultInjector, default_failure
    from .formats import Q16, fixed, iso_us, parse_date_us, places_of, units_to_decimal
    from .ids import OrderIdCodec, stable_hex, stable_uuid
    from .keyfile import load_or_create_key, remember_port, stored_port
    from .paging import window
    from .ratelimit import LIMITS, BucketKind, RateLimiter, TokenBucket
    from .responses import EXPOSE_HEADERS, error, json_response
    from .server import (
        RunningSim,
        bind_socket,
        check_host,
        is_loopback_host,
        running_sim,
        serve_main,
        serve_socket,
        socket_url,
    )
