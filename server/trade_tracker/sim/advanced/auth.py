"""JWT verification as Coinbase Advanced Trade checks a CDP key's bearer token.

A private request must carry ``Authorization: Bearer <jwt>`` where the JWT:

1. has a header ``alg`` of ES256 (EC P-256 key) or EdDSA (Ed25519 key), the one of the key named by
   ``kid``, which must be a key the simulator knows, and a ``nonce`` (a string);
2. is signed by that key (PyJWT over ``cryptography``);
3. has claims ``sub`` == ``kid``, ``iss`` in the accepted issuers (default only ``"cdp"``: the doc
   calls acceptance of the old ``coinbase-cloud`` an INFERENCE, so it is configurable), integer
   ``nbf`` and ``exp`` with ``nbf <= now + leeway``, ``now < exp + leeway`` and
   ``0 < exp - nbf <= 120`` (``now`` is the server's clock, with its configured offset);
4. has ``uri`` == ``"{METHOD} {host}{path}"``: the Host the client sent (with its port) and the path
   WITHOUT the query string;
5. uses a nonce not seen within its lifetime (a replayed token is refused). A nonce is recorded only
   once everything else passed, so a forged token cannot burn a real client's nonce.

Every failure raises :class:`AuthFailure`; the app answers all of them alike, 401 with the plain-text
body ``Unauthorized``, because the real API says nothing more. ``AuthFailure.reason`` (never sent)
tells tests and logs which check failed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from .keys import SimKey

__all__ = ["MAX_LIFETIME", "AuthFailure", "NonceCache", "verify_jwt"]

#: Largest ``exp - nbf`` accepted, seconds ("Your JWT expires after 2 minutes").
MAX_LIFETIME = 120


class AuthFailure(Exception):
    """A bearer token that does not authenticate; ``reason`` says which check failed (not sent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceCache:
    """Nonces seen, each until its token's ``exp``; thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def claim(self, kid: str, nonce: str, until: float, now: float) -> bool:
        """Record ``nonce`` for ``kid`` until ``until``; False if it is still recorded (a replay)."""
        with self._lock:
            if len(self._seen) > 4096:
                for key in [k for k, expiry in self._seen.items() if expiry < now]:
                    del self._seen[key]
            expiry = self._seen.get((kid, nonce))
            if expiry is not None and expiry >= now:
                return False
            self._seen[(kid, nonce)] = until
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def _bearer(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise AuthFailure("no Authorization: Bearer header")
    return token.strip()


def _header(token: str, keys: Mapping[str, SimKey]) -> tuple[SimKey, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthFailure("not a JWT") from None
    kid, nonce, alg = header.get("kid"), header.get("nonce"), header.get("alg")
    if not isinstance(kid, str) or kid not in keys:
        raise AuthFailure("unknown kid")
    key = keys[kid]
    if alg != key.algorithm:
        raise AuthFailure(f"alg {alg!r} is not {key.algorithm} of this key")
    if not isinstance(nonce, str) or not nonce:
        raise AuthFailure("no nonce in the header")
    if header.get("typ", "JWT") != "JWT":
        raise AuthFailure("typ is not JWT")
    return key, nonce


def _claims(token: str, key: SimKey) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key.public_key,
            algorithms=[key.algorithm],
            # Times and issuer are checked below against the server's clock; audience is ignored
            # (old clients still send aud "retail_rest_api_proxy").
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise AuthFailure(f"signature or payload rejected: {type(exc).__name__}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_claims(
    claims: Mapping[str, Any], kid: str, expected_uri: str, now: float, leeway: float, issuers: Iterable[str]
) -> None:
    if claims.get("sub") != kid:
        raise AuthFailure("sub is not the kid")
    if claims.get("iss") not in set(issuers):
        raise AuthFailure("iss not accepted")
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not (_is_int(nbf) and _is_int(exp)):
        raise AuthFailure("nbf and exp must be integers")
    assert isinstance(nbf, int) and isinstance(exp, int)
    if not 0 < exp - nbf <= MAX_LIFETIME:
        raise AuthFailure(f"exp - nbf must be 1..{MAX_LIFETIME} s")
    if nbf > now + leeway:
        raise AuthFailure("nbf is in the future")
    if exp + leeway <= now:
        raise AuthFailure("expired")
    if claims.get("uri") != expected_uri:
        raise AuthFailure("uri does not match the request")


def verify_jwt(
    headers: Mapping[str, str],
    method: str,
    host: str,
    path: str,
    keys: Mapping[str, SimKey],
    nonces: NonceCache,
    *,
    now: float,
    leeway: float = 5.0,
    issuers: Iterable[str] = ("cdp",),
) -> SimKey:
    """The key that signed this request's bearer token, or raise :class:`AuthFailure`.

    ``headers`` must be case-insensitive (Starlette's are); ``host`` is the Host header as sent and
    ``path`` the request path without its query.
    """
    token = _bearer(headers)
    key, nonce = _header(token, keys)
    claims = _claims(token, key)
    _check_claims(claims, key.name, f"{method.upper()} {host}{path}", now, leeway, issuers)
    if not nonces.claim(key.name, nonce, float(claims["exp"]) + leeway, now):
        raise AuthFailure("nonce replayed")
    return key
