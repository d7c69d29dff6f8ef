"""A Coinbase Exchange key from what the user typed: the shapes checked, the hints for a key of another venue.

Why apart from ``auth.py`` (signing): these are the checks the credential service runs, through the
venue hooks (``CoinbaseExchange.credential_from_fields`` / ``fingerprint``), before a key is stored, so
``credentials/`` never imports this package. Every error names what is wrong, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from trade_tracker.errors import InvalidCredential

from .auth import ApiCredential, decode_secret, key_fingerprint

__all__ = ["ADVANCED_HINT", "check_api_key", "credential_of_fields", "fingerprint_of_fields"]

_API_KEY = re.compile(r"^[A-Za-z0-9._-]{1,256}$")  # Exchange keys are 32 hex digits; allow a little more
#: Added to the message when what was typed is an Advanced Trade (CDP) key.
ADVANCED_HINT = "; to add a CDP (Advanced Trade) key, use --venue advanced"


def check_api_key(key: object) -> str:
    """Check the API key's shape (stripped); errors never echo it."""
    cleaned = key.strip() if isinstance(key, str) else ""
    if not cleaned:
        raise InvalidCredential("the API key is empty")
    if cleaned.startswith("organizations/") or "/apiKeys/" in cleaned:
        raise InvalidCredential(
            "this looks like a CDP / Advanced Trade key name; Coinbase Exchange needs an Exchange API key: "
            "key, base64 secret and passphrase" + ADVANCED_HINT
        )
    if not _API_KEY.match(cleaned):
        raise InvalidCredential(
            "the API key should be a short string of letters and digits (Coinbase Exchange shows 32 hex "
            "digits); check what was pasted"
        )
    return cleaned


def credential_of_fields(fields: Mapping[str, object]) -> ApiCredential:
    """The checked Exchange key of ``fields`` (``key``, ``secret``, ``passphrase``; an optional ``label`` names
    it in its repr). The key is stripped, the secret must be base64 of 64 bytes, the passphrase non-empty."""
    key, secret, passphrase = (fields.get(name, "") for name in ("key", "secret", "passphrase"))
    if not isinstance(secret, str) or not isinstance(passphrase, str):
        raise InvalidCredential("the API secret and passphrase must be text")
    key = check_api_key(key)
    secret = secret.strip()
    if secret.startswith("-----BEGIN"):
        raise InvalidCredential(
            "this looks like a CDP / Advanced Trade private key (PEM); Coinbase Exchange needs an "
            "Exchange API key: key, base64 secret and passphrase" + ADVANCED_HINT
        )
    decode_secret(secret)
    if not passphrase:
        raise InvalidCredential("the API passphrase is empty")
    label = fields.get("label")
    return ApiCredential(
        key=key, secret=secret, passphrase=passphrase, label=label if isinstance(label, str) else "unnamed"
    )


def fingerprint_of_fields(fields: Mapping[str, object]) -> str:
    """The public fingerprint: from the API key only (stripped), never the secret."""
    return key_fingerprint(str(fields.get("key", "")).strip())
