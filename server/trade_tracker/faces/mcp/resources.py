"""The MCP resources: what an editor can attach as context (VS Code "Add Context > MCP Resources", Claude's
attachments), read from the local store only, never from the exchange, never carrying a secret.

- ``trade-tracker://sync-status`` (JSON): per label and venue, the products synced, fills stored, the newest
  fill's time, when each product last synced, whether the history is complete, the key's fingerprint.
  Built on ``sync/status.py`` (the ``sync_status`` tool's own answer).
- ``trade-tracker://positions`` (JSON): the open positions of each label with their cost basis (FIFO), from
  the analytics over the store.
- template ``trade-tracker://fills/{product_id}`` (CSV): the product's stored fills, newest first, at most
  :data:`MAX_FILL_ROWS`; a last ``#`` line says how many were left out and that ``export_trades`` writes all.
- template ``trade-tracker://exports/{name}`` (CSV): a file ``export_trades`` wrote (its ``resource_link``
  points here). Only plain file names inside ``$TRADE_TRACKER_HOME/exports``: no path, no link, no dot file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ResourceLink

from trade_tracker.errors import TradeTrackerError
from trade_tracker.export import safe_cell
from trade_tracker.formats import check_product_id, utc_now
from trade_tracker.store.filters import Filters

from .surface import StateResource

if TYPE_CHECKING:
    from .surface import SurfaceServer
    from .sync_tools import ServerState

__all__ = [
    "EXPORTS_TEMPLATE",
    "FILLS_TEMPLATE",
    "FILL_CSV_COLUMNS",
    "MAX_EXPORT_BYTES",
    "MAX_FILL_ROWS",
    "POSITIONS_URI",
    "SYNC_STATUS_URI",
    "export_link",
    "positions",
    "register_resources",
    "sync_status_entries",
]

SYNC_STATUS_URI = "trade-tracker://sync-status"
POSITIONS_URI = "trade-tracker://positions"
FILLS_TEMPLATE = "trade-tracker://fills/{product_id}"
EXPORTS_TEMPLATE = "trade-tracker://exports/{name}"
#: Rows one read of the fills template returns (newest first); export_trades writes every one.
MAX_FILL_ROWS = 500
#: The largest export file served as a resource; a bigger one is opened from its path.
MAX_EXPORT_BYTES = 5_000_000
FILL_CSV_COLUMNS = (
    "created_at",
    "trade_id",
    "side",
    "price",
    "size",
    "fee",
    "liquidity",
    "settled",
    "order_id",
    "label",
    "venue",
)
_EXPORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.csv")


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _venue_id(stored: str | None) -> str | None:
    """A credential row's venue (``credentials.exchange``) as its public id, read generically via the registry."""
    from trade_tracker.venues.registry import venue_of_stored

    try:
        return venue_of_stored(stored).info.id
    except TradeTrackerError:
        return stored  # a venue this release does not know: shown as stored


def sync_status_entries(state: ServerState) -> dict[str, Any]:
    """The sync-status resource's data: one entry per label (and its venue), from the store and credentials."""
    from trade_tracker.sync.status import sync_status

    tracker = state.tracker
    infos = {i.label: i for i in tracker.credentials.list()}
    status = sync_status(tracker.store, state.jobs, list(infos))
    venues: dict[str, set[str]] = {}
    for s in tracker.store.sync_states():
        venues.setdefault(s.label, set()).add(s.venue)
    entries = []
    for entry in status.labels:
        info = infos.get(entry.label)
        stored_venues = sorted(venues.get(entry.label, set()))
        venue = _venue_id(info.exchange) if info is not None else ", ".join(stored_venues) or None
        entries.append(
            {
                "label": entry.label,
                "venue": venue,
                "key_fingerprint": info.fingerprint if info is not None else None,
                "state": entry.state,
                "fill_count": entry.fills_stored,
                "newest_fill_at": entry.last_fill_at,
                "oldest_fill_at": entry.first_fill_at,
                "history_complete": entry.history_complete,
                "last_run": entry.last_run.outcome if entry.last_run else None,
                "products_synced": [p.product_id for p in entry.products],
                "products": [
                    {
                        "product_id": p.product_id,
                        "fill_count": p.fills_stored,
                        "newest_fill_at": p.last_fill_at,
                        "last_synced_at": p.last_synced_at,
                        "history_complete": p.history_complete,
                    }
                    for p in entry.products
                ],
            }
        )
    return {"generated_at": utc_now(), "count": len(entries), "labels": entries, "hint": status.hint}


def _open_position(entry: Any) -> dict[str, Any] | None:
    if Decimal(entry.position) == 0 and Decimal(entry.open_size) == 0:
        return None
    open_size, cost = Decimal(entry.open_size), Decimal(entry.cost_basis)
    average = (cost / open_size).quantize(Decimal("1e-8")).normalize() if open_size else None
    return {
        "product_id": entry.product_id,
        "base_currency": entry.base_currency,
        "quote_currency": entry.quote_currency,
        "position": entry.position,
        "open_size": entry.open_size,
        "cost_basis": entry.cost_basis,
        "average_cost": None if average is None else format(average, "f"),
        "realized_pnl": entry.realized_pnl,
        "fees": entry.fee_total,
        "last_fill_at": entry.last_fill_at,
    }


def positions(state: ServerState) -> dict[str, Any]:
    """Open positions per stored label (FIFO cost basis), from the store's analytics. Offline."""
    from trade_tracker.analytics.summary import summarize

    store = state.tracker.store
    labels = sorted({r.label for r in _stored_labels(state)})
    out = []
    for label in labels:
        summary = summarize(store, Filters.of(label=label), group_by="product", method="fifo")
        open_ = [p for p in (_open_position(e) for e in summary.products) if p is not None]
        out.append({"label": label, "method": "fifo", "count": len(open_), "positions": open_})
    note = (
        "position = bought - sold over the stored history; cost_basis and average_cost are of the open lots "
        "(FIFO), in the quote currency. Unrealized PnL needs live prices: trade_summary with_unrealized=true."
    )
    return {"generated_at": utc_now(), "labels": out, "note": note}


def _stored_labels(state: ServerState) -> Iterable[Any]:
    from trade_tracker.store.sync_runs import stored_ranges

    return stored_ranges(state.tracker.store)


def fills_csv(state: ServerState, product_id: str, limit: int = MAX_FILL_ROWS) -> str:
    """The product's stored fills as CSV, newest first, at most ``limit`` rows and a note of what was left out."""
    store = state.tracker.store
    filters = Filters.of(product_id=product_id)
    rows, more = store.query_fills(filters, limit)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FILL_CSV_COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row[c]) for c in FILL_CSV_COLUMNS])
    product = filters.product_id
    if more is not None:
        left_out = store.count_fills(filters) - len(rows)
        buffer.write(
            f"# {left_out} older fills of {product} left out (this resource shows the newest {len(rows)}); "
            f'export_trades with product_id "{product}" writes all of them to a CSV file\n'
        )
    elif not rows:
        buffer.write(f"# no fills of {product} are stored: run sync_fills (or check the product id)\n")
    return buffer.getvalue()


def _state(ctx: Context) -> ServerState:
    from .results import state_of

    return state_of(ctx)


def export_file(state: ServerState, name: str) -> Path:
    """The export file ``name`` inside the exports folder; anything else (a path, a link, a dot file) is refused."""
    folder = (state.tracker.settings.trade_tracker_home / "exports").resolve()
    if not _EXPORT_NAME.fullmatch(name):
        raise ResourceError("an export name is a plain file name ending in .csv, as export_trades returned it")
    path = folder / name
    if path.is_symlink() or not path.is_file() or path.resolve().parent != folder:
        raise ResourceError(f"no export named {name} in {folder}; export_trades writes one")
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise ResourceError(f"{name} is larger than {MAX_EXPORT_BYTES} bytes; open the file itself: {path}")
    return path


def export_link(path: str, rows: int) -> ResourceLink:
    """The ``resource_link`` export_trades returns: the file it wrote, readable as a resource."""
    name = Path(path).name
    return ResourceLink(
        type="resource_link",
        name=name,
        title=f"Export {name}",
        uri=EXPORTS_TEMPLATE.replace("{name}", name),
        description=f"the CSV file export_trades wrote ({rows} rows): {path}",
        mime_type="text/csv",
        size=Path(path).stat().st_size,
    )


def register_resources(mcp: SurfaceServer[Any]) -> None:
    """Add the two static resources and the two templates to ``mcp``."""
    mcp.add_state_resource(
        StateResource(
            uri=SYNC_STATUS_URI,
            name="sync-status",
            title="Sync status",
            description="Per credential label and venue: products synced, fills stored, newest fill, when each "
            "product last synced, whether the whole history is stored, the key's fingerprint. Offline; no secret.",
            mime_type="application/json",
            render=lambda state: _json(sync_status_entries(state)),
        )
    )
    mcp.add_state_resource(
        StateResource(
            uri=POSITIONS_URI,
            name="positions",
            title="Open positions",
            description="Open positions per credential label with their FIFO cost basis, from the local store.",
            mime_type="application/json",
            render=lambda state: _json(positions(state)),
        )
    )

    @mcp.resource(
        FILLS_TEMPLATE,
        name="fills",
        title="Stored fills of a product",
        description=f"CSV of one product's stored fills, newest first, at most {MAX_FILL_ROWS} rows (a last "
        "'#' line says how many were left out; export_trades writes all). From the local store.",
        mime_type="text/csv",
    )
    def fills(product_id: str, ctx: Context) -> str:
        try:
            check_product_id(product_id)
            return fills_csv(_state(ctx), product_id)
        except TradeTrackerError as exc:
            raise ResourceError(str(exc)) from None

    @mcp.resource(
        EXPORTS_TEMPLATE,
        name="exports",
        title="An export file",
        description="A CSV file export_trades wrote under $TRADE_TRACKER_HOME/exports (its resource_link "
        "gives the name).",
        mime_type="text/csv",
    )
    def exports(name: str, ctx: Context) -> str:
        return export_file(_state(ctx), name).read_bytes().decode("utf-8")  # exactly the file: CRLF kept
