"""The ``sync_state`` table: the fills-sync cursors and counts of each (label, product).

``SyncStateQueries`` (a part of :class:`~trade_tracker.store.connection.TradeStore`) holds ``commit_page``,
the store's promise to the sync: a page of fills and its cursor commit in one transaction, so a kill at
any instant leaves both or neither.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..formats import utc_now
from .fills import FillRow, PageCounts, upsert_rows
from .transactions import Transactions

__all__ = ["SyncState", "SyncStateQueries"]


class SyncState(BaseModel):
    """One row of ``sync_state``: the fills-sync cursors and counts of one (label, product).

    Invariants (kept by ``sync.py``, each change committed with the fills it covers):
    every fill with ``trade_id <= newest_synced`` is stored; while a backward walk runs,
    every fill in ``[backfill_cursor, backfill_top]`` is stored.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    product_id: str
    newest_synced: int | None = None
    oldest_reached: int | None = None
    backfill_top: int | None = None
    backfill_cursor: int | None = None
    full_history_complete: bool = False
    inserted_total: int = 0
    updated_total: int = 0
    pages_total: int = 0
    last_page_at: str | None = None
    last_run_at: str | None = None
    last_run_inserted: int | None = None
    last_run_updated: int | None = None
    last_run_pages: int | None = None
    last_run_complete: bool | None = None
    last_complete_at: str | None = None


_STATE_COLUMNS: tuple[str, ...] = tuple(SyncState.model_fields)
_STATE_SELECT = f"SELECT {', '.join(_STATE_COLUMNS)} FROM sync_state"
_SAVE_STATE_SQL = (
    f"INSERT INTO sync_state ({', '.join(_STATE_COLUMNS)}) VALUES ({', '.join('?' * len(_STATE_COLUMNS))}) "
    "ON CONFLICT (label, product_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[2:])
)


class SyncStateQueries(Transactions):
    """The sync-state reads and writes of :class:`TradeStore` (a part of it, not used alone)."""

    def commit_page(
        self,
        label: str,
        product_id: str,
        rows: Sequence[FillRow],
        advance: Callable[[SyncState], SyncState | None],
    ) -> PageCounts:
        """Store one page of fills and move the sync cursors in the same transaction.

        ``advance`` receives the sync state as it stands *inside* the transaction (another
        process may have moved it since the page was requested) and returns the new state,
        or None to leave the cursors alone. The page's counts are added either way. Since
        rows and cursors commit together, a kill at any instant leaves both or neither.
        """
        now = utc_now()
        with self.write(f"storing fills of {product_id}") as conn:
            counts = upsert_rows(conn, rows)
            state = _read_state(conn, label, product_id)
            moved = advance(state) or state
            _save_state(
                conn,
                moved.model_copy(
                    update={
                        "inserted_total": state.inserted_total + counts.inserted,
                        "updated_total": state.updated_total + counts.updated,
                        "pages_total": state.pages_total + 1,
                        "last_page_at": now,
                    }
                ),
            )
        return counts

    def record_run(
        self, label: str, product_id: str, *, inserted: int, updated: int, pages: int, complete: bool
    ) -> SyncState:
        """Note the end of one product's sync run (its counts, and whether it reached the newest fill)."""
        now = utc_now()
        with self.write(f"recording the sync of {product_id}") as conn:
            state = _read_state(conn, label, product_id)
            update: dict[str, object] = {
                "last_run_at": now,
                "last_run_inserted": inserted,
                "last_run_updated": updated,
                "last_run_pages": pages,
                "last_run_complete": complete,
            }
            if complete:
                update["last_complete_at"] = now
            state = state.model_copy(update=update)
            _save_state(conn, state)
        return state

    def get_sync_state(self, label: str, product_id: str) -> SyncState | None:
        """The sync state of one (label, product), or None if it was never synced."""
        with self.reading("reading the sync state") as conn:
            row = conn.execute(_STATE_SELECT + " WHERE label = ? AND product_id = ?", (label, product_id)).fetchone()
        return _state_from_row(row) if row else None

    def sync_states(self, label: str | None = None) -> list[SyncState]:
        """Every sync state (of one label, if given), by label and product."""
        sql, params = _STATE_SELECT, ()
        if label is not None:
            sql, params = sql + " WHERE label = ?", (label,)
        with self.reading("reading the sync state") as conn:
            rows = conn.execute(sql + " ORDER BY label, product_id", params).fetchall()
        return [_state_from_row(row) for row in rows]


def _state_from_row(row: Sequence[Any]) -> SyncState:
    return SyncState.model_validate(dict(zip(_STATE_COLUMNS, row, strict=True)))


def _read_state(conn: sqlite3.Connection, label: str, product_id: str) -> SyncState:
    row = conn.execute(_STATE_SELECT + " WHERE label = ? AND product_id = ?", (label, product_id)).fetchone()
    return _state_from_row(row) if row else SyncState(label=label, product_id=product_id)


def _save_state(conn: sqlite3.Connection, state: SyncState) -> None:
    conn.execute(_SAVE_STATE_SQL, tuple(getattr(state, c) for c in _STATE_COLUMNS))
