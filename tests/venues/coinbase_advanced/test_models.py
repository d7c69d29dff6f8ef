"""Advanced Trade models keep money and timestamps as the exact text sent; a fill as the store keeps it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from trade_tracker.store.fills import FILL_COLUMNS
from trade_tracker.venues.coinbase_advanced.models import AdvancedFill, Product

SAMPLE = {  # the CCXT fetchMyTrades sample (docs/advanced-trade-api.md), retail_portfolio_id added
    "entry_id": "b88b82cc89e326a2778874795102cbafd08dd979a2a7a3c69603fc4c23c2e010",
    "trade_id": "cdc39e45-bbd3-44ec-bf02-61742dfb16a1",
    "order_id": "813a53c5-3e39-47bb-863d-2faf685d22d8",
    "trade_time": "2023-01-18T01:37:38.091377090Z",
    "trade_type": "FILL",
    "price": "21220.64",
    "size": "0.0046830664333996",
    "commission": "0.0000280983986004",
    "product_id": "BTC-USDT",
    "sequence_timestamp": "2023-01-18T01:37:38.092520Z",
    "liquidity_indicator": "UNKNOWN_LIQUIDITY_INDICATOR",
    "size_in_quote": True,
    "user_id": "1111111-1111-1111-1111-111111111111",
    "side": "BUY",
    "retail_portfolio_id": "p-1",
}


def test_row_values_follow_spec_15() -> None:
    row = AdvancedFill.model_validate(SAMPLE).row_values("main")
    assert list(row)[: len(FILL_COLUMNS)] == list(FILL_COLUMNS)
    assert row == {
        "product_id": "BTC-USDT",
        "trade_id": SAMPLE["trade_id"],
        "order_id": SAMPLE["order_id"],
        "side": "buy",
        "price": "21220.64",
        "size": "0.0046830664333996",
        "fee": "0.0000280983986004",
        "usd_volume": None,
        "liquidity": None,
        "settled": 1,
        "created_at": "2023-01-18T01:37:38.091377Z",
        "profile_id": "p-1",
        "user_id": SAMPLE["user_id"],
        "funding_currency": None,
        "market_type": None,
        "label": "main",
        "venue": "advanced",
        "fill_key": SAMPLE["entry_id"],
        "entry_id": SAMPLE["entry_id"],
        "trade_type": "FILL",
        "sequence_timestamp": "2023-01-18T01:37:38.092520Z",
        "trade_time": "2023-01-18T01:37:38.091377090Z",
        "size_in_quote": 1,
        "commission": "0.0000280983986004",
        "liquidity_indicator": "UNKNOWN_LIQUIDITY_INDICATOR",
        "retail_portfolio_id": "p-1",
    }


@pytest.mark.parametrize(("indicator", "letter"), [("MAKER", "M"), ("TAKER", "T"), (None, None)])
def test_liquidity_letter(indicator: str | None, letter: str | None) -> None:
    fill = AdvancedFill.model_validate(SAMPLE | {"liquidity_indicator": indicator, "side": "SELL"})
    row = fill.row_values("x")
    assert row["liquidity"] == letter and row["side"] == "sell" and row["liquidity_indicator"] == indicator


def test_exact_strings_and_numbers_without_float() -> None:
    fill = AdvancedFill.model_validate(SAMPLE | {"size": "0.00000010", "price": Decimal("1E-7"), "commission": 0})
    assert (fill.size, fill.price, fill.commission) == ("0.00000010", "0.0000001", "0")


@pytest.mark.parametrize(
    "bad",
    [
        {"price": "abc"},
        {"price": "NaN"},
        {"size": True},
        {"commission": 0.1},
        {"price": "1E+999"},
        {"trade_time": "soon"},
        {"side": "buy"},
        {"entry_id": ""},
    ],
)
def test_bad_fields_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AdvancedFill.model_validate(SAMPLE | bad)


def test_product_tolerates_empty_and_numeric_fields() -> None:
    product = Product.model_validate({"product_id": "BTC-USD", "price": "", "quote_increment": 1, "extra": 1})
    assert product.price is None and product.quote_increment == "1"


def test_key_permissions_as_the_key_check() -> None:
    from trade_tracker.venues.coinbase_advanced.models import KeyPermissions

    permissions = KeyPermissions.model_validate(
        {
            "can_view": True,
            "can_trade": False,
            "can_transfer": True,
            "portfolio_uuid": "p-1",
            "portfolio_type": "DEFAULT",
        }
    )
    assert permissions.as_check() == {
        "can_view": "true",
        "can_trade": "false",
        "can_transfer": "true",
        "portfolio_uuid": "p-1",
        "portfolio_type": "DEFAULT",
    }
