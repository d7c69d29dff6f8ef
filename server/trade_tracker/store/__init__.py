"""The SQLite trade store: the connection and its transactions (``connection``), the schema (``migrations``),
the fill queries' arguments and cursors (``fills``), sync runs (``sync_runs``), discovery state
(``discovery_state``) and what a credential label holds (``label_history``). Every SQL statement of the
project lives here, except the analytics cache's own derived tables (``analytics/cache.py``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "BUSY_TIMEOUT_MS": "connection",
    "DISCOVERY_SCHEMA": "discovery_state",
    "FILL_COLUMNS": "fills",
    "FILL_KEY": "fills",
    "HEARTBEAT_SECONDS": "sync_runs",
    "INTERRUPTED_ERROR": "sync_runs",
    "KEEP_RUNS": "sync_runs",
    "MAX_QUERY_LIMIT": "fills",
    "MIGRATIONS": "migrations",
    "STALE_AFTER_SECONDS": "sync_runs",
    "SYNC_RUNS_SQL": "sync_runs",
    "DiscoveryState": "discovery_state",
    "Filters": "filters",
    "NO_FILTERS": "filters",
    "FillQueries": "fills",
    "FillRow": "fills",
    "Outcome": "sync_runs",
    "PageCounts": "fills",
    "RunRecorder": "sync_runs",
    "StoredRange": "sync_runs",
    "SyncRun": "sync_runs",
    "SyncState": "sync_state",
    "SyncStateQueries": "sync_state",
    "TradeStore": "connection",
    "Transactions": "transactions",
    "UnsettledSummary": "fills",
    "add_discovered": "discovery_state",
    "decode_cursor": "filters",
    "discovered_products": "discovery_state",
    "encode_cursor": "filters",
    "latest_runs": "sync_runs",
    "m001_fills": "migrations",
    "m002_credentials": "migrations",
    "m003_sync_state": "migrations",
    "m004_fill_query_indexes": "migrations",
    "m005_analytics_cache": "migrations",
    "m006_fills_key_with_label": "migrations",
    "m007_discovery_state": "migrations",
    "m008_sync_runs": "migrations",
    "migration": "migrations",
    "pid_alive": "sync_runs",
    "save_discovery_run": "discovery_state",
    "stored_ranges": "sync_runs",
    "time_bound": "filters",
    "time_window": "filters",
    "upsert_rows": "fills",
    "LabelHistory": "label_history",
    "label_profile": "label_history",
}
__all__ = [
    "BUSY_TIMEOUT_MS",
    "DISCOVERY_SCHEMA",
    "FILL_COLUMNS",
    "FILL_KEY",
    "HEARTBEAT_SECONDS",
    "INTERRUPTED_ERROR",
    "KEEP_RUNS",
    "MAX_QUERY_LIMIT",
    "MIGRATIONS",
    "STALE_AFTER_SECONDS",
    "SYNC_RUNS_SQL",
    "DiscoveryState",
    "Filters",
    "NO_FILTERS",
    "FillQueries",
    "FillRow",
    "LabelHistory",
    "Outcome",
    "PageCounts",
    "RunRecorder",
    "StoredRange",
    "SyncRun",
    "SyncState",
    "SyncStateQueries",
    "TradeStore",
    "Transactions",
    "UnsettledSummary",
    "add_discovered",
    "decode_cursor",
    "discovered_products",
    "encode_cursor",
    "label_profile",
    "latest_runs",
    "m001_fills",
    "m002_credentials",
    "m003_sync_state",
    "m004_fill_query_indexes",
    "m005_analytics_cache",
    "m006_fills_key_with_label",
    "m007_discovery_state",
    "m008_sync_runs",
    "migration",
    "pid_alive",
    "save_discovery_run",
    "stored_ranges",
    "time_bound",
    "time_window",
    "upsert_rows",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .connection import BUSY_TIMEOUT_MS, TradeStore
    from .discovery_state import (
        DISCOVERY_SCHEMA,
        DiscoveryState,
        add_discovered,
        discovered_products,
        save_discovery_run,
    )
    from .fills import (
        FILL_COLUMNS,
        FILL_KEY,
        MAX_QUERY_LIMIT,
        FillQueries,
        FillRow,
        PageCounts,
        UnsettledSummary,
        upsert_rows,
    )
    from .filters import NO_FILTERS, Filters, decode_cursor, encode_cursor, time_bound, time_window
    from .label_history import LabelHistory, label_profile
    from .migrations import (
        MIGRATIONS,
        m001_fills,
        m002_credentials,
        m003_sync_state,
        m004_fill_query_indexes,
        m005_analytics_cache,
        m006_fills_key_with_label,
        m007_discovery_state,
        m008_sync_runs,
        migration,
    )
    from .sync_runs import (
        HEARTBEAT_SECONDS,
        INTERRUPTED_ERROR,
        KEEP_RUNS,
        STALE_AFTER_SECONDS,
        SYNC_RUNS_SQL,
        Outcome,
        RunRecorder,
        StoredRange,
        SyncRun,
        latest_runs,
        pid_alive,
        stored_ranges,
    )
    from .sync_state import SyncState, SyncStateQueries
    from .transactions import Transactions
