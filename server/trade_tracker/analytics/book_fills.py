"""The one place stored fills become book inputs: a book's fills read from ``fills``, adjusted, in book order.

Both the cache (``cache``, replaying a book) and the summary (``summary``, the raw fills of a day cut
by the window) read a book's fills through :func:`book_fills`, so Advanced Trade's adjustments
(``adjustments``: reversals, corrections, quote-sized fills) apply the same way everywhere.

The store's Advanced Trade columns (SPEC-15 ``m009_fills_venue``) are read when the ``fills`` table
has them (:data:`ADVANCED_COLUMNS`, the one list to extend); a store without them reads as NULLs, so
every fill is an Exchange fill and passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from sqlite3 import Connection

from .adjustments import ADJUSTMENT_TYPES, Adjustments, BookFill, apply_adjustments

__all__ = [
    "ADVANCED_COLUMNS",
    "BOOK_COLUMNS",
    "advanced_columns",
    "book_adjustments",
    "book_fills",
    "orphaned_adjustments",
    "replay_start",
]

#: The columns every fill has, in :class:`~.adjustments.BookFill` order.
BOOK_COLUMNS = ("created_at", "trade_id", "side", "price", "size", "fee")
#: The Advanced Trade columns analytics reads when the store has them, in BookFill order (after ``quote``).
ADVANCED_COLUMNS = ("trade_type", "size_in_quote", "sequence_timestamp", "fill_key")

_ADJUSTMENT_IN = "(" + ", ".join(f"'{kind}'" for kind in sorted(ADJUSTMENT_TYPES)) + ")"


def advanced_columns(conn: Connection) -> frozenset[str]:
    """Which of :data:`ADVANCED_COLUMNS` the store's ``fills`` table has."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(fills)")}
    return frozenset(c for c in ADVANCED_COLUMNS if c in present)


def _select(present: frozenset[str]) -> str:
    advanced = (c if c in present else f"NULL AS {c}" for c in ADVANCED_COLUMNS)
    return ", ".join((*BOOK_COLUMNS, "NULL AS quote", *advanced))


def book_adjustments(conn: Connection, label: str, product_id: str, present: frozenset[str]) -> Adjustments:
    """Every reversal and correction of one book, from all its history (there are few)."""
    if "trade_type" not in present:
        return Adjustments()
    rows = conn.execute(
        f"SELECT {_select(present)} FROM fills WHERE product_id = ? AND label = ? "
        f"AND side IN ('buy', 'sell') AND trade_type IN {_ADJUSTMENT_IN}",
        (product_id, label),
    )
    return Adjustments(BookFill(*row) for row in rows)


def book_fills(
    conn: Connection, label: str, product_id: str, *, start: str = "", inclusive: bool = True, end: str | None = None
) -> Iterator[BookFill]:
    """One book's effective fills with ``start`` <(=) created_at < ``end``, in (created_at, trade_id) order,
    streamed (reversed fills left out, corrections applied, quote-sized fills converted)."""
    present = advanced_columns(conn)
    where = ["product_id = ?", "label = ?", "side IN ('buy', 'sell')", f"created_at {'>=' if inclusive else '>'} ?"]
    params: list[str] = [product_id, label, start]
    if end is not None:
        where.append("created_at < ?")
        params.append(end)
    order = "created_at, trade_id" + (", fill_key" if "fill_key" in present else "")
    rows = conn.execute(f"SELECT {_select(present)} FROM fills WHERE {' AND '.join(where)} ORDER BY {order}", params)
    adjustments = book_adjustments(conn, label, product_id, present)
    return apply_adjustments((BookFill(*row) for row in rows), adjustments)


def replay_start(conn: Connection, label: str, product_id: str, from_at: str) -> str:
    """Where a dirty book must replay from: ``from_at``, or earlier when a reversal or correction at or
    after it adjusts a fill before it (the dirty mark sits at the adjustment, the effect at its fill)."""
    if "trade_type" not in advanced_columns(conn):
        return from_at
    (earliest,) = conn.execute(
        "SELECT min(created_at) FROM fills WHERE product_id = ? AND label = ? AND side IN ('buy', 'sell') "
        "AND trade_id IN (SELECT trade_id FROM fills WHERE product_id = ? AND label = ? "
        f"AND trade_type IN {_ADJUSTMENT_IN} AND created_at >= ?)",
        (product_id, label, product_id, label, from_at),
    ).fetchone()
    return earliest if earliest is not None and earliest < from_at else from_at


def orphaned_adjustments(conn: Connection, label: str | None = None) -> int:
    """How many stored reversals and corrections (of one label, or all) adjust a FILL that is not stored
    (yet): they change nothing until it is (``adjustments``), and a caller can say so."""
    if "trade_type" not in advanced_columns(conn):
        return 0
    (count,) = conn.execute(
        f"SELECT count(*) FROM fills a WHERE a.trade_type IN {_ADJUSTMENT_IN} AND (? IS NULL OR a.label = ?) "
        "AND NOT EXISTS (SELECT 1 FROM fills f WHERE f.label = a.label AND f.product_id = a.product_id "
        "AND f.trade_id = a.trade_id AND f.trade_type = 'FILL')",
        (label, label),
    ).fetchone()
    return int(count)
