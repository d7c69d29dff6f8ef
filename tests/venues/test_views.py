"""Each registered venue shows its live answers through its own ``views`` (``venues/<venue>/views.py``);
the core's ``live_views`` only finds the venue and asks it, naming no venue and no wire attribute."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from trade_tracker import live_views
from trade_tracker.errors import InvalidArgument, NotFound
from trade_tracker.venues.base import VenueId
from trade_tracker.venues.coinbase_advanced.models import AdvancedFill, Ticker
from trade_tracker.venues.coinbase_advanced.models import FillPage as AdvancedPage
from trade_tracker.venues.coinbase_exchange.models import Fill
from trade_tracker.venues.coinbase_exchange.models import FillPage as ExchangePage
from trade_tracker.venues.registry import VENUES
from trade_tracker.venues.views import COMMON_FILL_COLUMNS

LIVE_VIEWS = Path(live_views.__file__)


def test_the_core_view_names_no_venue_and_no_wire_attribute() -> None:
    tree = ast.parse(LIVE_VIEWS.read_text(encoding="utf-8"))
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docstrings}
    code_strings = {s for s in strings if isinstance(s, str)} - set(live_views.__all__)
    assert not {s for s in code_strings if s in VENUES or "coinbase" in s.lower()}
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    wire = {"product_id", "trade_id", "commission", "available_balance", "order_configuration", "cursor", "after"}
    assert not attributes & wire


@pytest.mark.parametrize("venue_id", list(VENUES))
def test_every_registered_venue_has_a_view_and_its_status_words(venue_id: VenueId) -> None:
    venue = VENUES[venue_id]
    assert venue.views.fill_columns[: len(COMMON_FILL_COLUMNS)] == COMMON_FILL_COLUMNS
    assert "all" in venue.info.order_statuses and "open" in venue.info.order_statuses
    assert live_views.statuses_of(venue_id) == venue.info.order_statuses
    assert set(venue.info.order_statuses) <= set(live_views.ORDER_STATUS_WORDS)


def test_an_unknown_venue_has_no_live_view() -> None:
    with pytest.raises(InvalidArgument, match="no live view for the venue 'nowhere'"):
        live_views.fill_columns("nowhere")


@pytest.mark.parametrize(
    ("venue_id", "asked", "sent"),
    [
        ("exchange", None, None),
        ("exchange", ["DONE", "open"], ["done", "open"]),
        ("exchange", ["all"], ["all"]),
        ("advanced", None, ["OPEN"]),
        ("advanced", ["all", "open"], None),
        ("advanced", ["done", "filled", "queued"], ["FILLED", "CANCELLED", "EXPIRED", "FAILED", "QUEUED"]),
    ],
)
def test_what_the_status_words_ask_of_each_venue(venue_id: str, asked: list[str] | None, sent: object) -> None:
    assert live_views.order_statuses(venue_id, "Venue", asked) == sent


def test_a_word_the_venue_does_not_take_is_refused_before_any_request() -> None:
    with pytest.raises(InvalidArgument, match="Coinbase Exchange has no order status 'filled'"):
        live_views.order_statuses("exchange", "Coinbase Exchange", ["filled"])


def test_each_venue_shows_its_fill_and_cursor() -> None:
    made = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    ex = Fill(
        trade_id=7, product_id="BTC-USD", order_id="o", side="buy", price=Decimal("100.50"), size=Decimal("1"),
        fee=Decimal("0.10"), created_at=made, liquidity="T", settled=True,
    )  # fmt: skip
    row = live_views.fill_values("exchange", ex)
    assert list(row) == live_views.fill_columns("exchange")
    assert (row["price"], row["fee"], row["created_at"]) == ("100.50", "0.10", "2025-01-02T03:04:05.000000Z")
    assert live_views.next_fill_cursor("exchange", ExchangePage(fills=[ex], after="6")) == "6"
    assert live_views.next_fill_cursor("exchange", ExchangePage(fills=[], after="6")) is None

    at = AdvancedFill.model_validate(
        {
            "entry_id": "e1",
            "trade_id": "t1",
            "order_id": "o1",
            "trade_time": "2025-01-02T03:04:05Z",
            "trade_type": "FILL",
            "price": "100.50",
            "size": "1",
            "commission": "0.10",
            "product_id": "BTC-USD",
            "sequence_timestamp": "2025-01-02T03:04:05Z",
            "liquidity_indicator": "MAKER",
            "side": "SELL",
        }  # fmt: skip
    )
    row = live_views.fill_values("advanced", at)
    assert list(row) == live_views.fill_columns("advanced")
    assert (row["side"], row["fee"], row["liquidity"], row["settled"]) == ("sell", "0.10", "M", True)
    assert live_views.next_fill_cursor("advanced", AdvancedPage(fills=[at], cursor="c2")) == "c2"
    assert live_views.next_fill_cursor("advanced", AdvancedPage(fills=[at], cursor="")) is None


def test_an_advanced_ticker_without_a_trade_is_not_found() -> None:
    with pytest.raises(NotFound, match="no trade of BTC-USD yet"):
        live_views.ticker_values("advanced", "BTC-USD", Ticker())
