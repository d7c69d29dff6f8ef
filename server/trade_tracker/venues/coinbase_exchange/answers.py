"""What a Coinbase Exchange answer means beyond its body: a failure as an error of ``errors.py``, and its
paging cursors (the ``CB-BEFORE``/``CB-AFTER`` headers), checked once.

The status and the API's own message decide: 401 (or a 400 whose message names an auth problem) is a
rejected credential, each with the hint that fixes it; 403 names the permission the endpoint needs;
404, 429, 5xx and 400 each say what to check. Every message names the credential's label and never a
secret.
"""

from __future__ import annotations

import json
from typing import cast

import httpx

from trade_tracker.errors import (
    AuthenticationError,
    BadRequest,
    ExchangeProtocolError,
    ExchangeStatusError,
    InvalidApiKey,
    InvalidPassphrase,
    InvalidSignature,
    MissingAuthHeader,
    PermissionDenied,
    TimestampExpired,
)
from trade_tracker.formats import parse_timestamp

from ..answers import common_status_error

__all__ = ["fills_cursor", "ledger_cursor", "orders_cursor", "status_error"]


def _api_message(response: httpx.Response) -> str | None:
    try:
        data: object = json.loads(response.content)
    except ValueError:
        return None
    message = cast("dict[str, object]", data).get("message") if isinstance(data, dict) else None
    return message[:300] if isinstance(message, str) else None


_AUTH_MESSAGES: tuple[tuple[str, type[AuthenticationError], str], ...] = (
    (
        "invalid signature",
        InvalidSignature,
        "the signature did not verify: the API secret is wrong (re-enter it exactly as Coinbase "
        "showed it), or this machine's clock is far off",
    ),
    (
        "invalid passphrase",
        InvalidPassphrase,
        "the passphrase is wrong: use the passphrase you set when you created the API key, "
        "not your Coinbase login password",
    ),
    (
        "invalid api key",
        InvalidApiKey,
        "the exchange does not know this key: check it is a Coinbase Exchange key made for this "
        "environment (sandbox keys work only on the sandbox, production keys only on production), "
        "and not a CDP / Advanced Trade key, which this API does not take",
    ),
    (
        "timestamp expired",
        TimestampExpired,
        "the request timestamp was more than 30 s from the exchange's clock, even after correcting "
        "from GET /time: fix this machine's clock (NTP)",
    ),
    (
        "header is required",
        MissingAuthHeader,
        "the request was not signed: this endpoint needs a stored credential",
    ),
)

_PERMISSION_FOR = {
    "/accounts": "View",
    "/orders": "View (or Trade)",
    "/fills": "View (or Trade)",
    "/profiles": "View",
}


def status_error(
    method: str, path: str, response: httpx.Response, *, label: str, base_url: str, attempts: int
) -> ExchangeStatusError:
    """A non-2xx Coinbase Exchange answer (after any retries) as the error of ``errors.py`` that says what
    to do: the credential ``label`` was rejected, lacks a permission, the id is unknown, and so on."""
    status = response.status_code
    api_message = _api_message(response)
    said = f"Coinbase answered {status} {api_message!r}" if api_message else f"Coinbase answered {status}"
    where = f"{method} {path}"
    lowered = (api_message or "").lower()
    if status == 401 or (status == 400 and any(m in lowered for m, _, _ in _AUTH_MESSAGES)):
        for needle, cls, hint in _AUTH_MESSAGES:
            if needle in lowered:
                return cls(
                    f"credential '{label}' was rejected on {where} ({said}): {hint}",
                    status_code=status,
                    api_message=api_message,
                )
        return AuthenticationError(
            f"credential '{label}' was rejected on {where} ({said}); check the key, secret and passphrase",
            status_code=status,
            api_message=api_message,
        )
    if status == 403:
        needed = _PERMISSION_FOR.get(path, "a permission it lacks")
        return PermissionDenied(
            f"credential '{label}' may not call {where} ({said}): the API key needs the "
            f"{needed} permission; edit the key's permissions on Coinbase Exchange",
            status_code=status,
            api_message=api_message,
        )
    if status == 400:
        return BadRequest(
            f"Coinbase rejected {where}: {api_message or 'bad request'}", status_code=status, api_message=api_message
        )
    return common_status_error(
        where, status, said, api_message, title="Coinbase Exchange", base_url=base_url, attempts=attempts
    )


def ledger_cursor(response: httpx.Response, name: str) -> str | None:
    """A ledger ``CB-BEFORE``/``CB-AFTER`` cursor: an entry id (digits), or None; junk is a protocol error."""
    value = response.headers.get(name) or None
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ExchangeProtocolError(f"the ledger answered a {name} header that is not an entry id ({value[:40]!r})")
    return value


def orders_cursor(response: httpx.Response, name: str) -> str | None:
    """A ``CB-BEFORE``/``CB-AFTER`` date cursor of ``/orders``, or None; junk is a protocol error."""
    value = response.headers.get(name) or None
    if value is not None:
        try:
            parse_timestamp(value)
        except (TypeError, ValueError):
            raise ExchangeProtocolError(
                f"/orders answered a {name} header that is not a date ({value[:40]!r})"
            ) from None
    return value


def fills_cursor(response: httpx.Response, name: str) -> str | None:
    """A ``CB-BEFORE``/``CB-AFTER`` cursor: a trade_id, or None when absent; anything else is the
    exchange's fault, said once here so no caller turns a junk header into a crash or a loop."""
    value = response.headers.get(name) or None
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ExchangeProtocolError(f"/fills answered a {name} header that is not a trade_id ({value[:40]!r})")
    return value
