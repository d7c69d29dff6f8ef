"""Plain-text tables for the CLI on a terminal (``--format table``): the same data as the JSON, for people.

The CLI's verbs hand over the JSON-able shape they would print (``tool_models`` dumps); this module
lays it out, with no dependency beyond the standard library:

* a columnar answer (``columns`` + ``rows``) or a list of objects becomes one table;
* an object's lists of objects (``products``, ``currencies``, ``periods``, ``accounts``, ...) become
  one titled table each, and its scalar fields ``key: value`` lines above them;
* money stays the exact decimal text, right-aligned; ``null`` is blank, booleans are yes/no, and a
  small mapping such as ``fees`` reads ``1.25 USD``.

``columns`` (per table title) chooses and orders the columns a table shows, so a wide record (a
summary entry has 25 fields) stays readable; the JSON keeps every field. Only presentation lives
here: nothing is rounded, summed or dropped from the data itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["SUMMARY_COLUMNS", "render_table"]

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

#: The columns a summary shows per table; the JSON (``--format json``) has all of them.
SUMMARY_COLUMNS: dict[str, list[str]] = {
    "products": [
        "product_id",
        "venue",
        "period",
        "buy_count",
        "sell_count",
        "base_volume",
        "quote_volume",
        "fee_total",
        "position",
        "realized_pnl",
        "net_realized_pnl",
        "unmatched_sell_size",
        "unrealized_pnl_at_ticker",
    ],
    "periods": [
        "period",
        "currency",
        "fill_count",
        "quote_volume",
        "fees",
        "realized_pnl",
        "net_realized_pnl",
        "cumulative_realized_pnl",
    ],
    "currencies": [
        "currency",
        "position",
        "base_volume",
        "quote_volume",
        "fees",
        "realized_pnl",
        "net_realized_pnl",
        "cost_basis",
        "unrealized_pnl_at_ticker",
    ],
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):  # amounts by currency read "1.25 USD"; anything else "key=value"
        if all(_is_number(v) for v in value.values()):
            return ", ".join(f"{v} {k}" for k, v in value.items())
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return " ".join(str(value).split())  # one line per row, whatever the text holds


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(_NUMBER.match(value))
    )


def _grid(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Aligned lines: a header, a rule, then one line per row (numbers right-aligned, text left)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(row[i] is None or _is_number(row[i]) for row in rows) for i in range(len(columns))]

    def line(parts: Sequence[str]) -> str:
        laid = [p.rjust(w) if num else p.ljust(w) for p, w, num in zip(parts, widths, numeric, strict=True)]
        return "  ".join(laid).rstrip()

    return [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _records(title: str, items: Sequence[Mapping[str, Any]], columns: Mapping[str, Sequence[str]]) -> list[str]:
    present = list(dict.fromkeys(k for item in items for k in item))
    wanted = [c for c in columns.get(title, present) if c in present]
    # A column that is blank in every row says nothing on a terminal (e.g. unrealized without tickers).
    shown = [c for c in wanted if any(item.get(c) not in (None, "", {}) for item in items)] or wanted
    return _grid(shown, [[item.get(c) for c in shown] for item in items])


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _object(data: Mapping[str, Any], columns: Mapping[str, Sequence[str]], hide: Sequence[str]) -> list[str]:
    head: list[str] = []
    sections: list[list[str]] = []
    if isinstance(data.get("columns"), list) and isinstance(data.get("rows"), list):
        shown = [i for i, c in enumerate(data["columns"]) if c not in hide]
        sections.append(
            _grid([data["columns"][i] for i in shown], [[r[i] for i in shown] for r in data["rows"]])
            if data["rows"]
            else ["(no rows)"]
        )
    for key, value in data.items():
        if key in ("columns", "rows") or key in hide:
            continue
        if _is_records(value):
            sections.append([f"{key}:", *_records(key, value, columns)])
        elif isinstance(value, list) and not value:
            sections.append([f"{key}: none"])
        elif isinstance(value, Mapping) and not any(isinstance(v, Mapping | list) for v in value.values()):
            parts = [f"{k}={_cell(v)}" for k, v in value.items() if v is not None]
            head.append(f"{key}: {', '.join(parts) if parts else '-'}")
        elif isinstance(value, Mapping | list):
            head.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        elif value is not None:
            head.append(f"{key}: {_cell(value)}")
    lines = list(head)
    for section in sections:
        if lines:
            lines.append("")
        lines.extend(section)
    return lines


def render_table(data: Any, *, columns: Mapping[str, Sequence[str]] | None = None, hide: Sequence[str] = ()) -> str:
    """``data`` (JSON-able: dicts, lists, strings, numbers) as plain-text tables, without a final newline.

    ``columns`` maps a table's title (the key it came from; ``""`` for a top-level list) to the columns
    to show, in order; ``hide`` names columns left out of a columnar table and scalar fields left out
    of the header lines.
    """
    columns = columns or {}
    if _is_records(data):
        return "\n".join(_records("", data, columns))
    if isinstance(data, list):
        return "(none)" if not data else "\n".join(_cell(v) for v in data)
    if isinstance(data, Mapping):
        return "\n".join(_object(data, columns, hide))
    return _cell(data)
