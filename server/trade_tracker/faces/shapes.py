"""Output models of the MCP tools (and the CLI's JSON): compact, bounded, money as exact strings.

Row-heavy answers (fills, trades, products) are columnar, ``{"columns": [...], "rows":
[[...], ...]}``, so a page of fills costs the model a fraction of Coinbase's own JSON.
Decimal fields are the exact strings the API sent, never floats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..analytics.models import Summary
from ..formats import decimal_text, iso_utc

if TYPE_CHECKING:
    from ..venues.coinbase_exchange.models import Account, Fill, FillPage, Order, Product, Ticker

__all__ = [
    "FILL_COLUMNS",
    "STORED_FILL_COLUMNS",
    "AccountsOut",
    "CredentialOut",
    "CredentialsOut",
    "ExportOut",
    "FillsOut",
    "OrdersOut",
    "ProductsOut",
    "StoreCredentialOut",
    "SummaryOut",
    "TickerOut",
    "TradesOut",
    "fill_table",
]

Cell = str | int | bool | None

#: Bounds that keep one answer far under ~25k tokens (each row is sent twice: structured and as text).
MAX_PRODUCT_ROWS = 300
MAX_SUMMARY_ENTRIES = 50

#: Column order for fills, live (list_fills) and stored (query_trades); see fill_table().
FILL_COLUMNS = [
    "trade_id",
    "product_id",
    "side",
    "price",
    "size",
    "fee",
    "created_at",
    "liquidity",
    "settled",
    "order_id",
]
#: Stored fills also say whose they are: both sides of one trade (two labels) share a trade_id and more.
STORED_FILL_COLUMNS = [*FILL_COLUMNS, "label"]
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


def _dec(value: Any) -> str | None:
    return None if value is None else decimal_text(value)


def _fill_cells(fill: Fill) -> dict[str, Cell]:
    return {
        "trade_id": fill.trade_id,
        "product_id": fill.product_id,
        "side": fill.side,
        "price": decimal_text(fill.price),
        "size": decimal_text(fill.size),
        "fee": decimal_text(fill.fee),
        "created_at": iso_utc(fill.created_at),
        "liquidity": fill.liquidity,
        "settled": fill.settled,
        "order_id": fill.order_id,
    }


def _stored_cells(row: dict[str, Any]) -> dict[str, Cell]:
    return {c: bool(row[c]) if c == "settled" else row[c] for c in STORED_FILL_COLUMNS}


def fill_table(
    cells: list[dict[str, Cell]], hoist_product: bool = True, columns: list[str] = FILL_COLUMNS
) -> dict[str, Any]:
    """Columnar fills. When every row is one product (or, with a ``label`` column, one label), that
    column moves out of the rows to the top level (the ``columns`` list always says what a row holds):
    a page costs the model less. ``hoist_product=False`` (the CLI's JSON, for scripts) keeps every
    column in every row, always."""
    hoisted: dict[str, Any] = {}
    for name in ("product_id", "label"):
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
    def of(cls, products: list[Product], limit: int = MAX_PRODUCT_ROWS) -> ProductsOut:
        shown = products[:limit]
        return cls(
            count=len(shown),
            omitted=len(products) - len(shown),
            rows=[
                [
                    p.id,
                    p.base_currency,
                    p.quote_currency,
                    p.status,
                    _dec(p.base_increment),
                    _dec(p.quote_increment),
                    _dec(p.min_market_funds),
                    p.trading_disabled,
                ]
                for p in shown
            ],
        )


class SummaryOut(Summary):
    """A trade summary bounded for the model: at most ``MAX_SUMMARY_ENTRIES`` product entries and as many
    period totals (the newest periods when grouped by month or day). Currency totals always cover
    everything, and ``cumulative_realized_pnl`` runs from the start of the window."""

    omitted_entries: int = Field(
        default=0, description="older entries left out to keep the answer small; narrow since/until to see them"
    )
    omitted_periods: int = Field(default=0, description="older period totals left out, as omitted_entries")
    hint: str | None = Field(default=None, description="set when the store holds no fills (of the label) yet")

    @classmethod
    def of(cls, summary: Summary, limit: int = MAX_SUMMARY_ENTRIES) -> SummaryOut:
        entries = summary.products
        if len(entries) > limit:
            newest = sorted(range(len(entries)), key=lambda i: (entries[i].period or "", i), reverse=True)[:limit]
            entries = [entries[i] for i in sorted(newest)]
        periods = summary.periods[-limit:] if limit else []  # oldest first: the tail is the newest
        data = summary.model_dump()
        data["products"] = [e.model_dump() for e in entries]
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
    trade_id: int

    @classmethod
    def of(cls, product_id: str, t: Ticker) -> TickerOut:
        return cls(
            product_id=product_id.upper(),
            price=decimal_text(t.price),
            size=decimal_text(t.size),
            bid=_dec(t.bid),
            ask=_dec(t.ask),
            volume=_dec(t.volume),
            time=iso_utc(t.time),
            trade_id=t.trade_id,
        )


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
    def of(cls, label: str, accounts: list[Account]) -> AccountsOut:
        return cls(
            label=label,
            count=len(accounts),
            accounts=[
                AccountOut(
                    currency=a.currency,
                    balance=decimal_text(a.balance),
                    hold=decimal_text(a.hold),
                    available=decimal_text(a.available),
                )
                for a in accounts
            ],
        )


class OrdersOut(BaseModel):
    """Orders, newest first. Without a status filter Coinbase returns only open orders."""

    label: str
    status_filter: list[str]
    count: int
    columns: list[str] = Field(default_factory=lambda: list(ORDER_COLUMNS))
    rows: list[list[Cell]]

    @classmethod
    def of(cls, label: str, status: list[str], orders: list[Order]) -> OrdersOut:
        return cls(
            label=label,
            status_filter=status,
            count=len(orders),
            rows=[
                [
                    o.id,
                    o.product_id,
                    o.side,
                    o.type,
                    o.status,
                    _dec(o.price),
                    _dec(o.size),
                    _dec(o.filled_size),
                    _dec(o.fill_fees),
                    iso_utc(o.created_at),
                    iso_utc(o.done_at) if o.done_at else None,
                ]
                for o in orders
            ],
        )


class FillsOut(BaseModel):
    """One page of fills live from Coinbase, newest first; pass ``next_after`` as ``after`` for older ones."""

    label: str
    count: int
    product_id: str | None = Field(default=None, description="set when every row is this product")
    columns: list[str]
    rows: list[list[Cell]]
    next_after: int | None = Field(default=None, description="cursor for the next (older) page, if any")

    @classmethod
    def of(cls, label: str, page: FillPage, hoist_product: bool = True) -> FillsOut:
        next_after = int(page.after) if page.after and page.fills else None
        return cls(
            label=label,
            count=len(page.fills),
            next_after=next_after,
            **fill_table([_fill_cells(f) for f in page.fills], hoist_product),
        )


class TradesOut(BaseModel):
    """Fills from the local store (offline), newest first; pass ``next_cursor`` as ``cursor`` for more."""

    count: int
    product_id: str | None = Field(default=None, description="set when every row is this product")
    label: str | None = Field(default=None, description="set when every row is this label's (else a column)")
    columns: list[str]
    rows: list[list[Cell]]
    next_cursor: str | None = None
    hint: str | None = Field(default=None, description="set when the store holds no fills (of the label) yet")

    @classmethod
    def of(cls, rows: list[dict[str, Any]], next_cursor: str | None, hoist_product: bool = True) -> TradesOut:
        return cls(
            count=len(rows),
            next_cursor=next_cursor,
            **fill_table([_stored_cells(r) for r in rows], hoist_product, STORED_FILL_COLUMNS),
        )


class CredentialOut(BaseModel):
    label: str
    fingerprint: str
    source: str
    created_at: str | None = None
    last_verified_at: str | None = None
    verify_status: str | None = None
    permissions: str | None = None


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
