"""The MCP face's texts built from the venues' facts (``VenueInfo``, every venue in ``venues.registry``).

Why: tool descriptions, the server's instructions and the credential page name the venues ("Coinbase
Exchange", "Coinbase Advanced Trade"), their settings (``EX_BASE_URL``, ``AT_API_SECRET``...) and what
differs between them (fills per product or per account, page sizes, order statuses, sandbox or
production); a venue added to the registry must not mean editing each sentence. A text holds
placeholders (:func:`venue_text` lists them) filled from the registered venues; a tool's docstring (its
description) with :func:`venue_doc`. The venues come through ``venues.registry``, the faces' one door.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from trade_tracker.live_views import statuses_of
from trade_tracker.venues.base import VenueInfo
from trade_tracker.venues.registry import VENUES

__all__ = ["VENUE", "env_label", "venue_doc", "venue_lines", "venue_text"]

#: The default venue (``--venue`` and ``store_credential``'s ``venue`` default to it).
VENUE: VenueInfo = VENUES["exchange"].info

F = TypeVar("F", bound=Callable[..., Any])


def env_label(info: VenueInfo) -> str:
    """The label of a venue's env credential: ``env`` for Coinbase Exchange, ``env-<id>`` for the others."""
    return "env" if info.id == "exchange" else f"env-{info.id}"


def _infos() -> list[VenueInfo]:
    return [venue.info for venue in VENUES.values()]


def _default_place(info: VenueInfo) -> str:
    """Where a venue's keys go by default: its sandbox, or production when it has no usable sandbox."""
    if "sandbox" in info.default_url:
        return f"the {info.title} SANDBOX ({info.default_url}; sandbox data is not real)"
    return f"production ({info.default_url}): it has no sandbox that can read an account"


def venue_lines() -> str:
    """One line per venue: its id, its key, its env credential and its default base URL."""
    lines = []
    for info in _infos():
        key = "a CDP Secret API key" if info.key_field.multiline or info.secret_fields[0].multiline else "an API key"
        if info.reports_permissions:
            key += " (its permissions are checked)"
        lines.append(
            f"- {info.title} (venue {info.id}): {key} with View permission only; env credential {info.env_list()} "
            f"(label {env_label(info)}); {info.url_env} defaults to {_default_place(info)}."
        )
    return "\n".join(lines)


def _fill_scopes() -> str:
    parts = []
    for info in _infos():
        if info.fill_scope == "product":
            parts.append(f"{info.title} needs product_id or order_id")
        else:
            parts.append(f"{info.title} reads the whole account (product_id and order_id optional)")
    return "; ".join(parts) + "."


def _fill_pages() -> str:
    parts = []
    for info in _infos():
        walk = "one walk per product" if info.fill_scope == "product" else "one walk of the whole account"
        parts.append(f"{info.title}: {info.max_fill_page} fills a request, {walk}")
    return "; ".join(parts)


def _order_statuses() -> str:
    return "; ".join(f"{info.title}: {', '.join(statuses_of(info.id))}" for info in _infos())


def venue_text(text: str, venue: VenueInfo = VENUE) -> str:
    """``text`` with its placeholders filled: ``{title}``, ``{url_env}`` and ``{fill_page}`` from ``venue``'s
    facts; from every registered venue ``{venues}`` (their titles and ids), ``{venue_lines}``,
    ``{venue_ids}`` ("exchange or advanced"), ``{fill_scopes}``, ``{fill_pages}`` and ``{order_statuses}``."""
    infos = _infos()
    venues = " and ".join(f"{i.title} (venue {i.id})" for i in infos)
    venue_ids = " or ".join(i.id for i in infos)
    return text.format(
        title=venue.title,
        url_env=venue.url_env,
        fill_page=venue.max_fill_page,
        venues=venues,
        venue_ids=venue_ids,
        venue_lines=venue_lines(),
        fill_scopes=_fill_scopes(),
        fill_pages=_fill_pages(),
        order_statuses=_order_statuses(),
    )


def venue_doc(fn: F) -> F:
    """Fill the venues' facts into ``fn``'s docstring (a tool's description) when it is defined."""
    fn.__doc__ = venue_text(fn.__doc__ or "")
    return fn
