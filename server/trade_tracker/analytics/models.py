"""The shape of a trade summary: the filters it ran with and the pydantic models it returns.

Only shapes and argument checking, no arithmetic: ``analytics`` fills these models, ``export``
writes them to CSV and the MCP server advertises them as tool output. Amounts are canonical
decimal strings and times fixed-width ISO UTC text (the conventions are in ``analytics``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from ..store.filters import Filters as StoreFilters

__all__ = ["CurrencyTotal", "Filters", "GroupBy", "Method", "PeriodTotal", "ProductSummary", "Summary"]

GroupBy = Literal["product", "month", "day"]
Method = Literal["fifo", "average"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Filters(_Frozen):
    """The filters a summary or export ran with; times are fixed-width ISO UTC text."""

    product_id: str | None = None
    label: str | None = None
    since: str | None = Field(default=None, description="inclusive lower bound on created_at (UTC)")
    until: str | None = Field(default=None, description="inclusive upper bound on created_at (UTC)")

    @classmethod
    def of(cls, filters: StoreFilters) -> Filters:
        """The filters a summary ran with, as it reports them (from the checked store filters)."""
        return cls(product_id=filters.product_id, label=filters.label, since=filters.since, until=filters.until)


class ProductSummary(_Frozen):
    """One product's figures over the window (or one period of it). Amounts are decimal strings."""

    product_id: str
    base_currency: str
    quote_currency: str
    period: str | None = Field(default=None, description="YYYY-MM or YYYY-MM-DD (UTC) when grouped by month or day")
    buy_count: int
    sell_count: int
    buy_size: str
    sell_size: str
    base_volume: str = Field(description="bought + sold, in the base currency")
    quote_volume: str = Field(description="Σ price × size of buys and sells, in the quote currency")
    fees: dict[str, str] = Field(description="fees paid, by currency (Coinbase charges the quote currency)")
    fee_total: str = Field(description="fees in the quote currency")
    avg_buy_price: str | None
    avg_sell_price: str | None
    position: str = Field(description="bought − sold over all history up to the end of the window (signed)")
    open_size: str = Field(description="size of the open lots with a known cost basis, at the end of the window")
    cost_basis: str = Field(description="cost of the open lots, in the quote currency")
    realized_pnl: str = Field(description="price differences of the window's sells against their lots, before fees")
    net_realized_pnl: str = Field(description="realized_pnl − fee_total")
    unmatched_sell_size: str = Field(description="size sold beyond the known position: no cost basis, no PnL")
    first_fill_at: str | None
    last_fill_at: str | None
    ticker_price: str | None = Field(default=None, description="only from with_unrealized: the ticker price used")
    ticker_time: str | None = None
    unrealized_pnl_at_ticker: str | None = Field(default=None, description="open_size × ticker_price − cost_basis")


class CurrencyTotal(_Frozen):
    """Totals for one currency across products: base-side figures where it is the base, quote-side where quote."""

    currency: str
    position: str = Field(description="Σ position of the products with this base currency")
    base_volume: str
    unmatched_sell_size: str
    quote_volume: str
    fees: str = Field(description="fees paid in this currency")
    realized_pnl: str
    net_realized_pnl: str
    cost_basis: str
    unrealized_pnl_at_ticker: str | None = Field(
        default=None, description="only from with_unrealized, and only when every open position quoted here had a price"
    )


class PeriodTotal(_Frozen):
    """One UTC period's figures across every product quoted in one currency (group_by month or day only)."""

    period: str = Field(description="YYYY-MM or YYYY-MM-DD (UTC)")
    currency: str = Field(description="the quote currency these amounts are in")
    fill_count: int
    quote_volume: str
    fees: str
    realized_pnl: str
    net_realized_pnl: str = Field(description="realized_pnl − fees")
    cumulative_realized_pnl: str = Field(
        description="Σ realized_pnl of this currency's periods up to this one, from the start of the window"
    )


class Summary(_Frozen):
    """A trade summary: product entries (by product, or by product and period), currency totals and, when
    grouped by month or day, per-period totals across products."""

    method: Method
    group_by: GroupBy
    filters: Filters
    fill_count: int
    products: list[ProductSummary]
    currencies: list[CurrencyTotal]
    periods: list[PeriodTotal] = Field(
        default_factory=list, description="per period and quote currency, oldest first (month/day only)"
    )
    generated_at: str
