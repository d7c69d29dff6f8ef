"""``VENUES`` and its lookups: a stored credential's venue, a venue's client as its ``Venue``."""

from __future__ import annotations

import pytest

from trade_tracker.errors import ConfigError
from trade_tracker.venues import VENUES, Venue, venue_of_client, venue_of_stored
from trade_tracker.venues.coinbase_advanced import CoinbaseAdvanced
from trade_tracker.venues.coinbase_exchange import EXCHANGE, CoinbaseClient, CoinbaseExchange


def test_the_venues_by_public_name() -> None:
    assert VENUES == {"exchange": CoinbaseExchange, "advanced": CoinbaseAdvanced}
    assert all(name == venue.info.id for name, venue in VENUES.items())


def test_a_stored_credential_names_its_venue() -> None:
    assert venue_of_stored("coinbase-exchange") is CoinbaseExchange  # the credentials.exchange default
    assert venue_of_stored("exchange") is CoinbaseExchange
    assert venue_of_stored(None) is CoinbaseExchange  # the env credential
    assert venue_of_stored("coinbase-advanced") is CoinbaseAdvanced
    with pytest.raises(ConfigError, match="'nope'.*upgrade trade-tracker"):
        venue_of_stored("nope")


async def test_a_client_is_driven_as_its_venue() -> None:
    async with CoinbaseClient("https://example.invalid") as client:
        venue = venue_of_client(client)
        assert isinstance(venue, CoinbaseExchange) and isinstance(venue, Venue) and venue.client is client
        assert venue.requests_sent == 0


def test_exchange_facts_build_the_env_message() -> None:
    assert EXCHANGE.env_list() == "EX_API_KEY_READ / EX_API_SECRET_READ / EX_API_PASSPHRASE_READ"
    assert EXCHANGE.env_and() == "EX_API_KEY_READ, EX_API_SECRET_READ and EX_API_PASSPHRASE_READ"
    assert EXCHANGE.env_names == {
        "key": "EX_API_KEY_READ",
        "secret": "EX_API_SECRET_READ",
        "passphrase": "EX_API_PASSPHRASE_READ",
    }
    assert (EXCHANGE.fill_scope, EXCHANGE.mutable_fill_columns, EXCHANGE.max_fill_page) == (
        "product",
        ("settled", "fee"),
        100,
    )
