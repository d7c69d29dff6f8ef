"""The one place stored fills become book inputs: a book's fills read from ``fills``, adjusted, in book order.

Both the cache (``cache``, replaying a book) and the summary (``summary``, the raw fills of a day cut
by the window) read a book's fills through :func:`book_fills`, so Advanced Trade's adjustments
(``adjustments``: reversals, corrections, quote-sized fills) apply the same way everywhere.

Every store that opens is migrated (SPEC-15 ``m009_fills_venue``), so every fill has the Advanced Trade
columns; they are NULL for Exchange fills, which pass through unchanged. The adjustment queries filter
with exactly the ``WHERE`` of the partial index ``fills_adjustments`` (m012), which holds only
reversals and corrections: finding a book's adjustments never scans its fills.
"""

from __future__ import annotations

from collections.abc import Iterator
from sqlite3 import Connection

from .adjustments import ADJUSTMENT_TYPES, Adjustments, BookFill, apply_adjustments

__all__ = [
    "BOOK_COLUMNS",
    "book_adjustments",
    "book_fills",
    "orphaned_adjustments",
    "replay_start",
]

#: The columns a book reads, in :class:`~.adjustments.BookFill` order (``quote`` is computed, never stored).
BOOK_COLUMNS = (
    *("created_at", "trade_id", "side", "price", "size", "fee", "NULL AS quote"),
    *("trade_type", "size_in_quote", "sequence_timestamp", "fill_key"),
)
_SELECT = ", ".join(BOOK_COLUMNS)
_IN_CHUNK = 500  # bound parameters per query, well under SQLite's limit
#: ``trade_type IN ('CORRECTION', 'REVERSAL')``: the partial index ``fills_adjustments``' WHERE, exactly.
_ADJUSTMENT_IN = "(" + ", ".join(f"'{kind}'" for kind in sorted(ADJUSTMENT_TYPES)) + ")"


def book_adjustments(conn: Connection, label: str, product_id: str) -> Adjustments:
    """Every reversal and correction of one book, from all its history (there are few)."""
    rows = conn.execute(
        f"SELECT {_SELECT} FROM fills WHERE label = ? AND product_id = ? AND trade_type IN {_ADJUSTMENT_IN} "
        "AND side IN ('buy', 'sell')",
        (label, product_id),
    )
    return Adjustments(BookFill(*row) for row in rows)


def book_fills(
    conn: Connection, label: str, product_id: str, *, start: str = "", inclusive: bool = True, end: str | None = None
) -> Iterator[BookFill]:
    """One book's effective fills with ``start`` <(=) created_at < ``end``, in (created_at, trade_id) order,
    streamed (reversed fills left out, corrections applied, quote-sized fills converted)."""
    where = ["product_id = ?", "label = ?", "side IN ('buy', 'sell')", f"created_at {'>=' if inclusive else '>'} ?"]
    params: list[str] = [product_id, label, start]
    if end is not None:
        where.append("created_at < ?")
        params.append(end)
    rows = conn.execute(
        f"SELECT {_SELECT} FROM fills WHERE {' AND '.join(where)} ORDER BY created_at, trade_id, fill_key", params
    )
    adjustments = book_adjustments(conn, label, product_id)
    return apply_adjustments((BookFill(*row) for row in rows), adjustments)


def replay_start(conn: Connection, label: str, product_id: str, from_at: str) -> str:
    """Where a dirty book must replay from: ``from_at``, or earlier when a reversal or correction at or
    after it adjusts a fill before it (the dirty mark sits at the adjustment, the effect at its fill)."""
    adjusted = conn.execute(  # all the book's adjustments (few: the partial index holds only them)
        f"SELECT trade_id, created_at FROM fills WHERE label = ? AND product_id = ? AND trade_type IN {_ADJUSTMENT_IN}",
        (label, product_id),
    )
    targets = sorted({trade_id for trade_id, created_at in adjusted if created_at >= from_at}, key=str)
    earliest = from_at
    for start in range(0, len(targets), _IN_CHUNK):  # none, for an Exchange book: no scan at all
        chunk = targets[start : start + _IN_CHUNK]
        (found,) = conn.execute(
            "SELECT min(created_at) FROM fills WHERE label = ? AND product_id = ? AND side IN ('buy', 'sell') "
            f"AND trade_id IN ({', '.join('?' * len(chunk))})",
            (label, product_id, *chunk),
        ).fetchone()
        if found is not None and found < earliest:
            earliest = found
    return earliest


def orphaned_adjustments(conn: Connection, label: str | None = None) -> int:
    """How many stored reversals and corrections (of one label, or all) adjust a FILL that is not stored
    (yet): they change nothing until it is (``adjustments``), and a caller can say so."""
    (count,) = conn.execute(
        f"SELECT count(*) FROM fills a WHERE a.trade_type IN {_ADJUSTMENT_IN} AND (? IS NULL OR a.label = ?) "
        "AND NOT EXISTS (SELECT 1 FROM fills f WHERE f.label = a.label AND f.product_id = a.product_id "
        "AND f.trade_id = a.trade_id AND f.trade_type = 'FILL')",
        (label, label),
    ).fetchone()
    return int(count)
