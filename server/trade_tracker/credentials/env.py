"""The env credentials: ``env`` (``EX_API_KEY_READ`` / ``EX_API_SECRET_READ`` / ``EX_API_PASSPHRASE_READ``)
and ``env-advanced`` (``AT_API_KEY_NAME`` / ``AT_API_SECRET``, a Coinbase Advanced Trade CDP key).

Read from the settings on every use and never written to disk. The Advanced Trade key is built through
the venue's hook (``VENUES["advanced"].credential_from_fields``), so this module imports no Advanced
Trade code.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ..config import Settings
from ..errors import CredentialError
from ..labels import ENV_ADVANCED_LABEL, ENV_LABEL
from ..venues.registry import VENUES
from .models import CredentialInfo

if TYPE_CHECKING:
    from ..venues.base import Venue

__all__ = [
    "ENV_LABELS",
    "env_credential",
    "env_info",
    "env_present",
    "env_stamp",
    "env_venue",
    "partial_env_hint",
]

#: Each env credential's label and its venue, in the order they are listed and chosen as the default.
ENV_LABELS: dict[str, str] = {ENV_LABEL: "exchange", ENV_ADVANCED_LABEL: "advanced"}


def env_venue(label: str) -> type[Venue]:
    """The venue of an env credential label (``env``: Exchange, ``env-advanced``: Advanced Trade)."""
    return VENUES[ENV_LABELS[label]]  # pyright: ignore[reportArgumentType]  # ENV_LABELS' values are VenueIds


def _values(settings: Settings, label: str) -> dict[str, str | None]:
    """The env credential's fields as set (None: that variable is not set), by the venue's field names."""
    venue = env_venue(label)
    return {f.name: _secret(getattr(settings, f.env.lower(), None)) for f in venue.info.fields}


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


def env_present(settings: Settings, label: str = ENV_LABEL) -> bool:
    """Whether every variable of the env credential ``label`` is set."""
    return all(v is not None for v in _values(settings, label).values())


def env_credential(settings: Settings, label: str = ENV_LABEL) -> Any:
    """The env credential ``label`` (its venue's typed key), or None when its variables are not all set;
    malformed text is refused naming the variables, never echoing them (through the venue's
    ``credential_from_fields``, so a key is checked the same way everywhere)."""
    values = _values(settings, label)
    if any(v is None for v in values.values()):
        return None
    venue = env_venue(label)
    try:
        return venue.credential_from_fields({**{k: v for k, v in values.items() if v is not None}, "label": label})
    except CredentialError as exc:
        raise type(exc)(f"the env credential ({venue.info.env_list()}) is malformed: {exc}") from None


def env_info(settings: Settings, label: str = ENV_LABEL) -> CredentialInfo:
    """What is shown of the env credential ``label``: its fingerprint, venue and the base URL it goes to."""
    venue = env_venue(label)
    key = _values(settings, label)[venue.info.key_field.name] or ""
    return CredentialInfo(
        label=label,
        fingerprint=venue.fingerprint({venue.info.key_field.name: key}),
        source="env",
        base_url=getattr(settings, venue.info.url_env.lower()),
        exchange=venue.info.stored_as,
    )


def env_stamp(settings: Settings, label: str = ENV_LABEL) -> str:
    """The env credential's stamp: it changes when its key (Exchange) or any of its fields (others) change."""
    venue = env_venue(label)
    values = _values(settings, label)
    if label == ENV_LABEL:  # as released: the key's fingerprint
        return "env " + venue.fingerprint({"key": values["key"] or ""})
    digest = hashlib.sha256("\x00".join(v or "" for v in values.values()).encode()).hexdigest()
    return f"{label} {digest}"


def partial_env_hint(settings: Settings) -> str:
    """Name the variables that are missing when only some of one env credential's are set (a common slip)."""
    for label in ENV_LABELS:
        env = {f.env: v for f, v in zip(env_venue(label).info.fields, _values(settings, label).values(), strict=True)}
        missing = [name for name, value in env.items() if value is None]
        if 0 < len(missing) < len(env):
            return f" ({', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set)"
    return ""
