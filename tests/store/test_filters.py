"""The one ``Filters`` object the faces build and every store reader takes: checked once, one WHERE clause."""

from __future__ import annotations

import dataclasses
import re

import pytest

from trade_tracker.errors import InvalidArgument
from trade_tracker.formats import check_limit
from trade_tracker.store import NO_FILTERS, Filters


def test_of_checks_and_normalises_what_came_from_outside() -> None:
    filters = Filters.of(product_id="btc-usd", side="SELL", since="2024-03-01", until="2024-03-02", label="main")
    assert filters == Filters("BTC-USD", "sell", "2024-03-01T00:00:00.000000Z", "2024-03-02T23:59:59.999999Z", "main")
    assert Filters.of(label="") == NO_FILTERS  # an empty label means every label, as the summary always read it
    with pytest.raises(dataclasses.FrozenInstanceError):
        filters.label = "other"  # pyright: ignore[reportAttributeAccessIssue]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"product_id": "BTC"}, "product_id must look like BASE-QUOTE"),
        ({"side": "long"}, "side must be 'buy' or 'sell' (got 'long')"),
        ({"since": "2024-03-02", "until": "2024-03-01"}, "is after until"),
    ],
)
def test_of_refuses_bad_filters_naming_them(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        Filters.of(**kwargs)


def test_where_is_fixed_text_with_every_value_a_parameter() -> None:
    assert NO_FILTERS.where() == ("", [])
    where, params = Filters.of(product_id="ETH-USD", until="2024-01-01", label="x' OR 1=1").where()
    assert where == " WHERE product_id = ? AND created_at <= ? AND label = ?"
    assert params == ["ETH-USD", "2024-01-01T23:59:59.999999Z", "x' OR 1=1"]


@pytest.mark.parametrize("value", [0, 201, True, "5", 1.0, None])
def test_check_limit_refuses_anything_but_a_whole_number_in_range(value: object) -> None:
    with pytest.raises(InvalidArgument, match=r"^rows must be a whole number from 1 to 200$"):
        check_limit(value, 200, "rows")


def test_check_limit_returns_the_value() -> None:
    assert check_limit(1, 1) == 1 and check_limit(200, 200, "limit") == 200
