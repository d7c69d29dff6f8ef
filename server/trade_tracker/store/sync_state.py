"""The ``sync_state`` table: the fills-sync cursor and counts of each (label, venue, scope).

The cursor is the venue's own, stored as JSON text (migration m010) and handed back parsed: the store
does not read it; each venue's walk keeps typed access through its own model (Exchange's
``ExchangeCursor``).

``SyncStateQueries`` (a part of :class:`~trade_tracker.store.connection.TradeStore`) holds ``commit_page``,
the store's promise to the sync: a page of fills and its cursor commit in one transaction, so a kill at
any instant leaves both or neither.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..formats import utc_now
from .fills import FillRow, PageCounts, upsert_rows
from .transactions import Transactions

__all__ = ["SyncState", "SyncStateQueries"]


class SyncState(BaseModel):
    """One row of ``sync_state``: the fills-sync cursor and counts of one (label, venue, scope).

    ``scope`` is what one walk covers (Exchange: a product; Advanced Trade: ``*``, the account).
    ``cursor`` is the venue's cursor as parsed JSON (None before its walk set one); its invariants are
    the venue walk's, each change committed with the fills it covers.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    venue: str
    scope: str
    cursor: dict[str, Any] | None = None
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

    @property
    def history_walk_open(self) -> bool:
        """The cursor records a history (backward) walk still under way, for the venue-neutral status
        readers: Exchange's ``backfill_top`` is set. The walks themselves read their own typed cursor."""
        return self.cursor is not None and self.cursor.get("backfill_top") is not None

    @property
    def has_mark(self) -> bool:
        """The cursor holds a mark below which every fill is stored (Exchange's ``newest_synced``,
        Advanced Trade's ``mark``): a first walk of the whole history has finished."""
        if not self.cursor:
            return False
        return self.cursor.get("newest_synced" if self.venue == "exchange" else "mark") is not None


_STATE_COLUMNS: tuple[str, ...] = tuple(SyncState.model_fields)  # fields only, not the properties
_STATE_SELECT = f"SELECT {', '.join(_STATE_COLUMNS)} FROM sync_state"
_STATE_WHERE = " WHERE label = ? AND venue = ? AND scope = ?"
_SAVE_STATE_SQL = (
    f"INSERT INTO sync_state ({', '.join(_STATE_COLUMNS)}) VALUES ({', '.join('?' * len(_STATE_COLUMNS))}) "
    "ON CONFLICT (label, venue, scope) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[3:])
)


class SyncStateQueries(Transactions):
    """The sync-state reads and writes of :class:`TradeStore` (a part of it, not used alone)."""

    def commit_page(
        self,
        label: str,
        scope: str,
        rows: Sequence[FillRow],
        advance: Callable[[SyncState], SyncState | None],
        *,
        venue: str = "exchange",
    ) -> PageCounts:
        """Store one page of fills and move the sync cursors in the same transaction.

        ``advance`` receives the sync state as it stands *inside* the transaction (another
        process may have moved it since the page was requested) and returns the new state,
        or None to leave the cursors alone. The page's counts are added either way. Since
        rows and cursors commit together, a kill at any instant leaves both or neither.
        """
        now = utc_now()
        with self.write(f"storing fills of {scope}") as conn:
            counts = upsert_rows(conn, rows)
            state = _read_state(conn, label, venue, scope)
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
        self,
        label: str,
        scope: str,
        *,
        inserted: int,
        updated: int,
        pages: int,
        complete: bool,
        venue: str = "exchange",
    ) -> SyncState:
        """Note the end of one scope's sync run (its counts, and whether it reached the newest fill)."""
        now = utc_now()
        with self.write(f"recording the sync of {scope}") as conn:
            state = _read_state(conn, label, venue, scope)
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

    def get_sync_state(self, label: str, scope: str, *, venue: str = "exchange") -> SyncState | None:
        """The sync state of one (label, venue, scope), or None if it was never synced."""
        with self.reading("reading the sync state") as conn:
            row = conn.execute(_STATE_SELECT + _STATE_WHERE, (label, venue, scope)).fetchone()
        return _state_from_row(row) if row else None

    def sync_states(self, label: str | None = None) -> list[SyncState]:
        """Every sync state (of one label, if given), by label, venue and scope."""
        sql, params = _STATE_SELECT, ()
        if label is not None:
            sql, params = sql + " WHERE label = ?", (label,)
        with self.reading("reading the sync state") as conn:
            rows = conn.execute(sql + " ORDER BY label, venue, scope", params).fetchall()
        return [_state_from_row(row) for row in rows]


def _state_from_row(row: Sequence[Any]) -> SyncState:
    values = dict(zip(_STATE_COLUMNS, row, strict=True))
    if values["cursor"] is not None:
        values["cursor"] = json.loads(values["cursor"])
    return SyncState.model_validate(values)


def _read_state(conn: sqlite3.Connection, label: str, venue: str, scope: str) -> SyncState:
    row = conn.execute(_STATE_SELECT + _STATE_WHERE, (label, venue, scope)).fetchone()
    return _state_from_row(row) if row else SyncState(label=label, venue=venue, scope=scope)


def _save_state(conn: sqlite3.Connection, state: SyncState) -> None:
    values = [getattr(state, c) for c in _STATE_COLUMNS]
    at = _STATE_COLUMNS.index("cursor")
    if values[at] is not None:
        values[at] = json.dumps(values[at], separators=(",", ":"))
    conn.execute(_SAVE_STATE_SQL, values)
