"""Coinbase Exchange request signing.

``sign()`` is the documented recipe and nothing else:

    base64( HMAC-SHA256( base64decode(secret), timestamp + METHOD + request_path + body ) )

where ``request_path`` is the path *with* its query string exactly as sent, and
``body`` the exact body bytes. :class:`CoinbaseAuth` applies it to each request
as it goes on the wire, and :class:`ServerClock` keeps the timestamp within the
exchange's 30-second window by correcting itself from ``GET /time`` when the
exchange answers "request timestamp expired".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import httpx

from trade_tracker.errors import InvalidCredential

__all__ = [
    "ApiCredential",
    "CoinbaseAuth",
    "ServerClock",
    "decode_secret",
    "key_fingerprint",
    "sign",
]

SECRET_BYTES = 64


def sign(secret_b64: str, timestamp: str, method: str, request_path: str, body: str = "") -> str:
    """Return the ``CB-ACCESS-SIGN`` value for one request.

    Args:
        secret_b64: the API secret as Coinbase shows it (base64 of 64 bytes).
        timestamp: the exact ``CB-ACCESS-TIMESTAMP`` header value.
        method: the HTTP method; upper-cased here as the recipe requires.
        request_path: path plus ``?query`` exactly as sent, e.g. ``/fills?product_id=BTC-USD``.
        body: the exact request body, or ``""`` when there is none.
    """
    return _hmac_b64(base64.b64decode(secret_b64), timestamp, method, request_path, body)


def _hmac_b64(key: bytes, timestamp: str, method: str, request_path: str, body: str) -> str:
    message = (timestamp + method.upper() + request_path + body).encode("utf-8")
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def decode_secret(secret_b64: str) -> bytes:
    """Check that an API secret is base64 of 64 bytes, as Coinbase issues them; return the bytes.

    The error names the problem but never echoes the value.
    """
    cleaned = secret_b64.strip()
    if not cleaned:
        raise InvalidCredential("the API secret is empty")
    if cleaned.startswith("-----BEGIN"):
        raise InvalidCredential(
            "this looks like a CDP / Advanced Trade private key (PEM); Coinbase Exchange needs an "
            "Exchange API key: key, base64 secret and passphrase"
        )
    try:
        raw = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCredential(
            "the API secret is not valid base64; paste it exactly as Coinbase Exchange showed it"
        ) from None
    if len(raw) != SECRET_BYTES:
        raise InvalidCredential(
            f"the API secret decodes to {len(raw)} bytes, but a Coinbase Exchange secret decodes to "
            f"{SECRET_BYTES}; check that it was copied whole"
        )
    return raw


def key_fingerprint(api_key: str) -> str:
    """A short, stable, non-reversible label for an API key: its last 4 characters and a hash prefix.

    Derived from the public key id only, never from the secret.
    """
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:12]
    return f"…{api_key[-4:]} sha256:{digest}"


@dataclass(frozen=True, repr=False)
class ApiCredential:
    """One Coinbase Exchange API key in memory. Its repr shows the label and fingerprint only."""

    key: str
    secret: str
    passphrase: str
    label: str = "unnamed"
    _secret_bytes: bytes = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not self.key.strip():
            raise InvalidCredential("the API key is empty")
        if not self.passphrase:
            raise InvalidCredential("the API passphrase is empty")
        # Both travel as HTTP header values: a stray newline or tab (a paste from a file) would
        # otherwise surface as a confusing network error on the first request.
        for name, value in (("API key", self.key), ("API passphrase", self.passphrase)):
            if not value.isprintable():
                raise InvalidCredential(f"the {name} contains a control character (a newline or tab?); re-enter it")
        object.__setattr__(self, "_secret_bytes", decode_secret(self.secret))

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.key)

    def signature(self, timestamp: str, method: str, request_path: str, body: str = "") -> str:
        """``sign()`` with the secret decoded once, at construction."""
        return _hmac_b64(self._secret_bytes, timestamp, method, request_path, body)

    def __repr__(self) -> str:
        return f"ApiCredential(label={self.label!r}, key={self.fingerprint!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # never pickle secrets into a file by accident
        raise TypeError("ApiCredential cannot be pickled")


class ServerClock:
    """Seconds since the epoch as the exchange sees them: local time plus a learned offset.

    The offset starts at 0 and is set from ``GET /time`` when the exchange says our
    timestamp expired. One clock is shared by every request of a client.
    """

    def __init__(self, offset: float = 0.0, time_source: Callable[[], float] = time.time) -> None:
        self.offset = offset
        self._time = time_source

    def timestamp(self) -> str:
        """The ``CB-ACCESS-TIMESTAMP`` value: whole seconds (accepted by every deployment)."""
        return str(int(self._time() + self.offset))

    def correct(self, server_epoch: float) -> None:
        """Learn the offset from the exchange's ``epoch`` value."""
        self.offset = server_epoch - self._time()


def _is_timestamp_expired(response: httpx.Response) -> bool:
    if response.status_code not in (400, 401):
        return False
    try:
        message = json.loads(response.content).get("message", "")
    except (ValueError, AttributeError):
        return False
    return isinstance(message, str) and "timestamp expired" in message.lower()


class CoinbaseAuth(httpx.Auth):
    """Signs each request with ``CB-ACCESS-*`` headers over exactly the bytes sent.

    The prehash uses ``request.url.raw_path`` (path and query as they go on the wire,
    percent-encoding and parameter order included) and ``request.content`` (the raw
    body). On "request timestamp expired" it asks ``GET /time``, corrects the shared
    clock and retries the request once, re-signed.

    ``check``, when given, is called before every signature and raises when the credential
    may no longer be used (the owner replaced or removed it meanwhile): the request is then
    never signed, let alone sent.
    """

    requires_request_body = True
    requires_response_body = True

    def __init__(
        self,
        credential: ApiCredential,
        clock: ServerClock,
        time_url: str | httpx.URL,
        check: Callable[[], None] | None = None,
    ) -> None:
        self._credential = credential
        self._clock = clock
        self._time_url = httpx.URL(time_url)
        self._check = check

    def __repr__(self) -> str:
        return f"CoinbaseAuth({self._credential!r})"

    def _apply(self, request: httpx.Request) -> httpx.Request:
        if self._check is not None:
            self._check()
        timestamp = self._clock.timestamp()
        request_path = request.url.raw_path.decode("ascii")
        body = request.content.decode("utf-8") if request.content else ""
        request.headers["CB-ACCESS-KEY"] = self._credential.key
        request.headers["CB-ACCESS-SIGN"] = self._credential.signature(timestamp, request.method, request_path, body)
        request.headers["CB-ACCESS-TIMESTAMP"] = timestamp
        request.headers["CB-ACCESS-PASSPHRASE"] = self._credential.passphrase
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield self._apply(request)
        if not _is_timestamp_expired(response):
            return
        time_response = yield httpx.Request("GET", self._time_url)
        try:
            self._clock.correct(float(json.loads(time_response.content)["epoch"]))
        except (ValueError, KeyError, TypeError):
            pass  # no usable server time: retry once as we are, so the answer is the original request's
        yield self._apply(request)
