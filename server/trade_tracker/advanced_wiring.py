"""Which Coinbase Advanced Trade env key a label names, and that key: the app's wiring for ``env-advanced``.

Why its own module: ``credentials/`` builds a STORED key of any venue through the venue's hooks
(``CredentialService.open_stored``, which also checks its binding to ``AT_BASE_URL``), but the
``env-advanced`` credential (``AT_API_KEY_NAME`` / ``AT_API_SECRET``) is read from the settings on every use
and never stored. This module is the smallest bridge ``app.client_for`` needs for it: which label names it
(the default one too, when it is the only credential) and its change stamp. The key is built by the
venue's hook (``VENUES["advanced"].credential_from_fields``), never by sniffing its shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .credentials.env import ENV_ADVANCED_LABEL, env_advanced_credential, env_advanced_stamp
from .errors import CredentialNotFound
from .venues.registry import VENUES

if TYPE_CHECKING:
    from .credentials.service import CredentialService

__all__ = ["ADVANCED_STORED", "advanced_key", "advanced_label", "advanced_stamp"]

#: The ``credentials.exchange`` value of a Coinbase Advanced Trade key (SPEC-15 ``VenueInfo.stored_as``).
ADVANCED_STORED = VENUES["advanced"].info.stored_as


def advanced_label(credentials: CredentialService, label: str | None) -> str | None:
    """``label`` when it names an Advanced Trade credential (``env-advanced``, or a stored row of venue
    ``coinbase-advanced``); with no label, ``env-advanced`` when it is the only credential there is.
    None: an Exchange credential (or an unknown label, which the Exchange path reports)."""
    settings = credentials.settings
    if label is None:
        alone = not settings.env_credential_present and not any(i.source == "stored" for i in credentials.list())
        return ENV_ADVANCED_LABEL if alone and settings.at_env_credential_present else None
    if label == ENV_ADVANCED_LABEL:
        if env_advanced_credential(settings) is None:
            raise CredentialNotFound(
                "no env-advanced credential: set AT_API_KEY_NAME and AT_API_SECRET (a Coinbase Advanced Trade CDP key)"
            )
        return label
    # a stored row (``coinbase-advanced`` or not) goes the venue-neutral way: ``CredentialService.open_stored``
    # builds its key through its venue's hook and checks its binding to ``AT_BASE_URL``
    return None


def advanced_stamp(credentials: CredentialService, label: str) -> str | None:
    """The change stamp of ``label``'s Advanced Trade credential (None when it is gone)."""
    if label == ENV_ADVANCED_LABEL:
        settings = credentials.settings
        return env_advanced_stamp(settings) if env_advanced_credential(settings) is not None else None
    return credentials.stamp(label)


def advanced_key(credentials: CredentialService, label: str) -> tuple[Any, str]:
    """The CDP key of the ``env-advanced`` credential and its stamp (a stored key is read by
    ``CredentialService.open_stored``)."""
    settings = credentials.settings
    if label != ENV_ADVANCED_LABEL:
        raise CredentialNotFound(f"no env credential labelled {label!r}")
    return env_advanced_credential(settings), env_advanced_stamp(settings)
