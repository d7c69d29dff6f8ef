"""How ``trade-tracker demo`` prints what the MCP server answered: a few readable lines per tool, and
the sync's progress notifications (the first and last of each product, one per second between).

Only the demo uses it; it reads the tools' structured answers as plain dicts, so it imports nothing of
the core.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["ProgressPrinter", "describe"]

Printer = Callable[[str], None]


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "      ") -> list[str]:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    fmt = indent + "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*columns).rstrip()] + [fmt.format(*r).rstrip() for r in cells]


def _pick(data: dict[str, Any], wanted: Sequence[str]) -> tuple[list[str], list[list[Any]]]:
    """Some columns of a columnar answer ``{"columns": [...], "rows": [[...]]}``."""
    columns = list(data.get("columns") or [])
    keep = [c for c in wanted if c in columns]
    index = [columns.index(c) for c in keep]
    return keep, [[row[i] for i in index] for row in data.get("rows") or []]


def describe(tool: str, data: dict[str, Any]) -> list[str]:
    """A few readable lines for one tool's structured answer (falls back to compact JSON)."""
    try:
        if tool == "list_products":
            cols, rows = _pick(data, ["id", "status", "base_increment", "quote_increment"])
            return [f"      {data.get('count', len(rows))} products"] + _table(cols, rows)
        if tool == "get_ticker":
            return [
                f"      {data['product_id']} last {data['price']} (bid {data.get('bid')}, ask {data.get('ask')}),"
                f" 24h volume {data.get('volume')}, at {data.get('time')}"
            ]
        if tool == "list_credentials":
            wanted = ["label", "venue", "fingerprint", "verify_status", "can_view", "can_trade", "can_transfer"]
            creds = [c for c in data["credentials"] if isinstance(c, dict)]
            return _table(wanted, [[c.get(k) for k in wanted] for c in creds])
        if tool == "query_trades":
            wanted = ["venue", "label", "trade_id", "product_id", "side", "price", "size", "fee", "created_at"]
            cols, rows = _pick(data, wanted)
            more = " (more with next_cursor)" if data.get("next_cursor") else ""
            of = f" of {data['product_id']}" if data.get("product_id") else ""
            return [f"      {data.get('count', len(rows))} newest stored fills{of}{more}"] + _table(cols, rows)
        if tool == "sync_fills" and isinstance(data.get("products"), list):
            cols = ["product_id", "inserted", "updated", "pages", "complete", "error"]
            cols = [c for c in cols if c != "error" or any(p.get("error") for p in data["products"])]
            lines = [f"      label {data.get('label')}"] + _table(
                cols, [[p.get(c) for c in cols] for p in data["products"]]
            )
            stopped = " (cancelled: the rest on the next sync)" if data.get("cancelled") else ""
            return lines + [
                f"      label {data.get('label')}: {data.get('inserted')} fills inserted, "
                f"{data.get('updated')} updated, {data.get('pages')} pages, {data.get('requests')} requests in "
                f"{data.get('seconds')} s{stopped}"
            ]
        if tool == "trade_summary" and isinstance(data.get("products"), list):
            return _summary_lines(data)
    except (KeyError, TypeError, ValueError, IndexError):
        pass
    return _scalar_lines(data)


def _scalar_lines(data: dict[str, Any]) -> list[str]:
    """Top-level scalars as ``key: value``; nested values as compact JSON, cut short."""
    lines = []
    for key, value in data.items():
        text = (
            value
            if isinstance(value, str | int | float | bool) or value is None
            else json.dumps(value, separators=(",", ":"))
        )
        text = str(text)
        lines.append(f"      {key}: {text if len(text) <= 100 else text[:97] + '...'}")
    return lines


_SUMMARY_COLUMNS = (
    "product_id",
    "venue",
    "buy_count",
    "sell_count",
    "quote_volume",
    "fee_total",
    "position",
    "realized_pnl",
    "net_realized_pnl",
)


def _summary_lines(data: dict[str, Any]) -> list[str]:
    products = [p for p in data["products"] if isinstance(p, dict)]
    columns = [c for c in _SUMMARY_COLUMNS if any(c in p for p in products)]
    lines = (
        _table(columns, [[p.get(c) for c in columns] for p in products])
        if products
        else ["      no fills in this window"]
    )
    method = f", cost basis {data['method']}" if data.get("method") else ""
    label = (data.get("filters") or {}).get("label")
    method += f", label {label}" if label else ", every label"
    lines.append(
        f"      {data.get('fill_count', '?')} fills summarised{method}; money in the quote currency, "
        "exact decimal strings"
    )
    return lines


class ProgressPrinter:
    """Prints sync progress notifications: the first and last of each product, and one per second between."""

    def __init__(self, say: Printer) -> None:
        self.say = say
        self.count = 0
        self._product: str | None = None
        self._pending: str | None = None
        self._last_time = 0.0

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.count += 1
        text = message or f"{progress:g}" + (f"/{total:g}" if total else "")
        product = text.split(":", 1)[0]
        now = time.monotonic()
        if product != self._product or now - self._last_time >= 1.0:
            if product != self._product:
                self.flush()
            self._product, self._last_time, self._pending = product, now, None
            self.say(f"      ... {text}")
        else:
            self._pending = text

    def flush(self) -> None:
        """Print the newest notification not yet shown (the last page of a product)."""
        if self._pending is not None:
            self.say(f"      ... {self._pending}")
            self._pending = None
