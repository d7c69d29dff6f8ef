"""The simulated Coinbase Exchange: its state, routes, signature checks, accounts, market, orders and
ledger.

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "DEFAULT_ORDER_STATUSES": "orders",
    "LEDGER_DEFAULT_WINDOW_US": "ledger",
    "ORDER_STATUSES": "orders",
    "PERMISSIONS": "auth",
    "AuthFailure": "auth",
    "FaultLayer": "app",
    "FillPage": "state",
    "KeyRecord": "auth",
    "Money": "ledger",
    "OpenOrder": "orders",
    "SimConfig": "state",
    "SimControl": "control",
    "SimCredential": "auth",
    "SimExchange": "state",
    "account_currencies": "account",
    "admin_routes": "admin",
    "allocate": "control",
    "authenticate": "auth",
    "build_accounts": "account",
    "build_app": "app",
    "build_open_orders": "account",
    "build_profiles": "account",
    "holds": "account",
    "new_credential": "auth",
    "orders_page": "orders",
    "stats": "market",
    "ticker": "market",
}
__all__ = [
    "DEFAULT_ORDER_STATUSES",
    "LEDGER_DEFAULT_WINDOW_US",
    "ORDER_STATUSES",
    "PERMISSIONS",
    "AuthFailure",
    "FaultLayer",
    "FillPage",
    "KeyRecord",
    "Money",
    "OpenOrder",
    "SimConfig",
    "SimControl",
    "SimCredential",
    "SimExchange",
    "account_currencies",
    "admin_routes",
    "allocate",
    "authenticate",
    "build_accounts",
    "build_app",
    "build_open_orders",
    "build_profiles",
    "holds",
    "new_credential",
    "orders_page",
    "stats",
    "ticker",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .account import account_currencies, build_accounts, build_open_orders, build_profiles, holds
    from .admin import admin_routes
    from .app import FaultLayer, build_app
    from .auth import PERMISSIONS, AuthFailure, KeyRecord, SimCredential, authenticate, new_credential
    from .control import SimControl, allocate
    from .ledger import LEDGER_DEFAULT_WINDOW_US, Money
    from .market import stats, ticker
    from .orders import DEFAULT_ORDER_STATUSES, ORDER_STATUSES, OpenOrder, orders_page
    from .state import FillPage, SimConfig, SimExchange
