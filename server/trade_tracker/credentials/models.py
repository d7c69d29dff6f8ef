"""What the credential service answers, and the checks and texts it shares with both faces.

Kept apart from ``service.py`` (which needs the venue's client) so the faces can show a credential
and word a hint without loading the HTTP stack.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..labels import check_label

__all__ = [
    "EXCHANGE",
    "VERIFIED_BASIS",
    "VIEW_ONLY_WARNING",
    "AddResult",
    "CredentialInfo",
    "RotationResult",
    "VerifyStatus",
    "add_command_hint",
    "credential_info",
    "permissions_of",
]

EXCHANGE = "coinbase-exchange"

VIEW_ONLY_WARNING = (
    "Coinbase Exchange does not report a key's permissions, so trade-tracker cannot tell whether this key "
    "can trade or transfer. trade-tracker needs only View: if this key also has Trade or Transfer, create a "
    "View-only key on Coinbase Exchange and replace this one."
)

VerifyStatus = Literal["verified", "unverified", "skipped", "rejected"]


def add_command_hint(label: str) -> str:
    """The CLI command that stores a credential under ``label`` (for clients without URL elicitation)."""
    return f"trade-tracker credentials add --label={check_label(label)}"


class CredentialInfo(BaseModel):
    """What may be shown about a credential: never the key, secret or passphrase."""

    model_config = ConfigDict(frozen=True)

    label: str
    exchange: str = EXCHANGE
    fingerprint: str
    created_at: str | None = None
    last_verified_at: str | None = None
    verify_status: str | None = None
    #: ``{"view": "yes"|"unknown", "trade": "unknown", "transfer": "unknown", "basis": "..."}``
    permissions: dict[str, str] | None = None
    source: Literal["stored", "env"] = "stored"
    base_url: str | None = None
    #: the key's portfolio, for a venue whose key check reports one (None for Coinbase Exchange)
    portfolio: str | None = None


class AddResult(BaseModel):
    """The stored credential's public info and the warnings to show the user."""

    model_config = ConfigDict(frozen=True)

    info: CredentialInfo
    warnings: list[str] = []


class RotationResult(BaseModel):
    """What ``rotate-key`` did."""

    model_config = ConfigDict(frozen=True)

    rows: int
    key_source: str
    old_keys_dropped: bool
    keys_configured: int
    message: str


def permissions_of(view: str, basis: str) -> dict[str, str]:
    """What is known of a key's permissions: View as given, Trade and Transfer unknown (see the module)."""
    return {"view": view, "trade": "unknown", "transfer": "unknown", "basis": basis}


VERIFIED_BASIS = (
    "GET /accounts answered 200, which proves View. Coinbase Exchange has no endpoint that reports a key's "
    "permissions, and trade-tracker never sends an order or transfer to find out, so Trade and Transfer are unknown."
)


def credential_info(row: tuple[Any, ...]) -> CredentialInfo:
    """A ``credentials`` row (label, exchange, base_url, fingerprint, created, verified, status, permissions
    and, optionally, portfolio: ``store.credential_rows.CREDENTIAL_LIST_COLUMNS``)."""
    label, exchange, base_url, fingerprint, created, verified, status, permissions = row[:8]
    portfolio = row[8] if len(row) > 8 else None
    try:
        perms = json.loads(permissions) if permissions else None
    except ValueError:
        perms = None
    return CredentialInfo(
        label=label,
        exchange=exchange,
        base_url=base_url,
        fingerprint=fingerprint,
        created_at=created,
        last_verified_at=verified,
        verify_status=status,
        permissions=perms if isinstance(perms, dict) else None,
        portfolio=portfolio,
    )
