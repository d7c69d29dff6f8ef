"""What a venue's key check proved, as the row records it, and the permission policy (venue-neutral).

A venue that reports a key's permissions (``VenueInfo.reports_permissions``: Advanced Trade's
``/key_permissions``) answers ``can_view`` / ``can_trade`` / ``can_transfer`` as "true"/"false":
they are recorded as they came, with the key's portfolio. trade-tracker needs only View, so a key
that can transfer funds is refused unless the owner says otherwise on purpose (``--allow-transfer-key``
/ ``allow_transfer_key=True``), and a key that can trade is stored with a warning. A venue that reports
nothing (Coinbase Exchange) records what its 200 proves (View) and Trade/Transfer as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import CredentialError
from .models import VERIFIED_BASIS, permissions_of

if TYPE_CHECKING:
    from ..venues.base import Venue

__all__ = [
    "PERMISSION_NAMES",
    "TRADE_WARNING",
    "TRANSFER_ALLOWED",
    "check_policy",
    "check_recorded",
    "portfolio_of",
    "profiles_of",
    "recorded_permissions",
]

#: Recorded beside the permissions when the user passed ``--allow-transfer-key`` for a key that can transfer.
TRANSFER_ALLOWED = "transfer_allowed"
#: The permissions a reporting venue's key check names, as recorded in ``credentials.permissions``.
PERMISSION_NAMES = ("can_view", "can_trade", "can_transfer")
TRADE_WARNING = (
    "this key can trade; trade-tracker never places an order and needs only View: create a View-only key "
    "and replace this one"
)


def recorded_permissions(venue: type[Venue], answer: Mapping[str, str]) -> dict[str, str]:
    """The ``permissions`` JSON of a key the venue accepted."""
    if venue.info.reports_permissions:
        return {name: str(answer.get(name, "unknown")) for name in PERMISSION_NAMES}
    return permissions_of("yes", VERIFIED_BASIS)


def portfolio_of(venue: type[Venue], answer: Mapping[str, str]) -> str | None:
    """The key's portfolio, recorded only for a venue that reports one with its permissions."""
    if not venue.info.reports_permissions:
        return None
    return answer.get("portfolio_uuid") or None


def profiles_of(answer: Mapping[str, str]) -> list[str | None]:
    """The account(s) the key reads (the label-history guard compares them with the stored fills')."""
    return [p for p in answer.get("portfolio_uuid", "").split(",") if p]


def check_policy(answer: Mapping[str, str], *, allow_transfer_key: bool) -> list[str]:
    """Refuse a key that can transfer (unless allowed); the warnings of one that can trade."""
    if answer.get("can_transfer") == "true" and not allow_transfer_key:
        raise CredentialError(
            "this key can transfer funds, which trade-tracker never needs: create a View-only key, or pass "
            "--allow-transfer-key to use it anyway"
        )
    warnings: list[str] = []
    if answer.get("can_transfer") == "true":
        warnings.append("this key can transfer funds (stored because you allowed it); a View-only key is safer")
    if answer.get("can_trade") == "true":
        warnings.append(TRADE_WARNING)
    return warnings


def check_recorded(label: str, permissions: Mapping[str, str] | None) -> None:
    """Refuse to use a stored key whose last check found it can transfer funds, unless the user allowed that
    (``--allow-transfer-key`` when adding or verifying it): a later check may find what the first did not
    (a key added with ``--no-verify``, or given more rights in the portal since)."""
    if permissions and permissions.get("can_transfer") == "true" and permissions.get(TRANSFER_ALLOWED) != "true":
        raise CredentialError(
            f"credential '{label}' can transfer funds (its last check said so), which trade-tracker never needs: "
            f"remove it (`trade-tracker credentials remove --label={label}`) and add a View-only key, or run "
            f"`trade-tracker credentials verify --label={label} --allow-transfer-key` to use it anyway"
        )
