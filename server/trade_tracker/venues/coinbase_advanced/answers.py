"""What a Coinbase Advanced Trade answer means beyond its body: a failure as an error of ``errors.py``, and the
paging cursor checked so that no walk can loop.

Failures: a JSON error body is ``{"error": CODE, "error_details": text, "message": text}``. A 401 is the bare
text ``Unauthorized`` for every cause, and arrives here only after the auth has signed the request afresh
on a re-synced clock: the message names the credential's label and the causes left to check. A 403
``PERMISSION_DENIED`` names the scope the endpoint needs (every read here needs ``view``). 400, 404, 429
and 5xx each say what to check. No message holds a secret: only the label, the path and Coinbase's text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

import httpx

from trade_tracker.errors import (
    AuthenticationError,
    BadRequest,
    ExchangeProtocolError,
    ExchangeStatusError,
    PermissionDenied,
)

from ..answers import common_status_error

__all__ = ["AUTH_CAUSES", "ApiError", "CursorGuard", "api_error", "status_error"]

#: The causes of a 401 that a fresh JWT on a re-synced clock did not cure, in the order worth checking.
AUTH_CAUSES = (
    "the key type (an ECDSA key's private key is an EC PEM, an Ed25519 key's a base64 secret; if an "
    "Ed25519 key keeps failing, create an ECDSA key)",
    "the key name and the private key swapped, or taken from two different keys",
    "this machine's clock (a JWT is valid for 2 minutes from its nbf)",
    "a key deleted or disabled in the CDP portal (portal.cdp.coinbase.com)",
    "the key's IP allow-list, which may not include this machine's address",
)

#: The scope each endpoint needs (all of them: view).
_SCOPE_FOR: Mapping[str, str] = {
    "/accounts": "view",
    "/orders/historical/batch": "view",
    "/orders/historical/fills": "view",
    "/key_permissions": "view",
    "/portfolios": "view",
}


class ApiError:
    """The parts of a JSON error body (each at most 300 characters), or all None when it is not one."""

    __slots__ = ("code", "details", "message")

    def __init__(self, code: str | None = None, details: str | None = None, message: str | None = None) -> None:
        self.code, self.details, self.message = code, details, message

    @property
    def text(self) -> str | None:
        """Coinbase's own words: the message, else the details."""
        return self.message or self.details

    def said(self, status: int) -> str:
        parts = [p for p in (self.code, self.text) if p]
        return f"Coinbase answered {status} {': '.join(parts)!r}" if parts else f"Coinbase answered {status}"


def api_error(response: httpx.Response) -> ApiError:
    """The ``{error, error_details, message}`` of ``response``'s body, when it is such JSON."""
    try:
        data: object = json.loads(response.content)
    except (ValueError, RecursionError):
        return ApiError()
    if not isinstance(data, dict):
        return ApiError()
    fields = cast("dict[str, object]", data)

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value[:300] if isinstance(value, str) and value else None

    return ApiError(text("error"), text("error_details"), text("message"))


def _unauthorized(where: str, label: str) -> AuthenticationError:
    causes = "; ".join(f"({i}) {c}" for i, c in enumerate(AUTH_CAUSES, 1))
    return AuthenticationError(
        f"credential '{label}' was rejected on {where} (Coinbase answered 401 Unauthorized, again after a "
        f"fresh JWT on a clock re-synced from GET /time). Advanced Trade does not say why; check: {causes}",
        status_code=401,
        api_message="Unauthorized",
    )


def status_error(
    method: str, path: str, response: httpx.Response, *, label: str, base_url: str, attempts: int
) -> ExchangeStatusError:
    """A non-2xx Advanced Trade answer (after any retries) as the error of ``errors.py`` that says what to do."""
    status, where = response.status_code, f"{method} {path}"
    if status == 401:
        return _unauthorized(where, label)
    error = api_error(response)
    said, api_message = error.said(status), error.text
    if status == 403:
        scope = _SCOPE_FOR.get(path, "view")
        return PermissionDenied(
            f"credential '{label}' may not call {where} ({said}): the CDP key needs the {scope!r} "
            f"permission (scope {scope}); edit the key's permissions in the CDP portal, or create a View key",
            status_code=status,
            api_message=api_message,
        )
    if status == 400:
        return BadRequest(f"Coinbase rejected {where} ({said})", status_code=status, api_message=api_message)
    return common_status_error(
        where, status, said, api_message, title="Coinbase Advanced Trade", base_url=base_url, attempts=attempts
    )


class CursorGuard:
    """The cursors one walk has followed: the next one, or None at the end; a repeat stops the walk.

    The end is an empty (or missing) cursor, or an empty page. A cursor seen before would page in a
    circle (CCXT #22780 saw ``/accounts`` answer the same page again), so it raises instead of looping.
    """

    def __init__(self, path: str, start: str | None = None) -> None:
        self.path = path
        self._seen: set[str] = {start} if start else set()

    def next(self, cursor: str | None, page_size: int) -> str | None:
        if not cursor or page_size == 0:
            return None
        if cursor in self._seen:
            raise ExchangeProtocolError(
                f"the server repeated cursor {cursor[:40]!r} on {self.path}; stopped (following it would "
                "loop over the same pages); everything before it was read, try again later"
            )
        self._seen.add(cursor)
        return cursor
