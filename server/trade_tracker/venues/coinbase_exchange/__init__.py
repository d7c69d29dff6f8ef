"""The Coinbase Exchange adapter: the ``Venue`` (``venue``: ``CoinbaseExchange``, its facts ``EXCHANGE``),
signing (``auth``), the REST client (``client``), wire models (``models``),
request parameters (``params``), documented rate limits (``limits``), the fills walk (``walk``), product
discovery (``discovery``) and the CB-AFTER activity helpers (``activity``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "ADVANCED_HINT": "keys",
    "check_api_key": "keys",
    "credential_of_fields": "keys",
    "fingerprint_of_fields": "keys",
    "EXCHANGE": "venue",
    "ExchangeCursor": "walk",
    "MAX_FILLS_LIMIT": "params",
    "ORDERS_PAGE": "discovery",
    "ORDER_STATUSES": "params",
    "Account": "models",
    "BUCKETS": "limits",
    "ExchangeBucket": "limits",
    "PUBLIC_PREFIXES": "limits",
    "bucket_for_path": "limits",
    "exchange_rate_limits": "limits",
    "ApiCredential": "auth",
    "CoinbaseAuth": "auth",
    "CoinbaseClient": "client",
    "CoinbaseExchange": "venue",
    "DecimalStr": "models",
    "Fill": "models",
    "FillPage": "models",
    "LedgerDetails": "activity",
    "LedgerEntry": "activity",
    "LedgerPage": "activity",
    "Order": "models",
    "OrderPage": "activity",
    "Product": "models",
    "ProductSync": "walk",
    "Profile": "models",
    "ServerClock": "auth",
    "ServerTime": "models",
    "Side": "models",
    "Stats": "models",
    "Ticker": "models",
    "Timestamp": "models",
    "TradeId": "models",
    "check_cursor": "params",
    "check_fill_profiles": "walk",
    "decode_secret": "auth",
    "discover_products": "discovery",
    "fill_row": "walk",
    "fills_cursor": "answers",
    "key_fingerprint": "auth",
    "ledger_cursor": "answers",
    "orders_cursor": "answers",
    "products_to_sync": "walk",
    "sign": "auth",
    "status_error": "answers",
}
__all__ = [
    "ADVANCED_HINT",
    "EXCHANGE",
    "ExchangeCursor",
    "MAX_FILLS_LIMIT",
    "ORDERS_PAGE",
    "ORDER_STATUSES",
    "Account",
    "BUCKETS",
    "ExchangeBucket",
    "PUBLIC_PREFIXES",
    "bucket_for_path",
    "exchange_rate_limits",
    "ApiCredential",
    "CoinbaseAuth",
    "CoinbaseClient",
    "CoinbaseExchange",
    "DecimalStr",
    "Fill",
    "FillPage",
    "LedgerDetails",
    "LedgerEntry",
    "LedgerPage",
    "Order",
    "OrderPage",
    "Product",
    "ProductSync",
    "Profile",
    "ServerClock",
    "ServerTime",
    "Side",
    "Stats",
    "Ticker",
    "Timestamp",
    "TradeId",
    "check_api_key",
    "check_cursor",
    "check_fill_profiles",
    "credential_of_fields",
    "decode_secret",
    "discover_products",
    "fill_row",
    "fills_cursor",
    "fingerprint_of_fields",
    "key_fingerprint",
    "ledger_cursor",
    "orders_cursor",
    "products_to_sync",
    "sign",
    "status_error",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .activity import LedgerDetails, LedgerEntry, LedgerPage, OrderPage
    from .answers import fills_cursor, ledger_cursor, orders_cursor, status_error
    from .auth import ApiCredential, CoinbaseAuth, ServerClock, decode_secret, key_fingerprint, sign
    from .client import CoinbaseClient
    from .discovery import ORDERS_PAGE, discover_products
    from .keys import ADVANCED_HINT, check_api_key, credential_of_fields, fingerprint_of_fields
    from .limits import BUCKETS, PUBLIC_PREFIXES, ExchangeBucket, bucket_for_path, exchange_rate_limits
    from .models import (
        Account,
        DecimalStr,
        Fill,
        FillPage,
        Order,
        Product,
        Profile,
        ServerTime,
        Side,
        Stats,
        Ticker,
        Timestamp,
        TradeId,
    )
    from .params import MAX_FILLS_LIMIT, ORDER_STATUSES, check_cursor
    from .venue import EXCHANGE, CoinbaseExchange
    from .walk import ExchangeCursor, ProductSync, check_fill_profiles, fill_row, products_to_sync
