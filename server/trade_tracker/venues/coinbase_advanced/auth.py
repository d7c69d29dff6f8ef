"""Coinbase Advanced Trade request authentication: one fresh JWT per request, on a clock corrected by the server.

``build_jwt()`` is the documented recipe and nothing else (checked against coinbase-advanced-py's
``jwt_generator.py``): header ``alg`` (ES256 | EdDSA), ``kid`` = key name, ``nonce`` = 32 random bytes as hex,
``typ`` = JWT; claims ``sub`` = key name, ``iss`` = "cdp", ``nbf`` = now, ``exp`` = nbf + 120, and
``uri`` = ``"METHOD host/path"``: the host with ``:port`` only when the URL names a non-default port, the
path WITHOUT the query string (a query in ``uri`` is a documented cause of 401).

:class:`CdpJwtAuth` signs each request as it goes out. ``nbf`` comes from :class:`ServerClock`: local time
plus an offset learned from ``GET /time`` (``epochSeconds``), once per client before its first signed
request, and again after a 401, when the request is signed afresh and sent once more (a 401 says nothing
of its cause, and a skewed clock is one). The JWT is a secret: it is never logged or kept.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable, Generator
from typing import cast

import httpx
import jwt

from .keys import CdpKey

__all__ = ["JWT_LIFETIME", "CdpJwtAuth", "ServerClock", "build_jwt", "jwt_host", "server_epoch"]

#: Seconds a JWT is valid: Coinbase documents 2 minutes.
JWT_LIFETIME = 120


def build_jwt(key: CdpKey, method: str, host: str, path: str, now: int | float, nonce: str | None = None) -> str:
    """The bearer JWT for one request: ``method`` to ``host`` (``api.coinbase.com`` or ``host:port``) and
    ``path`` (a query string, if any, is cut off), valid from ``now`` (epoch seconds) for 120 s."""
    nbf = int(now)
    claims = {
        "sub": key.key_name,
        "iss": "cdp",
        "nbf": nbf,
        "exp": nbf + JWT_LIFETIME,
        "uri": f"{method.upper()} {host}{path.split('?', 1)[0]}",
    }
    headers = {"kid": key.key_name, "nonce": nonce or secrets.token_hex(32), "typ": "JWT"}
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers=headers)


def jwt_host(url: httpx.URL) -> str:
    """The ``uri`` claim's host of ``url``: its host, with ``:port`` when the URL has a non-default port."""
    return url.netloc.decode("ascii")


class ServerClock:
    """Seconds since the epoch as Coinbase sees them: local time plus a learned offset.

    ``synced`` tells whether ``GET /time`` was asked yet (successfully or not); one clock serves every
    request of a client.
    """

    def __init__(self, offset: float = 0.0, time_source: Callable[[], float] = time.time) -> None:
        self.offset = offset
        self.synced = False
        self._time = time_source

    def now(self) -> float:
        return self._time() + self.offset

    def correct(self, server_epoch: float) -> None:
        """Learn the offset from the server's ``epochSeconds``."""
        self.offset = server_epoch - self._time()
        self.synced = True


def server_epoch(body: bytes) -> float | None:
    """``epochSeconds`` (a string or a number) of a ``GET /time`` body, or None when unreadable."""
    try:
        data: object = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = cast("dict[str, object]", data).get("epochSeconds") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        epoch = float(value)
    except ValueError:
        return None
    return epoch if math.isfinite(epoch) and epoch > 0 else None


class CdpJwtAuth(httpx.Auth):
    """Signs each request with a fresh ``Authorization: Bearer <jwt>``.

    Before its first signed request it asks ``GET /time`` and corrects the shared clock; on a 401 it asks
    again, signs the request afresh and sends it once more; the answer to that is final. ``check``, when
    given, runs before every signature and raises when the key may no longer be used.
    """

    requires_request_body = False
    requires_response_body = True

    def __init__(
        self,
        key: CdpKey,
        clock: ServerClock,
        time_url: str | httpx.URL,
        check: Callable[[], None] | None = None,
    ) -> None:
        self._key = key
        self._clock = clock
        self._time_url = httpx.URL(time_url)
        self._check = check
        #: Signatures made so far (a test can see that a retry was signed afresh).
        self.signed = 0
        self._extra = 0

    def __repr__(self) -> str:
        return f"CdpJwtAuth({self._key!r})"

    def _sign(self, request: httpx.Request) -> httpx.Request:
        if self._check is not None:
            self._check()
        token = build_jwt(self._key, request.method, jwt_host(request.url), request.url.path, self._clock.now())
        request.headers["Authorization"] = f"Bearer {token}"
        self.signed += 1
        return request

    def take_extra(self) -> int:
        """Requests this auth sent beyond the ones it signed first (clock syncs, the re-signed retry) since
        the last call: the client adds them to its ``requests_sent``."""
        extra, self._extra = self._extra, 0
        return extra

    def _sync_clock(self) -> Generator[httpx.Request, httpx.Response, None]:
        self._extra += 1
        response = yield httpx.Request("GET", self._time_url)
        epoch = server_epoch(response.content) if response.is_success else None
        if epoch is None:
            self._clock.synced = True  # asked: not again before the next 401; sign with the local clock
        else:
            self._clock.correct(epoch)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._clock.synced:
            yield from self._sync_clock()
        response = yield self._sign(request)
        if response.status_code != 401:
            return
        yield from self._sync_clock()
        self._extra += 1
        yield self._sign(request)
