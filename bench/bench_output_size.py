"""Bench 6, output size: bytes of tool output per fill against Coinbase's own JSON per fill.

Why: every byte a tool returns is read by the editor's model (context and cost). Rows of
fills are the bulk of it, so a fill must cost well under what Coinbase's verbose JSON
costs: at most 40% of the raw ``GET /fills`` bytes per fill.

How: the simulator serves a small history; the real server is spawned over stdio
(``python -m trade_tracker serve``, the env credential pointing at the simulator) and asked:

- ``list_fills`` (``product_id=BTC-USD, limit=100``): the newest 100 fills, live;
- ``sync_fills`` for BTC-USD, then ``query_trades`` (``product_id=BTC-USD, limit=100``):
  the same 100 fills from the store.

The judged figure is what the model reads: the larger of the result's two representations
of the same rows, ``structuredContent`` and the JSON text in ``content`` (the MCP spec asks a
tool with structured output to send its JSON as text too, for clients that read only text;
a client hands the model one of them). The whole ``CallToolResult`` as it goes on the wire
(both halves) is reported beside it, in the note and in the JSON details. The reference is
the byte length of the raw ``GET /fills?product_id=BTC-USD&limit=100`` body for the same
fills, divided by its fills.

    .venv/bin/python bench/bench_output_size.py
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from common import BenchResult, Row, child_env, print_rows, sign_headers, simulator

LIMIT = 0.40
PRODUCT = "BTC-USD"


def _wire_bytes(result: Any) -> dict[str, int]:
    """Compact JSON bytes of the whole result and of its two halves."""
    whole = result.model_dump_json(by_alias=True, exclude_none=True).encode()
    data = json.loads(whole)
    compact = {k: len(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()) for k, v in data.items()}
    return {
        "total": len(whole),
        "content": compact.get("content", 0),
        "structuredContent": compact.get("structuredContent", 0),
    }


async def _calls(url: str, key: str, secret: str, passphrase: str, home: Path) -> dict[str, Any]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    env = {
        "TRADE_TRACKER_HOME": str(home),
        "TRADE_TRACKER_LOG_LEVEL": "WARNING",
        "EX_BASE_URL": url,
        "EX_API_KEY_READ": key,
        "EX_API_SECRET_READ": secret,
        "EX_API_PASSPHRASE_READ": passphrase,
        "PYTHONPATH": child_env()["PYTHONPATH"],
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "trade_tracker", "serve"], env=env, cwd=str(home.parent)
    )
    out: dict[str, Any] = {}
    with open(os.devnull, "w") as errlog:
        async with (
            asyncio.timeout(300),
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for name, arguments in (
                ("list_fills", {"product_id": PRODUCT, "limit": 100}),
                ("sync_fills", {"product_ids": [PRODUCT]}),
                ("query_trades", {"product_id": PRODUCT, "limit": 100}),
            ):
                result = await session.call_tool(name, arguments)
                if result.is_error:
                    raise RuntimeError(f"{name} failed: {result.content}")
                data = result.structured_content or {}
                out[name] = {
                    "bytes": _wire_bytes(result),
                    "count": data.get("count"),
                    "trade_ids": [row[0] for row in data.get("rows", [])],
                    "columns": data.get("columns", []),
                    "rows": data.get("rows", []),
                }
    return out


def _trim(cell: Any) -> Any:
    """A decimal string without trailing fractional zeros ("40310.47000000" -> "40310.47"): same value."""
    if isinstance(cell, str) and "." in cell and cell.replace(".", "", 1).lstrip("-").isdigit():
        return cell.rstrip("0").rstrip(".")
    return cell


def breakdown(columns: list[str], rows: list[list[Any]], raw_per_fill: float) -> dict[str, Any]:
    """Where a structured row's bytes go, per column, and what other encodings would cost (per fill).

    The "profile" of an output-size figure: which cells are heavy, and the ratio to raw of
    alternatives (decimals without trailing zeros; no product_id column when the call filters
    by product; CSV text instead of JSON text).
    """
    n = max(1, len(rows))

    def size(value: Any) -> int:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

    per_column = {c: round(sum(size(r[i]) + 1 for r in rows) / n, 1) for i, c in enumerate(columns)}
    trimmed = [[_trim(c) for c in r] for r in rows]
    keep = [i for i, c in enumerate(columns) if c != "product_id"]
    hoisted = [[r[i] for i in keep] for r in trimmed]
    csv_text = "\n".join(",".join("" if c is None else str(c) for c in r) for r in hoisted)
    alternatives = {
        "rows as now (JSON)": size(rows) / n,
        "decimals trimmed": size(trimmed) / n,
        "decimals trimmed, product_id hoisted": size(hoisted) / n,
        "same as CSV text": len(csv_text.encode()) / n,
    }
    return {
        "bytes_per_row_by_column": per_column,
        "alternatives_ratio_to_raw": {k: round(v / raw_per_fill, 3) for k, v in alternatives.items()},
    }


def main(quick: bool = False) -> BenchResult:
    """Run bench 6 against a 2,000-fill simulator; ``quick`` changes nothing (it takes ~3 s)."""
    started = time.perf_counter()
    with simulator(2_000, rate_limits=False) as sim, tempfile.TemporaryDirectory() as tmp:
        target = f"/fills?product_id={PRODUCT}&limit=100"
        raw = httpx.get(
            sim.url + target,
            timeout=10,
            headers=sign_headers(sim.key, base64.b64decode(sim.secret), sim.passphrase, target),
        )
        raw.raise_for_status()
        raw_fills = raw.json()
        calls = asyncio.run(_calls(sim.url, sim.key, sim.secret, sim.passphrase, Path(tmp) / "home"))
    raw_ids = [f["trade_id"] for f in raw_fills]
    raw_per_fill = len(raw.content) / len(raw_fills)
    details: dict[str, Any] = {
        "raw_bytes": len(raw.content),
        "raw_fills": len(raw_fills),
        "raw_bytes_per_fill": round(raw_per_fill, 1),
    }
    rows: list[Row] = []
    for suffix, name in (("a", "list_fills"), ("b", "query_trades")):
        call = calls[name]
        if call["trade_ids"] != raw_ids:
            raise RuntimeError(f"{name} did not answer the same 100 fills as the raw page")
        sizes, count = call["bytes"], call["count"]
        per_fill = max(sizes["content"], sizes["structuredContent"]) / count  # what the model reads
        ratio = per_fill / raw_per_fill
        details[name] = {
            "count": count,
            **sizes,
            "bytes_per_fill": round(per_fill, 1),
            "structured_only_ratio": round(sizes["structuredContent"] / count / raw_per_fill, 3),
            "text_only_ratio": round(sizes["content"] / count / raw_per_fill, 3),
            **breakdown(call["columns"], call["rows"], raw_per_fill),
        }
        rows.append(
            Row(
                f"6{suffix}",
                f"Output size: {name} (limit 100), bytes/fill read by the model",
                f"{per_fill:.0f} B vs raw {raw_per_fill:.0f} B per fill",
                "≤ 40% of raw /fills JSON",
                ratio,
                ratio <= LIMIT,
                note=f"text {details[name]['text_only_ratio']:.0%}, structuredContent "
                f"{details[name]['structured_only_ratio']:.0%} of raw; the whole CallToolResult on the "
                f"wire (both) is {sizes['total'] / count:.0f} B/fill = "
                f"{sizes['total'] / count / raw_per_fill:.0%} of raw",
            )
        )
    return BenchResult("output_size", rows, details, time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="no effect (kept for run_all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = main(args.quick)
    if args.json:
        print(json.dumps(result.as_dict(), default=str))
    else:
        print_rows(result.rows)
