"""Rebuild one table in place from a new ``CREATE TABLE``: how a migration changes what SQLite cannot ALTER.

SQLite cannot change a primary key, a column's type or a NOT NULL in place, so a migration builds the
new table beside the old one and swaps it in (SQLite's documented "generalized ALTER TABLE" steps),
inside ``migrate``'s ``BEGIN IMMEDIATE`` transaction: all or nothing, and no other connection writes
meanwhile. Every row is copied with its rowid; every index and trigger on the table is re-created from
its own stored SQL (or a replacement given by name). sqlite-utils' ``transform()`` is not used: it
drops triggers and rewrites defaults. A ``DROP TABLE`` fires no DELETE trigger, so no derived data moves.
"""

# pyright: reportUnknownMemberType=false
# (sqlite-utils' ``Database.execute`` types its parameters as a bare ``Iterable``)

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils  # only for annotations: the store imports it on first use

__all__ = ["rebuild_table"]


def rebuild_table(
    db: sqlite_utils.Database,
    table: str,
    new_sql: str,
    new_name: str,
    *,
    computed: Mapping[str, str] | None = None,
    replacements: Mapping[str, str] | None = None,
) -> None:
    """Replace ``table`` by the table ``new_sql`` creates (named ``new_name``), keeping every row and rowid.

    Every current column is copied by name; ``computed`` gives new columns an SQL expression over the old
    row (e.g. ``{"fill_key": "product_id || ':' || trade_id"}``). The saved indexes are re-created first,
    then the triggers, each in name order, from their stored SQL unless ``replacements`` names it.
    """
    computed = computed or {}
    replacements = replacements or {}
    columns = ", ".join(f'"{row[1]}"' for row in db.execute(f'PRAGMA table_info("{table}")'))
    saved: list[tuple[str, str, str]] = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name",
        [table],
    ).fetchall()
    db.execute(new_sql)
    into = "".join(f', "{name}"' for name in computed)
    values = "".join(f", {expression}" for expression in computed.values())
    db.execute(f'INSERT INTO "{new_name}" (rowid, {columns}{into}) SELECT rowid, {columns}{values} FROM "{table}"')
    db.execute(f'DROP TABLE "{table}"')  # drops its indexes and triggers too; a DROP fires no DELETE trigger
    db.execute(f'ALTER TABLE "{new_name}" RENAME TO "{table}"')
    for _kind, name, sql in saved:  # indexes first, then triggers
        db.execute(replacements.get(name, sql))
