"""Models: exact decimals, tolerant timestamps and ids, the docs' JSON samples verbatim."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from trade_tracker.formats import decimal_text, iso_utc, parse_timestamp
from trade_tracker.venues.coinbase_exchange.models import (
    Account,
    Fill,
    FillPage,
    Order,
    Product,
    Profile,
    ServerTime,
    Stats,
    Ticker,
)

# -- the docs' samples, verbatim (docs/coinbase-exchange-api.md, "JSON samples") ------------------

PRODUCT_CCXT = """{
  "id": "BTC-USD",
  "base_currency": "BTC",
  "quote_currency": "USD",
  "base_min_size": "0.000016",
  "base_max_size": "1500",
  "quote_increment": "0.01",
  "base_increment": "0.00000001",
  "display_name": "BTC/USD",
  "min_market_funds": "1",
  "max_market_funds": "20000000",
  "margin_enabled": false,
  "fx_stablecoin": false,
  "max_slippage_percentage": "0.02000000",
  "post_only": false,
  "limit_only": false,
  "cancel_only": false,
  "trading_disabled": false,
  "status": "online",
  "status_message": "",
  "auction_mode": false
}"""

PRODUCTS_DOCS = """[
  {
    "id": "BTC-USD",
    "base_currency": "BTC",
    "quote_currency": "USD",
    "quote_increment": "0.01000000",
    "base_increment": "0.00000001",
    "display_name": "BTC/USD",
    "min_market_funds": "10",
    "margin_enabled": false,
    "post_only": false,
    "limit_only": false,
    "cancel_only": false,
    "status": "online",
    "status_message": "",
    "auction_mode": true
  }
]"""

TICKER = """{
    "ask": "73369.19",
    "bid": "73360.34",
    "volume": "1207.50668151",
    "trade_id": "18502105",
    "price": "73367.8",
    "size": "0.00730812",
    "time": "2024-03-13T11:10:41.270099Z",
    "rfq_volume": "7.669923"
}"""

STATS = """{
  "open": "5414.18000000",
  "high": "6441.37000000",
  "low": "5261.69000000",
  "volume": "53687.76764233",
  "last": "6250.02000000",
  "volume_30day": "786763.72930864",
  "rfq_volume_24hour": "78.23",
  "conversions_volume_24hour": "0.000000",
  "rfq_volume_30day": "0.000000",
  "conversions_volume_30day": "0.000000"
}"""

FILLS = """[
  {
    "created_at": "2019-11-21T01:38:23.878Z",
    "trade_id": 78098253,
    "product_id": "BTC-USD",
    "order_id": "41473628-db2c-464e-b9f4-82df7e4fb4f4",
    "user_id": "5cf6e115aaf44503db300f1e",
    "profile_id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
    "liquidity": "T",
    "price": "8087.38000000",
    "size": "0.00601800",
    "fee": "0.2433492642000000",
    "side": "sell",
    "settled": true,
    "usd_volume": "48.6698528400000000",
    "funding_currency": "USDC"
  }
]"""

ACCOUNTS = """[
  {
    "id": "7fd0abc0-e5ad-4cbb-8d54-f2b3f43364da",
    "currency": "USD",
    "balance": "0.0000000000000000",
    "hold": "0.0000000000000000",
    "available": "0",
    "profile_id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
    "trading_enabled": true
  }
]"""

PROFILES = """[
  {
    "id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
    "user_id": "5cf6e115aaf44503db300f1e",
    "name": "default",
    "active": true,
    "is_default": true,
    "created_at": "2019-06-04T21:22:32.226Z"
  }
]"""


def _roundtrip_strings(raw: str, dumped: dict[str, object]) -> None:
    """Every string value in the sample comes back byte-for-byte in model_dump(mode='json')."""
    source = json.loads(raw)
    for key, value in source.items():
        if isinstance(value, str) and key in dumped and key not in ("time", "created_at", "trade_id"):
            assert dumped[key] == value, key


def test_product_ccxt_sample_with_removed_fields() -> None:
    product = Product.model_validate_json(PRODUCT_CCXT)
    assert product.id == "BTC-USD"
    assert product.base_min_size == Decimal("0.000016")
    assert product.max_market_funds == Decimal("20000000")
    assert product.trading_disabled is False
    _roundtrip_strings(PRODUCT_CCXT, product.model_dump(mode="json"))


def test_product_docs_sample_without_removed_fields() -> None:
    (product,) = TypeAdapter(list[Product]).validate_json(PRODUCTS_DOCS)
    assert product.base_min_size is None and product.max_market_funds is None
    assert product.auction_mode is True
    assert product.status == "online"
    dumped = product.model_dump(mode="json")
    assert dumped["quote_increment"] == "0.01000000"
    assert dumped["base_increment"] == "0.00000001"
    _roundtrip_strings(PRODUCTS_DOCS[PRODUCTS_DOCS.index("{") : PRODUCTS_DOCS.rindex("}") + 1], dumped)


def test_ticker_sample_with_string_trade_id() -> None:
    ticker = Ticker.model_validate_json(TICKER)
    assert ticker.trade_id == 18502105
    assert ticker.price == Decimal("73367.8")
    assert ticker.time == datetime(2024, 3, 13, 11, 10, 41, 270099, tzinfo=UTC)
    assert ticker.conversions_volume is None
    _roundtrip_strings(TICKER, ticker.model_dump(mode="json"))


def test_ticker_int_trade_id() -> None:
    data = json.loads(TICKER) | {"trade_id": 18502105}
    assert Ticker.model_validate(data).trade_id == 18502105


def test_stats_sample() -> None:
    stats = Stats.model_validate_json(STATS)
    assert stats.volume == Decimal("53687.76764233")
    dumped = stats.model_dump(mode="json")
    assert dumped["conversions_volume_24hour"] == "0.000000"
    _roundtrip_strings(STATS, dumped)


def test_fills_sample() -> None:
    (fill,) = TypeAdapter(list[Fill]).validate_json(FILLS)
    assert fill.trade_id == 78098253
    assert fill.settled is True
    assert fill.liquidity == "T"
    assert fill.created_at == datetime(2019, 11, 21, 1, 38, 23, 878000, tzinfo=UTC)
    dumped = fill.model_dump(mode="json")
    assert dumped["fee"] == "0.2433492642000000"  # 16 places, exact
    assert dumped["usd_volume"] == "48.6698528400000000"
    assert dumped["created_at"] == "2019-11-21T01:38:23.878000Z"
    _roundtrip_strings(FILLS[FILLS.index("{") : FILLS.rindex("}") + 1], dumped)


def test_accounts_sample() -> None:
    (account,) = TypeAdapter(list[Account]).validate_json(ACCOUNTS)
    dumped = account.model_dump(mode="json")
    assert dumped["balance"] == "0.0000000000000000"
    assert dumped["available"] == "0"
    assert account.trading_enabled is True
    _roundtrip_strings(ACCOUNTS[ACCOUNTS.index("{") : ACCOUNTS.rindex("}") + 1], dumped)


def test_profiles_sample() -> None:
    (profile,) = TypeAdapter(list[Profile]).validate_json(PROFILES)
    assert profile.is_default is True
    assert profile.created_at == datetime(2019, 6, 4, 21, 22, 32, 226000, tzinfo=UTC)


def test_server_time_sample() -> None:
    t = ServerTime.model_validate_json('{"iso": "2015-01-07T23:47:25.201Z", "epoch": 1420674445.201}')
    assert t.epoch == pytest.approx(1420674445.201)


# -- exact money -----------------------------------------------------------------------------

_FILL = json.loads(FILLS)[0]


@pytest.mark.parametrize(
    "text",
    [
        "0.00000010",
        "0.2433492642000000",
        "0",
        "0.0000000000000000",
        "123456789012345678.123456789012345678",
        "1.10",
        "-0.5",
        "100",
    ],
)
def test_decimal_survives_json_dump_byte_for_byte(text: str) -> None:
    fill = Fill.model_validate(_FILL | {"size": text, "fee": text})
    dumped = fill.model_dump(mode="json")
    assert dumped["size"] == text
    assert dumped["fee"] == text
    assert json.loads(fill.model_dump_json())["size"] == text
    assert fill.size == Decimal(text)


def test_decimal_text_never_uses_exponent() -> None:
    assert str(Decimal("0.00000010")) == "1.0E-7"  # why decimal_text exists
    assert decimal_text(Decimal("0.00000010")) == "0.00000010"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=16, min_value=-(10**12), max_value=10**12))
def test_decimal_property_roundtrip(value: Decimal) -> None:
    text = decimal_text(value)
    fill = Fill.model_validate(_FILL | {"price": text})
    assert fill.model_dump(mode="json")["price"] == text
    assert Decimal(text) == value


@pytest.mark.parametrize("bad", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "-inf"])
def test_nan_and_infinity_rejected(bad: str) -> None:
    with pytest.raises(ValidationError):
        Fill.model_validate(_FILL | {"price": bad})
    with pytest.raises(ValidationError):
        Stats.model_validate(json.loads(STATS) | {"volume": bad})


def test_non_numeric_money_rejected() -> None:
    with pytest.raises(ValidationError):
        Fill.model_validate(_FILL | {"fee": "a lot"})


# -- ids and timestamps ----------------------------------------------------------------------


@pytest.mark.parametrize("trade_id", [78098253, "78098253"])
def test_fill_trade_id_int_or_string(trade_id: int | str) -> None:
    assert Fill.model_validate(_FILL | {"trade_id": trade_id}).trade_id == 78098253


@pytest.mark.parametrize("bad", ["abc", "1.5", None])
def test_fill_bad_trade_id_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        Fill.model_validate(_FILL | {"trade_id": bad})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-21T01:38:23.878Z", datetime(2019, 11, 21, 1, 38, 23, 878000, tzinfo=UTC)),
        ("2019-11-21T01:38:23.53864Z", datetime(2019, 11, 21, 1, 38, 23, 538640, tzinfo=UTC)),
        ("2014-11-06T10:34:47.123456Z", datetime(2014, 11, 6, 10, 34, 47, 123456, tzinfo=UTC)),
        ("2014-11-06T10:34:47.123456789Z", datetime(2014, 11, 6, 10, 34, 47, 123456, tzinfo=UTC)),
        ("2014-11-06T10:34:47.1Z", datetime(2014, 11, 6, 10, 34, 47, 100000, tzinfo=UTC)),
        ("2014-11-06T10:34:47Z", datetime(2014, 11, 6, 10, 34, 47, tzinfo=UTC)),
        ("2022-12-21 00:48:45.477503+00", datetime(2022, 12, 21, 0, 48, 45, 477503, tzinfo=UTC)),
        ("2022-12-21T00:48:45.477503+00:00", datetime(2022, 12, 21, 0, 48, 45, 477503, tzinfo=UTC)),
        ("2022-12-21T02:48:45+0200", datetime(2022, 12, 21, 0, 48, 45, tzinfo=UTC)),
        ("2022-12-21T00:48:45.5", datetime(2022, 12, 21, 0, 48, 45, 500000, tzinfo=UTC)),
    ],
)
def test_timestamps_of_every_shape(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    fill = Fill.model_validate(_FILL | {"created_at": text})
    assert fill.created_at == expected
    assert fill.model_dump(mode="json")["created_at"] == iso_utc(expected)


@pytest.mark.parametrize("bad", ["yesterday", "2019-11-21", "2019-13-21T01:38:23Z", "", "2019-11-21T01:38:23.Z"])
def test_bad_timestamps_rejected(bad: str) -> None:
    with pytest.raises(ValidationError):
        Fill.model_validate(_FILL | {"created_at": bad})


def test_iso_utc_is_fixed_width() -> None:
    assert iso_utc(datetime(2019, 11, 21, 1, 38, 23, tzinfo=UTC)) == "2019-11-21T01:38:23.000000Z"
    assert len(iso_utc(parse_timestamp("2022-12-21 00:48:45.4+00"))) == 27


def test_iso_utc_zero_pads_years_before_1000() -> None:
    """Stored times sort as text: year 999 must be '0999', never '999' (glibc's strftime)."""
    assert iso_utc(datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "0999-01-02T03:04:05.000006Z"
    assert iso_utc(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"
    assert iso_utc(parse_timestamp("0999-12-31T23:00:00-02:00")) == "1000-01-01T01:00:00.000000Z"
    assert sorted([iso_utc(datetime(y, 1, 1, tzinfo=UTC)) for y in (2024, 999, 5)])[0].startswith("0005")


@pytest.mark.parametrize("bad", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamps_outside_the_utc_calendar_are_refused_not_a_crash(bad: str) -> None:
    with pytest.raises(ValidationError, match="out of range"):
        Fill.model_validate(_FILL | {"created_at": bad})


# -- tolerance -------------------------------------------------------------------------------


def test_unknown_new_fields_ignored() -> None:
    fill = Fill.model_validate(_FILL | {"brand_new_field": {"x": 1}, "rebate": "0.01"})
    assert "brand_new_field" not in fill.model_dump()
    ticker = Ticker.model_validate(json.loads(TICKER) | {"conversions_volume": "1.5", "future": True})
    assert ticker.conversions_volume == Decimal("1.5")


def test_pending_order_with_few_fields() -> None:
    order = Order.model_validate(
        {
            "id": "41473628-db2c-464e-b9f4-82df7e4fb4f4",
            "product_id": "BTC-USD",
            "side": "buy",
            "status": "pending",
            "created_at": "2024-01-01T00:00:00.1Z",
            "size": "0.00000010",
        }
    )
    assert order.model_dump(mode="json")["size"] == "0.00000010"
    assert order.stp is None and order.time_in_force is None


def test_required_fields_enforced() -> None:
    missing = dict(_FILL)
    del missing["price"]
    with pytest.raises(ValidationError):
        Fill.model_validate(missing)


def test_fill_page_defaults() -> None:
    page = FillPage()
    assert page.fills == [] and page.before is None and page.after is None


def test_models_are_frozen() -> None:
    fill = Fill.model_validate(_FILL)
    with pytest.raises(ValidationError):
        fill.price = Decimal("1")  # type: ignore[misc]


@pytest.mark.parametrize("text", ["2024-03-01 04:00", "2024-03-01T04:00Z", "2024-03-01T04:00:00"])
def test_timestamps_without_seconds_or_zone_are_utc(text: str) -> None:
    assert iso_utc(parse_timestamp(text)) == "2024-03-01T04:00:00.000000Z"


# -- inputs checked once, at the adapter ------------------------------------------------------


def test_decimal_inputs_are_taken_exactly() -> None:
    """The client decodes JSON numbers as Decimal; the models take them (and strings) as they are."""
    exact = Decimal("123456789012345678.123456789")
    fill = Fill.model_validate(_FILL | {"price": exact, "size": "0.00000010"})
    assert fill.price == exact and fill.model_dump(mode="json")["price"] == "123456789012345678.123456789"
    assert fill.model_dump(mode="json")["size"] == "0.00000010"


@pytest.mark.parametrize("side", ["long", "BUY", "Sell", " buy", "", None])
def test_side_must_be_buy_or_sell(side: object) -> None:
    with pytest.raises(ValidationError, match="side"):
        Fill.model_validate(_FILL | {"side": side})
    with pytest.raises(ValidationError, match="side"):
        Order.model_validate(
            {"id": "o", "product_id": "BTC-USD", "side": side, "status": "done", "created_at": "2024-03-01T00:00:00Z"}
        )


@pytest.mark.parametrize("bad", [0, -1, 2**63, str(2**63), Decimal(2**63)])
def test_trade_id_outside_the_store_key_rejected(bad: object) -> None:
    with pytest.raises(ValidationError, match="trade_id"):
        Fill.model_validate(_FILL | {"trade_id": bad})


@pytest.mark.parametrize("good", [1, 2**63 - 1, str(2**63 - 1), Decimal(74)])
def test_trade_id_within_the_store_key_accepted(good: object) -> None:
    assert Fill.model_validate(_FILL | {"trade_id": good}).trade_id == int(good)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "bad", ["1E+50000000", "0E-50000000", "-1e-50000000", "1E+41", "1E-41", Decimal("1E+50000000"), "0." + "0" * 41]
)
def test_absurd_exponents_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="exponent"):
        Fill.model_validate(_FILL | {"fee": bad})
    with pytest.raises(ValidationError, match="exponent"):
        Account.model_validate({"id": "a", "currency": "BTC", "balance": bad, "hold": "0", "available": "0"})


@pytest.mark.parametrize("edge", ["1E+40", "1E-40", "9" * 41, "0." + "0" * 39 + "1", "0.0000000000000000"])
def test_numbers_at_the_exponent_bound_accepted(edge: str) -> None:
    fill = Fill.model_validate(_FILL | {"fee": edge})
    assert Decimal(fill.model_dump(mode="json")["fee"]) == Decimal(edge)


def test_epoch_numbers_as_decimal_and_out_of_range() -> None:
    assert parse_timestamp(Decimal("1420674445.201")) == datetime(2015, 1, 7, 23, 47, 25, 201000, tzinfo=UTC)
    for bad in (Decimal("1E+30"), 10**30, float("inf")):
        with pytest.raises(ValueError, match="out of range"):
            parse_timestamp(bad)
    with pytest.raises(ValidationError):  # a ValidationError, not an OverflowError escaping the adapter
        Fill.model_validate(_FILL | {"created_at": 10**30})
