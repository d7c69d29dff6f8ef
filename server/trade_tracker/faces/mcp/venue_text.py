"""The MCP face's texts built from the venue's facts (``VenueInfo``), not typed into them.

Why: tool descriptions, the server's instructions and the credential page name the venue ("Coinbase
Exchange"), its base-URL setting (``EX_BASE_URL``) and its page size; a second venue (issue 15) must not
mean editing each sentence. A text holds ``{title}``, ``{url_env}`` or ``{fill_page}`` and is filled from
:data:`VENUE` with :func:`venue_text`; a tool's docstring (its description) with :func:`venue_doc`.
The venue comes through ``venues.registry``, the faces' one door to the venues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from trade_tracker.venues.base import VenueInfo
from trade_tracker.venues.registry import VENUES

__all__ = ["VENUE", "venue_doc", "venue_text"]

#: The venue the tools serve (the only one until issue 15 adds ``advanced``).
VENUE: VenueInfo = VENUES["exchange"].info

F = TypeVar("F", bound=Callable[..., Any])


def venue_text(text: str, venue: VenueInfo = VENUE) -> str:
    """``text`` with ``{title}``, ``{url_env}`` and ``{fill_page}`` filled from ``venue``'s facts."""
    return text.format(title=venue.title, url_env=venue.url_env, fill_page=venue.max_fill_page)


def venue_doc(fn: F) -> F:
    """Fill the venue's facts into ``fn``'s docstring (a tool's description) when it is defined."""
    fn.__doc__ = venue_text(fn.__doc__ or "")
    return fn
