"""Pydantic models of Coinbase Exchange's JSON answers.

Inputs from the exchange are checked here, once: money is ``Decimal`` (never float; the
client decodes JSON numbers as Decimal too) within ``MAX_DECIMAL_EXPONENT``, ``side`` is buy or
sell, a fill's ``trade_id`` fits the store's key (1 to 2**63 - 1).

Money is ``Decimal`` parsed from the exact string the API sent, and serialised back
with ``format(d, "f")`` so the string is the same to the last digit (``str()`` would
turn ``0.00000010`` into ``1.0E-7``). The models tolerate what the API notes list:
``trade_id`` as an int or a string, fractional seconds of any length, the fields
removed in 2022, and new optional fields (extra keys are ignored).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from trade_tracker.formats import (
    MAX_TRADE_ID,
    bounded_decimal,
    decimal_text,
    iso_utc,
    parse_timestamp,
)

__all__ = [
    "Account",
    "DecimalStr",
    "Fill",
    "FillPage",
    "Order",
    "Product",
    "Profile",
    "ServerTime",
    "Side",
    "Stats",
    "Ticker",
    "Timestamp",
    "TradeId",
]


#: A money or quantity field: parsed exactly (pydantic's Decimal validator builds it from the
#: string, or takes the Decimal the client's JSON decoding made of a number), refused when its
#: exponent is absurd (``bounded_decimal``), dumped as the same fixed-point string.
DecimalStr = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    AfterValidator(bounded_decimal),
    PlainSerializer(decimal_text, return_type=str, when_used="json-unless-none"),
]

#: A fill's or order's side: exactly what the API documents, so the books never meet a third kind.
Side = Literal["buy", "sell"]

#: A trade_id the store can key on: 1 to 2**63 - 1 (SQLite's INTEGER), an int or its decimal string.
TradeId = Annotated[int, Field(ge=1, le=MAX_TRADE_ID)]

#: A timestamp field: tolerant parsing, fixed-width ISO UTC output.
Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    PlainSerializer(iso_utc, return_type=str, when_used="json-unless-none"),
]


class ExchangeModel(BaseModel):
    """Shared base: ignore fields we do not know yet, never coerce money through float."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ServerTime(ExchangeModel):
    iso: str
    epoch: float


class Product(ExchangeModel):
    id: str
    base_currency: str
    quote_currency: str
    quote_increment: DecimalStr
    base_increment: DecimalStr
    display_name: str | None = None
    min_market_funds: DecimalStr | None = None
    margin_enabled: bool | None = None
    post_only: bool | None = None
    limit_only: bool | None = None
    cancel_only: bool | None = None
    status: str = "online"
    status_message: str | None = None
    auction_mode: bool | None = None
    trading_disabled: bool | None = None
    fx_stablecoin: bool | None = None
    max_slippage_percentage: DecimalStr | None = None
    # Removed by Coinbase on 2022-06-30; older deployments and fixtures still send them.
    base_min_size: DecimalStr | None = None
    base_max_size: DecimalStr | None = None
    max_market_funds: DecimalStr | None = None


class Ticker(ExchangeModel):
    trade_id: int
    price: DecimalStr
    size: DecimalStr
    time: Timestamp
    bid: DecimalStr | None = None
    ask: DecimalStr | None = None
    volume: DecimalStr | None = None
    rfq_volume: DecimalStr | None = None
    conversions_volume: DecimalStr | None = None


class Stats(ExchangeModel):
    open: DecimalStr
    high: DecimalStr
    low: DecimalStr
    volume: DecimalStr
    last: DecimalStr | None = None
    volume_30day: DecimalStr | None = None
    rfq_volume_24hour: DecimalStr | None = None
    rfq_volume_30day: DecimalStr | None = None
    conversions_volume_24hour: DecimalStr | None = None
    conversions_volume_30day: DecimalStr | None = None


class Account(ExchangeModel):
    id: str
    currency: str
    balance: DecimalStr
    hold: DecimalStr
    available: DecimalStr
    profile_id: str | None = None
    trading_enabled: bool | None = None
    pending_deposit: DecimalStr | None = None


class Profile(ExchangeModel):
    id: str
    user_id: str | None = None
    name: str | None = None
    active: bool | None = None
    is_default: bool | None = None
    created_at: Timestamp | None = None


class Order(ExchangeModel):
    """An order; "pending" orders omit most optional fields, so nearly all are optional."""

    id: str
    product_id: str
    side: Side
    type: str | None = None
    status: str
    price: DecimalStr | None = None
    size: DecimalStr | None = None
    funds: DecimalStr | None = None
    specified_funds: DecimalStr | None = None
    time_in_force: str | None = None
    post_only: bool | None = None
    created_at: Timestamp
    done_at: Timestamp | None = None
    done_reason: str | None = None
    fill_fees: DecimalStr | None = None
    filled_size: DecimalStr | None = None
    executed_value: DecimalStr | None = None
    settled: bool | None = None
    profile_id: str | None = None
    stp: str | None = None
    expire_time: Timestamp | None = None
    market_type: str | None = None


class Fill(ExchangeModel):
    """One fill. ``trade_id`` is unique only within its product, and names the market trade: the
    maker's and the taker's fills of one trade share it (the store keys fills by label too)."""

    trade_id: TradeId
    product_id: str
    order_id: str
    side: Side
    price: DecimalStr
    size: DecimalStr
    fee: DecimalStr
    created_at: Timestamp
    liquidity: str | None = None
    settled: bool = False
    usd_volume: DecimalStr | None = None
    user_id: str | None = None
    profile_id: str | None = None
    funding_currency: str | None = None
    market_type: str | None = None


class FillPage(BaseModel):
    """One page of ``/fills`` with the cursors from its ``CB-BEFORE``/``CB-AFTER`` headers."""

    model_config = ConfigDict(frozen=True)

    fills: list[Fill] = Field(default_factory=list[Fill])
    before: str | None = None
    after: str | None = None
