"""The failure answers both venues word alike (``venues/answers.py``), and the settings both clients run with."""

from __future__ import annotations

from types import ModuleType

import httpx
import pytest

from trade_tracker.config import Settings
from trade_tracker.errors import ExchangeStatusError, ExchangeUnavailable, NotFound, RateLimited
from trade_tracker.venues.answers import common_status_error
from trade_tracker.venues.coinbase_advanced import answers as advanced
from trade_tracker.venues.coinbase_exchange import answers as exchange
from trade_tracker.venues.http import http_settings
from trade_tracker.venues.retries import RetryPolicy


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (404, NotFound, "GET /x: not found (404 nope); check the product or order id"),
        (429, RateLimited, "GET /x: still rate limited after 3 attempts (429 nope)"),
        (503, ExchangeUnavailable, "Venue at http://v failed on GET /x (503 nope) after retrying"),
        (418, ExchangeStatusError, "GET /x: unexpected answer (418 nope)"),
    ],
)
def test_common_status_error(status: int, kind: type[ExchangeStatusError], words: str) -> None:
    error = common_status_error(
        "GET /x", status, f"{status} nope", "nope", title="Venue", base_url="http://v", attempts=3
    )
    assert type(error) is kind
    assert words in str(error)
    assert (error.status_code, error.api_message) == (status, "nope")


@pytest.mark.parametrize(
    ("venue", "title"), [(advanced, "Coinbase Advanced Trade at http://v"), (exchange, "Coinbase Exchange at http://v")]
)
def test_each_venue_names_itself_in_a_5xx_and_keeps_its_own_400(venue: ModuleType, title: str) -> None:
    answer = httpx.Response(502, json={"message": "down"})
    error = venue.status_error("GET", "/x", answer, label="main", base_url="http://v", attempts=2)
    assert isinstance(error, ExchangeUnavailable) and title in str(error)
    bad = venue.status_error(
        "GET", "/x", httpx.Response(400, json={"message": "odd"}), label="main", base_url="http://v", attempts=1
    )
    assert type(bad).__name__ == "BadRequest" and "Coinbase rejected GET /x" in str(bad)


def test_http_settings_come_from_the_settings_and_a_retry_overrides() -> None:
    settings = Settings(http_timeout=7.0, connect_timeout=2.0, retry_attempts=4, retry_timeout=9.0)
    got = http_settings(settings)
    assert got["timeout"] == httpx.Timeout(7.0, connect=2.0)
    assert (got["retry"].attempts, got["retry"].timeout, got["attempt_timeout"]) == (4, 9.0, 7.0)
    mine = RetryPolicy(attempts=1)
    assert http_settings(settings, mine)["retry"] is mine
