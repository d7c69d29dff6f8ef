"""``VENUES``: every venue trade-tracker ships, by its public name, and the one lookup of a stored credential's.

Why a plain dict (no plugins, no entry points): both venues ship in-tree, and the venue of a credential
comes from its stored row, never from sniffing the key's shape: ``coinbase-exchange`` or ``coinbase-advanced``.
Importing this module loads only the venues' light classes, not their HTTP stack.
"""

from __future__ import annotations

from typing import get_args

from ..errors import ConfigError
from .base import LiveVenue, Venue, VenueClient, VenueId
from .coinbase_advanced.venue import CoinbaseAdvanced
from .coinbase_exchange.venue import CoinbaseExchange

__all__ = ["PUBLIC_VENUE_IDS", "VENUES", "venue_named", "venue_of_client", "venue_of_stored"]

VENUES: dict[VenueId, type[LiveVenue]] = {"exchange": CoinbaseExchange, "advanced": CoinbaseAdvanced}
#: Every public venue name (``--venue exchange|advanced``), registered in this release or not yet.
PUBLIC_VENUE_IDS: tuple[str, ...] = get_args(VenueId)


def venue_named(name: str) -> type[LiveVenue]:
    """The venue of a public name (``--venue``); one this release does not ship is a :class:`ConfigError`."""
    for venue_id, venue in VENUES.items():
        if venue_id == name:
            return venue
    raise ConfigError(
        f"the venue {name[:40]!r} is not available in this release (it knows {', '.join(sorted(VENUES))}); "
        "upgrade trade-tracker, or choose another --venue"
    )


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
