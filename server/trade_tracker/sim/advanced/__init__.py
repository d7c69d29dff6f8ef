"""The simulated Coinbase Advanced Trade API (``/api/v3/brokerage``): CDP keys and JWT checks, fill
entries with adjustments, orders, accounts, market data, opaque cursors, rate limits and admin routes.

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "ACCOUNTS_MAX": "queries",
    "ADJUSTMENT_TYPES": "fills",
    "ERROR_CODES": "wire",
    "KEY_FILES": "keys",
    "MAX_LIFETIME": "auth",
    "ORDERS_MAX": "queries",
    "ORDER_STATUSES": "orders",
    "PREFIX": "app",
    "AdvancedConfig": "state",
    "AdvancedControl": "control",
    "AdvancedQueries": "queries",
    "AuthFailure": "auth",
    "CursorCodec": "cursors",
    "Entry": "fills",
    "FaultLayer": "app",
    "FillQuery": "queries",
    "InvalidCursor": "cursors",
    "KeyPermissions": "state",
    "NonceCache": "auth",
    "OrderRecord": "orders",
    "RunningAdvanced": "server",
    "SimAdvanced": "state",
    "SimKey": "keys",
    "adjustment": "fills",
    "admin_routes": "admin",
    "balances": "accounts",
    "build_accounts": "accounts",
    "build_app": "app",
    "effective_fills": "accounts",
    "entries_of": "fills",
    "error_response": "wire",
    "fill_query": "params",
    "idle_orders": "orders",
    "int_param": "params",
    "iso_ns": "times",
    "json_answer": "wire",
    "fresh_key_dir": "keys",
    "load_or_create_keys": "keys",
    "many": "params",
    "new_key": "keys",
    "ns_param": "params",
    "parse_rfc3339_ns": "times",
    "portfolio_json": "accounts",
    "posted_after": "fills",
    "product_json": "market",
    "ready_line": "server",
    "remember_port_in": "keys",
    "running_advanced": "server",
    "serve_advanced_main": "server",
    "stored_port_in": "keys",
    "ticker_json": "market",
    "unauthorized": "wire",
    "verify_jwt": "auth",
}
__all__ = [
    "ACCOUNTS_MAX",
    "ADJUSTMENT_TYPES",
    "ERROR_CODES",
    "KEY_FILES",
    "MAX_LIFETIME",
    "ORDERS_MAX",
    "ORDER_STATUSES",
    "PREFIX",
    "AdvancedConfig",
    "AdvancedControl",
    "AdvancedQueries",
    "AuthFailure",
    "CursorCodec",
    "Entry",
    "FaultLayer",
    "FillQuery",
    "InvalidCursor",
    "KeyPermissions",
    "NonceCache",
    "OrderRecord",
    "RunningAdvanced",
    "SimAdvanced",
    "SimKey",
    "adjustment",
    "admin_routes",
    "balances",
    "build_accounts",
    "build_app",
    "effective_fills",
    "entries_of",
    "error_response",
    "fill_query",
    "idle_orders",
    "int_param",
    "iso_ns",
    "json_answer",
    "fresh_key_dir",
    "load_or_create_keys",
    "many",
    "new_key",
    "ns_param",
    "parse_rfc3339_ns",
    "portfolio_json",
    "posted_after",
    "product_json",
    "ready_line",
    "remember_port_in",
    "running_advanced",
    "serve_advanced_main",
    "stored_port_in",
    "ticker_json",
    "unauthorized",
    "verify_jwt",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .accounts import balances, build_accounts, effective_fills, portfolio_json
    from .admin import admin_routes
    from .app import PREFIX, FaultLayer, build_app
    from .auth import MAX_LIFETIME, AuthFailure, NonceCache, verify_jwt
    from .control import AdvancedControl
    from .cursors import CursorCodec, InvalidCursor
    from .fills import ADJUSTMENT_TYPES, Entry, adjustment, entries_of, posted_after
    from .keys import (
        KEY_FILES,
        SimKey,
        fresh_key_dir,
        load_or_create_keys,
        new_key,
        remember_port_in,
        stored_port_in,
    )
    from .market import product_json, ticker_json
    from .orders import ORDER_STATUSES, OrderRecord, idle_orders
    from .params import fill_query, int_param, many, ns_param
    from .queries import ACCOUNTS_MAX, ORDERS_MAX, AdvancedQueries, FillQuery
    from .server import RunningAdvanced, ready_line, running_advanced, serve_advanced_main
    from .state import AdvancedConfig, KeyPermissions, SimAdvanced
    from .times import iso_ns, parse_rfc3339_ns
    from .wire import ERROR_CODES, error_response, json_answer, unauthorized
