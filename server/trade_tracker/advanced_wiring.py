"""Which Coinbase Advanced Trade key a label names, and that key: the app's wiring for the second venue.

Why its own module: until ``credentials/`` builds any venue's typed key (SPEC-15's venue hooks, branch
c2-creds), :class:`~trade_tracker.credentials.service.CredentialService` reads Exchange keys only. This
module is the smallest bridge ``app.client_for`` needs: the ``env-advanced`` credential
(``AT_API_KEY_NAME`` / ``AT_API_SECRET``) and a stored row of venue ``coinbase-advanced`` (key name in
``key_ct``, private key in ``secret_ct``, bound to ``AT_BASE_URL``), each with its change stamp. The key
is built by the venue's hook (``VENUES["advanced"].credential_from_fields``), never by sniffing its shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .credentials.binding import check_binding, row_stamp
from .credentials.env import ENV_ADVANCED_LABEL, env_advanced_credential, env_advanced_stamp
from .errors import CredentialNotFound
from .labels import ENV_LABEL
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
        alone = not settings.env_credential_present and not credentials.list()
        return ENV_ADVANCED_LABEL if alone and settings.at_env_credential_present else None
    if label == ENV_ADVANCED_LABEL:
        if env_advanced_credential(settings) is None:
            raise CredentialNotFound(
                "no env-advanced credential: set AT_API_KEY_NAME and AT_API_SECRET (a Coinbase Advanced Trade CDP key)"
            )
        return label
    if label == ENV_LABEL:
        return None
    stored = next((i for i in credentials.list() if i.label == label), None)
    return label if stored is not None and stored.exchange == ADVANCED_STORED else None


def advanced_stamp(credentials: CredentialService, label: str) -> str | None:
    """The change stamp of ``label``'s Advanced Trade credential (None when it is gone)."""
    if label == ENV_ADVANCED_LABEL:
        settings = credentials.settings
        return env_advanced_stamp(settings) if env_advanced_credential(settings) is not None else None
    return credentials.stamp(label)


def advanced_key(credentials: CredentialService, label: str) -> tuple[Any, str]:
    """The CDP key of ``label`` and its stamp: from the environment, or from the stored row, which must be
    bound to ``AT_BASE_URL`` (a key goes only where it was added for)."""
    settings = credentials.settings
    if label == ENV_ADVANCED_LABEL:
        return env_advanced_credential(settings), env_advanced_stamp(settings)
    row = credentials._stamped_row(label)  # pyright: ignore[reportPrivateUsage]  # the row as get_stamped reads it
    if row is None:
        raise CredentialNotFound(f"no credential labelled {label!r}")
    check_binding(label, row[3], settings.at_base_url)
    venue = VENUES["advanced"]
    fields = {
        venue.info.key_field.name: credentials.decrypt(label, row[0]),
        venue.info.secret_fields[0].name: credentials.decrypt(label, row[1]),
    }
    key = venue.credential_from_fields(fields, label=label)  # pyright: ignore[reportAttributeAccessIssue]  # the SPEC-15 hook
    return key, row_stamp(row)
