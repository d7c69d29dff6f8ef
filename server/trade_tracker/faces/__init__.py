"""The two faces on the core: the MCP server (``mcp``) and the CLI (``cli``), sharing one output shape per
object (``shapes``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "FILL_COLUMNS": "shapes",
    "STORED_FILL_COLUMNS": "shapes",
    "AccountsOut": "shapes",
    "CredentialOut": "shapes",
    "CredentialsOut": "shapes",
    "ExportOut": "shapes",
    "FillsOut": "shapes",
    "OrdersOut": "shapes",
    "ProductEntryOut": "shapes",
    "ProductsOut": "shapes",
    "StoreCredentialOut": "shapes",
    "SummaryOut": "shapes",
    "TickerOut": "shapes",
    "TradesOut": "shapes",
    "fill_table": "shapes",
    "venue_and_permissions": "shapes",
}
__all__ = [
    "FILL_COLUMNS",
    "STORED_FILL_COLUMNS",
    "AccountsOut",
    "CredentialOut",
    "CredentialsOut",
    "ExportOut",
    "FillsOut",
    "OrdersOut",
    "ProductEntryOut",
    "ProductsOut",
    "StoreCredentialOut",
    "SummaryOut",
    "TickerOut",
    "TradesOut",
    "fill_table",
    "venue_and_permissions",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .shapes import (
        FILL_COLUMNS,
        STORED_FILL_COLUMNS,
        AccountsOut,
        CredentialOut,
        CredentialsOut,
        ExportOut,
        FillsOut,
        OrdersOut,
        ProductEntryOut,
        ProductsOut,
        StoreCredentialOut,
        SummaryOut,
        TickerOut,
        TradesOut,
        fill_table,
        venue_and_permissions,
    )
