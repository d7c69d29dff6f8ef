"""The SQL of migration ``m012_analytics_fill_key``: the analytics cache keyed by ``fill_key``, and the
triggers on ``fills`` that see Advanced Trade's adjustments.

The cache (``analytics/cache.py``) is disposable, so the migration empties it and marks every book
dirty from its first fill: the next read rebuilds it from ``fills``. Kept apart from ``migrations.py``
(which runs these statements, in order) as m007/m008 keep theirs beside their queries.

* ``analytics_sell`` is keyed (label, product_id, created_at, fill_key): a reversal or correction
  shares its fill's trade_id, and trade_ids may repeat across venues; ``fill_key`` never does.
* ``analytics_fill_changed`` also watches the columns m009 added (``settled`` alone still does not count).
* Deleting or changing a reversal or correction marks its book from the earliest row of the trade it
  adjusts: its effect sits at that fill. (An inserted one is found by ``book_fills.replay_start``.)
* ``fills_adjustments`` holds only reversals and corrections (few), so a book's adjustments are found
  without a scan; ``analytics/book_fills.py`` queries with exactly its ``WHERE``.
"""

from __future__ import annotations

__all__ = ["ANALYTICS_FILL_KEY_SQL"]

#: The fill columns whose change moves a book's figures: m005's, then m009's.
_SEEN = "label product_id trade_id created_at side price size fee trade_type size_in_quote fill_key venue".split()
_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _SEEN)
#: Where an old row's change shows in its book (``min`` of SQLite returns NULL if any argument is NULL,
#: hence the coalesce: the adjusted fill may not be stored).
_OLD_FROM = (
    "CASE WHEN OLD.trade_type IN ('CORRECTION', 'REVERSAL') THEN min(OLD.created_at, coalesce((SELECT "
    "min(created_at) FROM fills WHERE label = OLD.label AND product_id = OLD.product_id AND trade_id = OLD.trade_id), "
    "OLD.created_at)) ELSE OLD.created_at END"
)


def _mark(row: str, from_at: str) -> str:
    return (
        f"INSERT INTO analytics_dirty (label, product_id, from_at) VALUES ({row}.label, {row}.product_id, {from_at}) "
        "ON CONFLICT (label, product_id) DO UPDATE SET from_at = min(from_at, excluded.from_at);"
    )


#: m012's statements, in order.
ANALYTICS_FILL_KEY_SQL: tuple[str, ...] = (
    "DROP TABLE analytics_sell",
    "CREATE TABLE analytics_sell (label TEXT NOT NULL, product_id TEXT NOT NULL, created_at TEXT NOT NULL, "
    "fill_key TEXT NOT NULL, unmatched TEXT NOT NULL, fifo_realized TEXT NOT NULL, fifo_cost TEXT NOT NULL, "
    "avg_realized TEXT NOT NULL, avg_cost TEXT NOT NULL, "
    "PRIMARY KEY (label, product_id, created_at, fill_key)) WITHOUT ROWID",
    "DELETE FROM analytics_day",
    "DELETE FROM analytics_book",
    "DELETE FROM analytics_dirty",
    "CREATE INDEX fills_adjustments ON fills (label, product_id, trade_id) "
    "WHERE trade_type IN ('CORRECTION', 'REVERSAL')",
    "DROP TRIGGER analytics_fill_deleted",
    "DROP TRIGGER analytics_fill_changed",
    f"CREATE TRIGGER analytics_fill_deleted AFTER DELETE ON fills BEGIN {_mark('OLD', _OLD_FROM)} END",
    f"CREATE TRIGGER analytics_fill_changed AFTER UPDATE ON fills WHEN {_CHANGED} "
    f"BEGIN {_mark('OLD', _OLD_FROM)} {_mark('NEW', 'NEW.created_at')} END",
    "INSERT INTO analytics_dirty (label, product_id, from_at) "
    "SELECT label, product_id, min(created_at) FROM fills GROUP BY label, product_id",
)
