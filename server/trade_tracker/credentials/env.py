"""The ``env`` credential: ``EX_API_KEY_READ`` / ``EX_API_SECRET_READ`` / ``EX_API_PASSPHRASE_READ``.

Listed under the reserved label ``env``, read from the settings on every use and never written to disk.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..errors import CredentialError
from ..labels import ENV_LABEL
from ..venues.registry import VENUES
from .models import CredentialInfo

__all__ = ["env_credential", "env_info", "env_stamp", "partial_env_hint"]


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
