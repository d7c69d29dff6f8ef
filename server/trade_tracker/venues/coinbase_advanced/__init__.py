"""The Coinbase Advanced Trade adapter: CDP keys (``keys``), the JWT auth (``auth``), the REST client
(``client``), what its answers mean (``answers``), wire models (``models``), the documented rate limits
(``limits``), the fills walk (``walk``) and the venue class (``venue``: ``CoinbaseAdvanced``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "ACCOUNT_SCOPE": "venue",
    "ADVANCED": "venue",
    "ADVANCED_LIMITS": "limits",
    "API_PREFIX": "client",
    "AUTH_CAUSES": "answers",
    "Account": "models",
    "AccountPage": "models",
    "AccountWalk": "walk",
    "AdvancedCursor": "walk",
    "AdvancedFill": "models",
    "AdvancedModel": "models",
    "AdvancedTradeClient": "client",
    "ApiError": "answers",
    "CdpJwtAuth": "auth",
    "CdpKey": "keys",
    "CdpPrivateKey": "keys",
    "CoinbaseAdvanced": "venue",
    "CursorGuard": "answers",
    "ExactDecimal": "models",
    "ExactTimestamp": "models",
    "FillPage": "models",
    "HeaderGate": "limits",
    "JWT_LIFETIME": "auth",
    "JwtAlgorithm": "keys",
    "KEY_FIELD": "keys",
    "KeyPermissions": "models",
    "MAX_FILL_LIMIT": "client",
    "MAX_RESET_WAIT": "limits",
    "MarketTrade": "models",
    "Money": "models",
    "ORDER_STATUSES": "client",
    "OVERLAP": "walk",
    "Order": "models",
    "OrderPage": "models",
    "PRODUCTS_SCOPE": "venue",
    "Portfolio": "models",
    "PortfolioList": "models",
    "Product": "models",
    "ProductList": "models",
    "SECRET_FIELD": "keys",
    "ServerClock": "auth",
    "ServerTime": "models",
    "Ticker": "models",
    "advanced_bucket": "limits",
    "api_error": "answers",
    "build_jwt": "auth",
    "cdp_fingerprint": "keys",
    "credential_from_fields": "keys",
    "fields_from_key_file": "keys",
    "instant_ns": "walk",
    "jwt_host": "auth",
    "parse_cdp_key": "keys",
    "products_of_scope": "venue",
    "read_key_file": "keys",
    "reset_at": "limits",
    "server_epoch": "auth",
    "status_error": "answers",
}
__all__ = [
    "ACCOUNT_SCOPE",
    "ADVANCED",
    "ADVANCED_LIMITS",
    "API_PREFIX",
    "AUTH_CAUSES",
    "Account",
    "AccountPage",
    "AccountWalk",
    "AdvancedCursor",
    "AdvancedFill",
    "AdvancedModel",
    "AdvancedTradeClient",
    "ApiError",
    "CdpJwtAuth",
    "CdpKey",
    "CdpPrivateKey",
    "CoinbaseAdvanced",
    "CursorGuard",
    "ExactDecimal",
    "ExactTimestamp",
    "FillPage",
    "HeaderGate",
    "JWT_LIFETIME",
    "JwtAlgorithm",
    "KEY_FIELD",
    "KeyPermissions",
    "MAX_FILL_LIMIT",
    "MAX_RESET_WAIT",
    "MarketTrade",
    "Money",
    "ORDER_STATUSES",
    "OVERLAP",
    "Order",
    "OrderPage",
    "PRODUCTS_SCOPE",
    "Portfolio",
    "PortfolioList",
    "Product",
    "ProductList",
    "SECRET_FIELD",
    "ServerClock",
    "ServerTime",
    "Ticker",
    "advanced_bucket",
    "api_error",
    "build_jwt",
    "cdp_fingerprint",
    "credential_from_fields",
    "fields_from_key_file",
    "instant_ns",
    "jwt_host",
    "parse_cdp_key",
    "products_of_scope",
    "read_key_file",
    "reset_at",
    "server_epoch",
    "status_error",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .answers import AUTH_CAUSES, ApiError, CursorGuard, api_error, status_error
    from .auth import JWT_LIFETIME, CdpJwtAuth, ServerClock, build_jwt, jwt_host, server_epoch
    from .client import API_PREFIX, MAX_FILL_LIMIT, ORDER_STATUSES, AdvancedTradeClient
    from .keys import (
        KEY_FIELD,
        SECRET_FIELD,
        CdpKey,
        CdpPrivateKey,
        JwtAlgorithm,
        cdp_fingerprint,
        credential_from_fields,
        fields_from_key_file,
        parse_cdp_key,
        read_key_file,
    )
    from .limits import ADVANCED_LIMITS, MAX_RESET_WAIT, HeaderGate, advanced_bucket, reset_at
    from .models import (
        Account,
        AccountPage,
        AdvancedFill,
        AdvancedModel,
        ExactDecimal,
        ExactTimestamp,
        FillPage,
        KeyPermissions,
        MarketTrade,
        Money,
        Order,
        OrderPage,
        Portfolio,
        PortfolioList,
        Product,
        ProductList,
        ServerTime,
        Ticker,
    )
    from .venue import ACCOUNT_SCOPE, ADVANCED, PRODUCTS_SCOPE, CoinbaseAdvanced, products_of_scope
    from .walk import OVERLAP, AccountWalk, AdvancedCursor, instant_ns
