"""The env credentials: ``env`` (``EX_API_KEY_READ`` / ``EX_API_SECRET_READ`` / ``EX_API_PASSPHRASE_READ``)
and ``env-advanced`` (``AT_API_KEY_NAME`` / ``AT_API_SECRET``, a Coinbase Advanced Trade CDP key).

Read from the settings on every use and never written to disk. The Advanced Trade key is built through
the venue's hook (``VENUES["advanced"].credential_from_fields``), so this module imports no Advanced
Trade code.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..errors import CredentialError, InvalidCredential
from ..labels import ENV_LABEL
from ..venues.registry import VENUES
from .models import CredentialInfo

__all__ = [
    "ENV_ADVANCED_LABEL",
    "env_advanced_credential",
    "env_advanced_info",
    "env_advanced_stamp",
    "env_credential",
    "env_info",
    "env_stamp",
    "partial_env_hint",
]

#: The label of the Advanced Trade key in ``AT_API_KEY_NAME`` / ``AT_API_SECRET`` (SPEC-15).
ENV_ADVANCED_LABEL = "env-advanced"


#: The env credential's venue: Coinbase Exchange (``EX_API_*_READ``).
EXCHANGE = VENUES["exchange"]


def env_credential(settings: Settings) -> Any:
    """The env credential (``EX_API_*_READ``), or None when it is not set; malformed text is refused
    (through the venue's ``credential_from_fields``, so an Exchange key is checked the same way everywhere)."""
    s = settings
    if not s.env_credential_present:
        return None
    assert s.ex_api_key_read and s.ex_api_secret_read and s.ex_api_passphrase_read
    fields = {
        "key": s.ex_api_key_read.get_secret_value(),
        "secret": s.ex_api_secret_read.get_secret_value(),
        "passphrase": s.ex_api_passphrase_read.get_secret_value(),
        "label": ENV_LABEL,
    }
    try:
        return EXCHANGE.credential_from_fields(fields)
    except CredentialError as exc:
        raise type(exc)(f"the env credential ({EXCHANGE.info.env_list()}) is malformed: {exc}") from None


def env_info(settings: Settings) -> CredentialInfo:
    """What is shown of the env credential: its fingerprint and the base URL it goes to."""
    assert settings.ex_api_key_read is not None
    return CredentialInfo(
        label=ENV_LABEL,
        fingerprint=EXCHANGE.fingerprint({"key": settings.ex_api_key_read.get_secret_value()}),
        source="env",
        base_url=settings.ex_base_url,
    )


def env_stamp(settings: Settings) -> str:
    """The env credential's stamp: it changes when the key in the environment does."""
    assert settings.ex_api_key_read is not None
    return "env " + EXCHANGE.fingerprint({"key": settings.ex_api_key_read.get_secret_value()})


def partial_env_hint(settings: Settings) -> str:
    """Name the EX_API_*_READ variables that are missing when only some are set (a common slip)."""
    env = {
        EXCHANGE.info.env_names["key"]: settings.ex_api_key_read,
        EXCHANGE.info.env_names["secret"]: settings.ex_api_secret_read,
        EXCHANGE.info.env_names["passphrase"]: settings.ex_api_passphrase_read,
    }
    missing = [name for name, value in env.items() if value is None or not value.get_secret_value()]
    if 0 < len(missing) < len(env):
        return f" ({', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set)"
    return ""


def env_advanced_credential(settings: Settings) -> Any:
    """The ``env-advanced`` credential (a CDP key from ``AT_API_KEY_NAME`` / ``AT_API_SECRET``), or None
    when they are not both set; a malformed key is refused naming the variables, never echoing them."""
    s = settings
    if not s.at_env_credential_present:
        return None
    assert s.at_api_key_name is not None and s.at_api_secret is not None
    venue = VENUES["advanced"]
    fields = {venue.info.key_field.name: s.at_api_key_name.get_secret_value()}
    fields[venue.info.secret_fields[0].name] = s.at_api_secret.get_secret_value()
    try:
        return venue.credential_from_fields({**fields, "label": ENV_ADVANCED_LABEL})
    except InvalidCredential as exc:
        raise InvalidCredential(f"the env credential ({venue.info.env_and()}) is malformed: {exc}") from None


def env_advanced_stamp(settings: Settings) -> str:
    """The ``env-advanced`` credential's stamp: it changes when the key name or secret in the environment do."""
    import hashlib

    assert settings.at_api_key_name is not None and settings.at_api_secret is not None
    both = settings.at_api_key_name.get_secret_value() + "\x00" + settings.at_api_secret.get_secret_value()
    return "env-advanced " + hashlib.sha256(both.encode()).hexdigest()


def env_advanced_info(settings: Settings) -> CredentialInfo:
    """What is shown of the ``env-advanced`` credential: its venue, its fingerprint (from the key name only)
    and the base URL it goes to (``AT_BASE_URL``)."""
    assert settings.at_api_key_name is not None
    venue = VENUES["advanced"]
    return CredentialInfo(
        label=ENV_ADVANCED_LABEL,
        exchange=venue.info.stored_as,
        fingerprint=venue.fingerprint({venue.info.key_field.name: settings.at_api_key_name.get_secret_value()}),
        source="env",
        base_url=settings.at_base_url,
    )
