"""Pydantic models of Coinbase Advanced Trade's JSON answers: money and timestamps kept as the exact text sent.

Advanced Trade sends decimals as JSON strings; the client decodes any JSON number as ``Decimal`` (never
float), so a number that slips through (the samples disagree on ``num_products``) stays exact too.
:data:`ExactDecimal` checks a value is a finite decimal within the store's bound and keeps the string the
API sent, to the last digit (a number becomes its fixed-point text). :data:`ExactTimestamp` checks a
timestamp parses (6 and 9 fractional digits both occur) and keeps it as sent; compare parsed values.
Unknown fields are ignored; ``""`` in an optional money field (a ticker's empty ``bid``) reads as None.

``AdvancedFill.to_row(label)`` is the fill as the store keeps it (SPEC-15's columns), a
``store.fills.FillRow``; ``row_values(label)`` the same as a dict of column names.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from trade_tracker.formats import bounded_decimal, decimal_text, iso_utc, parse_timestamp
from trade_tracker.store.fills import FillRow

__all__ = [
    "Account",
    "AccountPage",
    "AdvancedFill",
    "AdvancedModel",
    "ExactDecimal",
    "ExactTimestamp",
    "FillPage",
    "KeyPermissions",
    "MarketTrade",
    "Money",
    "Order",
    "OrderPage",
    "Portfolio",
    "PortfolioList",
    "Product",
    "ProductList",
    "ServerTime",
    "Ticker",
]


def _exact_decimal(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError("expected a decimal string")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        text = decimal_text(number)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value[:40]!r}") from None
        text = value
    else:
        raise ValueError("expected a decimal string")
    if not number.is_finite():
        raise ValueError("not a finite number")
    bounded_decimal(number)
    return text


def _optional_decimal(value: object) -> str | None:
    return None if value is None or value == "" else _exact_decimal(value)


def _exact_timestamp(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected an RFC 3339 timestamp string")
    parse_timestamp(value)
    return value


#: A money or quantity field: checked as a finite decimal, kept as the exact string sent.
ExactDecimal = Annotated[str, BeforeValidator(_exact_decimal)]
#: The same, optional: absent, null and ``""`` are None.
OptionalDecimal = Annotated[str | None, BeforeValidator(_optional_decimal)]
#: A timestamp: checked to parse, kept as the exact string sent.
ExactTimestamp = Annotated[str, BeforeValidator(_exact_timestamp)]

_LIQUIDITY = {"MAKER": "M", "TAKER": "T"}


class AdvancedModel(BaseModel):
    """Shared base: ignore fields we do not know yet, frozen, never coerce money through float."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ServerTime(AdvancedModel):
    iso: str
    epoch_seconds: str = Field(alias="epochSeconds")
    epoch_millis: str | None = Field(default=None, alias="epochMillis")


class Money(AdvancedModel):
    """``{"value": "...", "currency": "USD"}``."""

    value: ExactDecimal
    currency: str


class Product(AdvancedModel):
    product_id: str
    price: OptionalDecimal = None
    base_increment: OptionalDecimal = None
    quote_increment: OptionalDecimal = None
    base_min_size: OptionalDecimal = None
    base_max_size: OptionalDecimal = None
    quote_min_size: OptionalDecimal = None
    status: str | None = None
    trading_disabled: bool | None = None
    product_type: str | None = None
    base_currency_id: str | None = None
    quote_currency_id: str | None = None
    alias: str | None = None
    alias_to: list[str] = Field(default_factory=list[str])
    view_only: bool | None = None
    product_venue: str | None = None


class MarketTrade(AdvancedModel):
    trade_id: str
    product_id: str
    price: ExactDecimal
    size: ExactDecimal
    time: ExactTimestamp
    side: str | None = None


class Ticker(AdvancedModel):
    """``/market/products/{id}/ticker``: the latest market trades and the best bid and ask."""

    trades: list[MarketTrade] = Field(default_factory=list[MarketTrade])
    best_bid: OptionalDecimal = None
    best_ask: OptionalDecimal = None

    @property
    def last(self) -> MarketTrade | None:
        """The newest market trade, if the answer held one."""
        return self.trades[0] if self.trades else None


class Account(AdvancedModel):
    uuid: str
    name: str | None = None
    currency: str
    available_balance: Money
    hold: Money | None = None
    default: bool | None = None
    active: bool | None = None
    type: str | None = None
    ready: bool | None = None
    retail_portfolio_id: str | None = None


class AccountPage(AdvancedModel):
    accounts: list[Account] = Field(default_factory=list[Account])
    has_next: bool = False
    cursor: str | None = None


class Order(AdvancedModel):
    order_id: str
    product_id: str
    side: str
    status: str
    created_time: ExactTimestamp | None = None
    filled_size: OptionalDecimal = None
    average_filled_price: OptionalDecimal = None
    filled_value: OptionalDecimal = None
    total_fees: OptionalDecimal = None
    number_of_fills: OptionalDecimal = None
    size_in_quote: bool | None = None
    order_type: str | None = None
    settled: bool | None = None
    product_type: str | None = None
    order_configuration: dict[str, Any] | None = None


class OrderPage(AdvancedModel):
    """One page of ``/orders/historical/batch``; ``cursor`` is None when there is no next page."""

    orders: list[Order] = Field(default_factory=list[Order])
    has_next: bool = False
    cursor: str | None = None


class AdvancedFill(AdvancedModel):
    """One ledger entry of ``/orders/historical/fills``; unique by ``entry_id`` (``trade_id`` repeats on
    REVERSAL, CORRECTION and SYNTHETIC entries). Every field is kept as sent."""

    entry_id: str = Field(min_length=1)
    trade_id: str
    order_id: str
    trade_time: ExactTimestamp
    trade_type: Literal["FILL", "REVERSAL", "CORRECTION", "SYNTHETIC"]
    price: ExactDecimal
    size: ExactDecimal
    commission: ExactDecimal
    product_id: str
    sequence_timestamp: ExactTimestamp
    liquidity_indicator: str | None = None
    size_in_quote: bool = False
    user_id: str | None = None
    side: Literal["BUY", "SELL"]
    retail_portfolio_id: str | None = None

    def row_values(self, label: str) -> dict[str, Any]:
        """The fill as the store keeps it (SPEC-15 ``fills`` columns, FILL_COLUMNS order then the venue's):
        the common columns filled the Advanced way, every Advanced field as the exact string sent."""
        return {
            "product_id": self.product_id,
            "trade_id": self.trade_id,
            "order_id": self.order_id,
            "side": self.side.lower(),
            "price": self.price,
            "size": self.size,
            "fee": self.commission,
            "usd_volume": None,
            "liquidity": _LIQUIDITY.get(self.liquidity_indicator or ""),
            "settled": 1,
            "created_at": iso_utc(parse_timestamp(self.trade_time)),
            "profile_id": self.retail_portfolio_id,
            "user_id": self.user_id,
            "funding_currency": None,
            "market_type": None,
            "label": label,
            "venue": "advanced",
            "fill_key": self.entry_id,
            "entry_id": self.entry_id,
            "trade_type": self.trade_type,
            "sequence_timestamp": self.sequence_timestamp,
            "trade_time": self.trade_time,
            "size_in_quote": int(self.size_in_quote),
            "commission": self.commission,
            "liquidity_indicator": self.liquidity_indicator,
            "retail_portfolio_id": self.retail_portfolio_id,
        }

    def to_row(self, label: str) -> FillRow:
        """The fill as a store row of ``label``: ``FillRow(**row_values(label))``, keyed by ``entry_id``."""
        return FillRow(**self.row_values(label))


class FillPage(AdvancedModel):
    """One page of fills and the cursor of the next (None at the end: the API's ``""``)."""

    fills: list[AdvancedFill] = Field(default_factory=list[AdvancedFill])
    cursor: str | None = None


class KeyPermissions(AdvancedModel):
    """``/key_permissions``: what the key may do, and the one portfolio it sees."""

    can_view: bool
    can_trade: bool
    can_transfer: bool
    portfolio_uuid: str | None = None
    portfolio_type: str | None = None

    def as_check(self) -> dict[str, str]:
        """The key check's mapping (SPEC-15 ``check_key``): booleans as ``"true"``/``"false"``."""
        flags = {name: "true" if getattr(self, name) else "false" for name in ("can_view", "can_trade", "can_transfer")}
        return flags | {"portfolio_uuid": self.portfolio_uuid or "", "portfolio_type": self.portfolio_type or ""}


class Portfolio(AdvancedModel):
    uuid: str
    name: str | None = None
    type: str | None = None
    deleted: bool | None = None


class PortfolioList(AdvancedModel):
    portfolios: list[Portfolio] = Field(default_factory=list[Portfolio])


class ProductList(AdvancedModel):
    """``/market/products``; ``num_products`` is a string in one sample and a number in another."""

    products: list[Product] = Field(default_factory=list[Product])
    num_products: int | str | None = None
