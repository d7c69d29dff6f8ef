"""Request authentication exactly as Coinbase Exchange checks it, in its order.

1. missing ``CB-ACCESS-KEY``                       → 401 ``CB-ACCESS-KEY header is required``
2. missing sign / timestamp / passphrase header    → 400 ``CB-ACCESS-SIGN header is required`` …
3. timestamp not a number                          → 400 ``invalid timestamp``
4. timestamp more than 30 s from the server clock  → 401 ``request timestamp expired``
5. unknown key                                     → 401 ``Invalid API Key``
6. wrong passphrase                                → 401 ``Invalid Passphrase``
7. HMAC mismatch                                   → 401 ``invalid signature``

The 401s use a configurable status (older deployments answered 400). The signature is
verified over the bytes received: timestamp + METHOD + raw path + ``?`` + raw query +
raw body, so any re-encoding by a client shows up as ``invalid signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "PERMISSIONS",
    "AuthFailure",
    "KeyRecord",
    "SimCredential",
    "authenticate",
    "new_credential",
]

PERMISSIONS = frozenset({"view", "trade", "transfer", "manage"})
_TIMESTAMP = re.compile(r"^\d+(\.\d+)?$")


class AuthFailure(Exception):
    """A request that does not authenticate; carries the status and Coinbase's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, repr=False)
class SimCredential:
    """A key the simulator accepts: what a client needs to sign requests."""

    key: str
    secret: str
    passphrase: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "secret": self.secret, "passphrase": self.passphrase}

    def __repr__(self) -> str:
        return f"SimCredential(key={self.key!r})"


@dataclass(frozen=True, repr=False)
class KeyRecord:
    """A key as the simulated exchange stores it: credential, permissions, profile."""

    credential: SimCredential
    permissions: frozenset[str]
    profile_id: str
    secret_bytes: bytes = field(compare=False)

    @classmethod
    def create(cls, credential: SimCredential, permissions: Iterable[str], profile_id: str) -> KeyRecord:
        perms = frozenset(p.lower() for p in permissions)
        unknown = perms - PERMISSIONS
        if unknown:
            raise ValueError(f"unknown permissions: {sorted(unknown)}; use {sorted(PERMISSIONS)}")
        return cls(credential, perms, profile_id, base64.b64decode(credential.secret, validate=True))

    def __repr__(self) -> str:
        return f"KeyRecord(key={self.credential.key!r}, permissions={sorted(self.permissions)})"


def new_credential() -> SimCredential:
    """A fresh random demo credential shaped like Coinbase's: hex key, base64 64-byte secret."""
    return SimCredential(
        key=secrets.token_hex(16),
        secret=base64.b64encode(secrets.token_bytes(64)).decode("ascii"),
        passphrase=secrets.token_urlsafe(8).lower().replace("-", "x").replace("_", "y"),
    )


def authenticate(
    headers: Mapping[str, str],
    method: str,
    raw_path: bytes,
    query_string: bytes,
    body: bytes,
    keys: Mapping[str, KeyRecord],
    *,
    now: float,
    failure_status: int = 401,
    window: float = 30.0,
) -> KeyRecord:
    """Return the key that signed this request, or raise :class:`AuthFailure`.

    ``headers`` must be case-insensitive (Starlette's are).
    """
    key = headers.get("cb-access-key", "")
    if not key:
        raise AuthFailure(failure_status, "CB-ACCESS-KEY header is required")
    for name in ("CB-ACCESS-SIGN", "CB-ACCESS-TIMESTAMP", "CB-ACCESS-PASSPHRASE"):
        if not headers.get(name.lower(), ""):
            raise AuthFailure(400, f"{name} header is required")
    timestamp = headers["cb-access-timestamp"]
    if not _TIMESTAMP.match(timestamp):
        raise AuthFailure(400, "invalid timestamp")
    if abs(float(timestamp) - now) > window:
        raise AuthFailure(failure_status, "request timestamp expired")
    record = keys.get(key)
    if record is None:
        raise AuthFailure(failure_status, "Invalid API Key")
    if not hmac.compare_digest(headers["cb-access-passphrase"].encode(), record.credential.passphrase.encode()):
        raise AuthFailure(failure_status, "Invalid Passphrase")
    target = raw_path + (b"?" + query_string if query_string else b"")
    prehash = timestamp.encode() + method.upper().encode() + target + body
    expected = base64.b64encode(hmac.new(record.secret_bytes, prehash, hashlib.sha256).digest())
    if not hmac.compare_digest(headers["cb-access-sign"].encode(), expected):
        raise AuthFailure(failure_status, "invalid signature")
    return record
