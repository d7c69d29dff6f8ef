"""Product discovery's state in the trade store: per label, the products found and the watermark.

Store-side SQL for ``discovery.py``, kept out of ``store.py``. Two tables (migration
``m007_discovery_state`` creates them from :data:`DISCOVERY_SCHEMA`):

- ``discovered_products`` (label, product_id, first_seen_at): every product discovery ever
  found for a label. A product found once is followed by every later default sync, even if
  its first sync failed and nothing of it is stored yet. Rows are only ever added.
- ``discovery_state`` (label): ``watermark``, the newest order ``created_at`` a *complete*
  discovery walk has seen (the next walk asks only for newer orders), and the last run's
  figures. Products are saved page by page; the watermark only once a walk reached its end,
  so a walk cut short is simply redone from the old watermark.

Every function runs in the store's own transactions, so sqlite3 errors become ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from ..formats import utc_now

if TYPE_CHECKING:
    from .connection import TradeStore

__all__ = [
    "DISCOVERY_SCHEMA",
    "DiscoveryState",
    "add_discovered",
    "discovered_products",
    "discovery_state",
    "save_discovery_run",
]

DISCOVERY_SCHEMA: tuple[str, ...] = (
    "CREATE TABLE discovered_products (label TEXT NOT NULL, product_id TEXT NOT NULL, "
    "first_seen_at TEXT NOT NULL, PRIMARY KEY (label, product_id)) WITHOUT ROWID",
    "CREATE TABLE discovery_state (label TEXT PRIMARY KEY, method TEXT NOT NULL, watermark TEXT, "
    "last_run_at TEXT NOT NULL, last_run_requests INTEGER NOT NULL, last_run_orders INTEGER NOT NULL)",
)


class DiscoveryState(NamedTuple):
    """One label's ``discovery_state`` row."""

    method: str
    watermark: str | None
    last_run_at: str
    last_run_requests: int
    last_run_orders: int


def discovered_products(store: TradeStore, label: str) -> list[str]:
    """Every product discovery found for ``label``, sorted."""
    with store.reading("reading the discovered products") as conn:
        rows = conn.execute(
            "SELECT product_id FROM discovered_products WHERE label = ? ORDER BY product_id", (label,)
        ).fetchall()
    return [row[0] for row in rows]


def add_discovered(store: TradeStore, label: str, product_ids: Iterable[str]) -> list[str]:
    """Record products found for ``label``; return those not recorded before, sorted."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return []
    now = utc_now()
    added: list[str] = []
    with store.write("recording discovered products") as conn:
        for product_id in wanted:
            cursor = conn.execute(
                "INSERT INTO discovered_products (label, product_id, first_seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (label, product_id) DO NOTHING",
                (label, product_id, now),
            )
            if cursor.rowcount:
                added.append(product_id)
    return added


def discovery_state(store: TradeStore, label: str) -> DiscoveryState | None:
    """The label's discovery state, or None before its first complete discovery."""
    with store.reading("reading the discovery state") as conn:
        row = conn.execute(
            "SELECT method, watermark, last_run_at, last_run_requests, last_run_orders "
            "FROM discovery_state WHERE label = ?",
            (label,),
        ).fetchone()
    return DiscoveryState(*row) if row else None


def save_discovery_run(
    store: TradeStore, label: str, *, method: str, watermark: str | None, requests: int, orders: int
) -> None:
    """Record a complete walk: the watermark never moves back (another process may have gone further)."""
    with store.write("recording the discovery") as conn:
        conn.execute(
            "INSERT INTO discovery_state (label, method, watermark, last_run_at, last_run_requests, "
            "last_run_orders) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (label) DO UPDATE SET "
            "method = excluded.method, last_run_at = excluded.last_run_at, "
            "last_run_requests = excluded.last_run_requests, last_run_orders = excluded.last_run_orders, "
            "watermark = CASE WHEN discovery_state.watermark IS NULL THEN excluded.watermark "
            "WHEN excluded.watermark IS NULL THEN discovery_state.watermark "
            "ELSE max(discovery_state.watermark, excluded.watermark) END",
            (label, method, watermark, utc_now(), requests, orders),
        )
