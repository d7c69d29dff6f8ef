"""What the store holds under one credential label: its fills (and their profile ids), sync state and
discovery state. The guard that keeps one label to one account (``credentials/label_history.py``) reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .connection import TradeStore

__all__ = ["LabelHistory", "label_history", "label_profile"]


class LabelHistory(NamedTuple):
    """What the store holds under one label."""

    fills: int
    profiles: frozenset[str]
    synced_products: int
    discovery: bool

    @property
    def empty(self) -> bool:
        return not (self.fills or self.synced_products or self.discovery)

    def describe(self) -> str:
        parts = [f"{self.fills} stored fill{'s' if self.fills != 1 else ''}"]
        if self.synced_products:
            parts.append(f"sync state for {self.synced_products} product{'s' if self.synced_products != 1 else ''}")
        if self.discovery:
            parts.append("product discovery state")
        return ", ".join(parts)


def label_history(store: TradeStore, label: str) -> LabelHistory:
    """Count ``label``'s fills (and their profile ids), sync-state rows and discovery state."""
    with store.reading("reading what a label holds") as conn:
        fills = conn.execute("SELECT COUNT(*) FROM fills WHERE label = ?", (label,)).fetchone()[0]
        profiles = frozenset(
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT profile_id FROM fills WHERE label = ? AND profile_id IS NOT NULL", (label,)
            )
        )
        synced = conn.execute("SELECT COUNT(*) FROM sync_state WHERE label = ?", (label,)).fetchone()[0]
        discovery = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM discovery_state WHERE label = ? "
            "UNION ALL SELECT 1 FROM discovered_products WHERE label = ?)",
            (label, label),
        ).fetchone()[0]
    return LabelHistory(int(fills), profiles, int(synced), bool(discovery))


def label_profile(store: TradeStore, label: str) -> str | None:
    """The profile id of one of ``label``'s stored fills (a label holds one account's), or None."""
    with store.reading("reading a label's profile") as conn:
        row = conn.execute(
            "SELECT profile_id FROM fills WHERE label = ? AND profile_id IS NOT NULL LIMIT 1", (label,)
        ).fetchone()
    return None if row is None else str(row[0])
