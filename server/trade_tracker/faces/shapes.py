"""Output models of the MCP tools (and the CLI's JSON): compact, bounded, money as exact strings.

Row-heavy answers (fills, trades, products) are columnar, ``{"columns": [...], "rows":
[[...], ...]}``, so a page of fills costs the model a fraction of Coinbase's own JSON.
Decimal fields are the exact strings the API sent, never floats.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..analytics.models import ProductSummary, Summary
from ..errors import ConfigError
from ..live_views import account_values, fill_columns, fill_values, next_fill_cursor, order_values, product_values

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..credentials.models import CredentialInfo

__all__ = [
    "FILL_COLUMNS",
    "STORED_ADJUSTMENT_COLUMNS",
    "STORED_FILL_COLUMNS",
    "AccountsOut",
    "CredentialOut",
    "CredentialsOut",
    "ExportOut",
    "FillsOut",
    "OrdersOut",
    "ProductEntryOut",
    "ProductsOut",
    "StoreCredentialOut",
    "SummaryOut",
    "TickerOut",
    "TradesOut",
    "fill_table",
    "venue_and_permissions",
]

Cell = str | int | bool | None

#: Bounds that keep one answer far under ~25k tokens (each row is sent twice: structured and as text).
MAX_PRODUCT_ROWS = 300
MAX_SUMMARY_ENTRIES = 50

#: Column order for fills, live (list_fills; Advanced Trade adds its own after these) and stored
#: (query_trades); see fill_table().
FILL_COLUMNS = fill_columns("exchange")
#: Stored fills also say whose they are (both sides of one trade, two labels, share a trade_id and more)
#: and from which venue (``exchange`` or ``advanced``).
STORED_FILL_COLUMNS = [*FILL_COLUMNS, "label", "venue"]
PRODUCT_COLUMNS = [
    "id",
    "base_currency",
    "quote_currency",
    "status",
    "base_increment",
    "quote_increment",
    "min_market_funds",
    "trading_disabled",
]
ORDER_COLUMNS = [
    "id",
    "product_id",
    "side",
    "type",
    "status",
    "price",
    "size",
    "filled_size",
    "fill_fees",
    "created_at",
    "done_at",
]


#: Stored Advanced Trade fields a page of ``query_trades`` adds when any of its rows has them: a REVERSAL or
#: CORRECTION shares its fill's trade_id and looks like a second fill without ``trade_type``, and a
#: quote-sized fill's ``size`` is in the quote currency (``size_in_quote``).
STORED_ADJUSTMENT_COLUMNS = ["trade_type", "size_in_quote"]


def _stored_cells(row: dict[str, Any], columns: list[str]) -> dict[str, Cell]:
    def cell(c: str) -> Cell:
        value = row.get(c)
        return bool(value) if c in ("settled", "size_in_quote") and value is not None else value

    return {c: cell(c) for c in columns}


def fill_table(
    cells: list[dict[str, Cell]], hoist_product: bool = True, columns: list[str] = FILL_COLUMNS
) -> dict[str, Any]:
    """Columnar fills. When every row is one product (or, with a ``label`` / ``venue`` column, one label /
    venue), that column moves out of the rows to the top level (the ``columns`` list always says what a row holds):
    a page costs the model less. ``hoist_product=False`` (the CLI's JSON, for scripts) keeps every
    column in every row, always."""
    hoisted: dict[str, Any] = {}
    for name in ("product_id", "label", "venue"):
        if name in columns:
            values = {c[name] for c in cells}
            hoisted[name] = values.pop() if len(values) == 1 and hoist_product else None
    shown = [c for c in columns if hoisted.get(c) is None]
    return {**hoisted, "columns": shown, "rows": [[c[k] for k in shown] for c in cells]}


class ProductsOut(BaseModel):
    """Products (id is BASE-QUOTE); status 'online' products trade, 'delisted' ones do not."""

    count: int
    columns: list[str] = Field(default_factory=lambda: list(PRODUCT_COLUMNS))
    rows: list[list[Cell]]
    omitted: int = Field(default=0, description="products left out to keep the answer small; filter to see them")

    @classmethod
    def of(cls, products: Sequence[Any], limit: int = MAX_PRODUCT_ROWS, venue: str = "exchange") -> ProductsOut:
        """``products`` as ``venue``'s client answered them (``live_views.product_values``)."""
        shown = [product_values(venue, p) for p in products[:limit]]
        return cls(
            count=len(shown),
            omitted=len(products) - len(shown),
            rows=[[p[c] for c in PRODUCT_COLUMNS] for p in shown],
        )


class ProductEntryOut(ProductSummary):
    """A summary's product entry, with the venues whose stored fills it sums."""

    venue: str | None = Field(
        default=None, description="the venue of the entry's fills: exchange, advanced, or both (comma separated)"
    )


class SummaryOut(Summary):
    """A trade summary bounded for the model: at most ``MAX_SUMMARY_ENTRIES`` product entries and as many
    period totals (the newest periods when grouped by month or day). Currency totals always cover
    everything, and ``cumulative_realized_pnl`` runs from the start of the window. Each entry names its venue."""

    products: list[ProductEntryOut]  # pyright: ignore[reportIncompatibleVariableOverride]  # a ProductSummary and its venue

    omitted_entries: int = Field(
        default=0, description="older entries left out to keep the answer small; narrow since/until to see them"
    )
    omitted_periods: int = Field(default=0, description="older period totals left out, as omitted_entries")
    hint: str | None = Field(default=None, description="set when the store holds no fills (of the label) yet")

    @classmethod
    def of(
        cls, summary: Summary, limit: int = MAX_SUMMARY_ENTRIES, venues: Mapping[str, Sequence[str]] | None = None
    ) -> SummaryOut:
        """``venues``: the venues of each product's stored fills (``TradeStore.fill_venues``)."""
        entries = summary.products
        if len(entries) > limit:
            newest = sorted(range(len(entries)), key=lambda i: (entries[i].period or "", i), reverse=True)[:limit]
            entries = [entries[i] for i in sorted(newest)]
        periods = summary.periods[-limit:] if limit else []  # oldest first: the tail is the newest
        data = summary.model_dump()
        named = venues or {}
        data["products"] = [{**e.model_dump(), "venue": ",".join(named.get(e.product_id, ())) or None} for e in entries]
        data["periods"] = [p.model_dump() for p in periods]
        return cls.model_validate(
            {
                **data,
                "omitted_entries": len(summary.products) - len(entries),
                "omitted_periods": len(summary.periods) - len(periods),
            }
        )


class TickerOut(BaseModel):
    """The last trade and best bid/ask of one product; volume is 24h, in base units."""

    product_id: str
    price: str
    size: str
    bid: str | None
    ask: str | None
    volume: str | None
    time: str
    trade_id: int | str = Field(
        description="the last trade's id: a number on Coinbase Exchange, text on Advanced Trade"
    )

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> TickerOut:
        """From ``live_views.ticker_values`` (what ``TradeTracker.get_ticker`` answers)."""
        return cls.model_validate(dict(values))


class AccountOut(BaseModel):
    currency: str
    balance: str
    hold: str
    available: str


class AccountsOut(BaseModel):
    label: str
    count: int
    accounts: list[AccountOut]

    @classmethod
    def of(cls, label: str, accounts: Sequence[Any], venue: str = "exchange") -> AccountsOut:
        shown = [account_values(venue, a) for a in accounts]
        return cls(label=label, count=len(shown), accounts=[AccountOut.model_validate(a) for a in shown])


class OrdersOut(BaseModel):
    """Orders, newest first. Without a status filter Coinbase returns only open orders."""

    label: str
    status_filter: list[str]
    count: int
    columns: list[str] = Field(default_factory=lambda: list(ORDER_COLUMNS))
    rows: list[list[Cell]]

    @classmethod
    def of(cls, label: str, status: list[str], orders: Sequence[Any], venue: str = "exchange") -> OrdersOut:
        rows = [order_values(venue, o) for o in orders]
        return cls(
            label=label, status_filter=status, count=len(rows), rows=[[o[c] for c in ORDER_COLUMNS] for o in rows]
        )


class FillsOut(BaseModel):
    """One page of fills live from Coinbase, newest first; pass ``next_after`` as ``after`` for older ones."""

    label: str
    venue: str = Field(default="exchange", description="the label's venue: exchange or advanced")
    count: int
    product_id: str | None = Field(default=None, description="set when every row is this product")
    columns: list[str]
    rows: list[list[Cell]]
    next_after: str | None = Field(
        default=None, description="opaque cursor for the next (older) page, if any: pass it as after"
    )

    @classmethod
    def of(cls, label: str, page: Any, hoist_product: bool = True, venue: str = "exchange") -> FillsOut:
        """A page as ``venue``'s client answered it (``live_views``: the venue's columns and cursor)."""
        cells = [fill_values(venue, f) for f in page.fills]
        return cls(
            label=label,
            venue=venue,
            count=len(cells),
            next_after=next_fill_cursor(venue, page),
            **fill_table(cells, hoist_product, fill_columns(venue)),
        )


class TradesOut(BaseModel):
    """Fills from the local store (offline), newest first; pass ``next_cursor`` as ``cursor`` for more."""

    count: int
    product_id: str | None = Field(default=None, description="set when every row is this product")
    label: str | None = Field(default=None, description="set when every row is this label's (else a column)")
    venue: str | None = Field(default=None, description="set when every row is of this venue (else a column)")
    columns: list[str]
    rows: list[list[Cell]]
    next_cursor: str | None = None
    hint: str | None = Field(default=None, description="set when the store holds no fills (of the label) yet")

    @classmethod
    def of(cls, rows: list[dict[str, Any]], next_cursor: str | None, hoist_product: bool = True) -> TradesOut:
        extra = [c for c in STORED_ADJUSTMENT_COLUMNS if any(r.get(c) is not None for r in rows)]
        columns = [*STORED_FILL_COLUMNS, *extra]
        return cls(
            count=len(rows),
            next_cursor=next_cursor,
            **fill_table([_stored_cells(r, columns) for r in rows], hoist_product, columns),
        )


class CredentialOut(BaseModel):
    label: str
    venue: str = Field(default="exchange", description="the key's venue: exchange or advanced")
    fingerprint: str
    source: str
    created_at: str | None = None
    last_verified_at: str | None = None
    verify_status: str | None = None
    permissions: str | None = None
    can_view: bool | None = Field(default=None, description="as the venue reported it at the last check; None: unknown")
    can_trade: bool | None = None
    can_transfer: bool | None = None
    portfolio: str | None = Field(default=None, description="the key's portfolio, where the venue reports one")

    @classmethod
    def of(cls, info: CredentialInfo) -> CredentialOut:
        permissions = info.permissions
        return cls(
            label=info.label,
            fingerprint=info.fingerprint,
            source=info.source,
            created_at=info.created_at,
            last_verified_at=info.last_verified_at,
            verify_status=info.verify_status,
            permissions=permissions if isinstance(permissions, str | None) else json.dumps(permissions),
            **venue_and_permissions(info),
        )


def venue_and_permissions(info: CredentialInfo) -> dict[str, Any]:
    """A credential's public venue id and its recorded permissions as ``can_view`` / ``can_trade`` /
    ``can_transfer`` (True, False, or None when the venue does not say: Coinbase Exchange names View only)
    and ``portfolio``: what ``list_credentials`` and ``credentials list`` show."""
    from ..venues.registry import venue_of_stored

    try:
        venue = venue_of_stored(info.exchange).info.id
    except ConfigError:  # a row of a newer release's venue: shown as stored
        venue = info.exchange
    raw = info.permissions if isinstance(info.permissions, dict) else {}
    flags: dict[str, bool | None] = {}
    for name, legacy in (("can_view", "view"), ("can_trade", "trade"), ("can_transfer", "transfer")):
        value = str(raw.get(name, raw.get(legacy, ""))).lower()
        flags[name] = True if value in ("true", "yes") else False if value in ("false", "no") else None
    return {"venue": venue, **flags, "portfolio": info.portfolio}


class CredentialsOut(BaseModel):
    """Stored credentials: labels and key fingerprints only, never a secret."""

    count: int
    credentials: list[CredentialOut]


class StoreCredentialOut(BaseModel):
    """What happened to a store_credential request. No secret is ever part of it."""

    label: str
    status: str = Field(description="stored | waiting | declined | cancelled | expired | use_cli")
    message: str
    fingerprint: str | None = None
    cli_command: str


class ExportOut(BaseModel):
    path: str
    rows: int
    kind: str
