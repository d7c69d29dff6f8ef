"""``VENUES``: every venue trade-tracker ships, by its public name, and the one lookup of a stored credential's.

Why a plain dict (no plugins, no entry points): both venues ship in-tree, and the venue of a credential
comes from its stored row, never from sniffing the key's shape: ``coinbase-exchange`` or ``coinbase-advanced``.
Importing this module loads only the venues' light classes, not their HTTP stack.
"""

from __future__ import annotations

from ..errors import ConfigError
from .base import Venue, VenueClient, VenueId
from .coinbase_advanced.venue import CoinbaseAdvanced
from .coinbase_exchange.venue import CoinbaseExchange

__all__ = ["VENUES", "venue_of_client", "venue_of_stored"]

VENUES: dict[VenueId, type[Venue]] = {"exchange": CoinbaseExchange, "advanced": CoinbaseAdvanced}


def venue_of_stored(stored: str | None) -> type[Venue]:
    """The venue of a stored credential row, from its ``credentials.exchange`` column (``coinbase-exchange``
    or ``coinbase-advanced``; a venue's public name is accepted too). None (the ``env`` credential) is
    Coinbase Exchange."""
    if stored is None:
        return CoinbaseExchange
    for venue in VENUES.values():
        if stored in (venue.info.stored_as, venue.info.id):
            return venue
    raise ConfigError(  # a row written by a newer release
        f"a stored credential names the venue {stored[:40]!r}, which this release does not know "
        f"(it knows {', '.join(sorted(VENUES))}); upgrade trade-tracker, or remove that credential"
    )


def venue_of_client(client: VenueClient) -> Venue:
    """``client`` (a venue's REST client, e.g. ``CoinbaseClient``) as the :class:`Venue` it serves."""
    venue = next((v for name, v in VENUES.items() if name == client.venue_id), None)
    if venue is None:
        raise ConfigError(f"no venue is registered for a client of venue {client.venue_id!r}")
    return venue.wrap(client)
