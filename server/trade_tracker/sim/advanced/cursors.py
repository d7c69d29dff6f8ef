"""Opaque page cursors: a position and the query's filters, sealed with an HMAC.

Why sealed: the real API's cursors are opaque strings, and a client must only ever send back what it was
given. A cursor here is ``base64url(JSON payload) + "." + base64url(HMAC-SHA256[:16])`` under a key the
client never sees; a forged or edited cursor, or one used with other filters than the query that made
it, is refused (400 ``INVALID_ARGUMENT``). ``limit`` may change between pages; the filters may not
(the doc's INFERENCE "keep all filters identical between pages", enforced).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CursorCodec", "InvalidCursor"]


class InvalidCursor(ValueError):
    """A cursor this simulator did not issue for this query."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Issues and opens cursors for one simulator (``secret``: the HMAC key)."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"sim-advanced-cursor:" + secret).digest()

    @staticmethod
    def filters_digest(filters: Mapping[str, Sequence[str] | str | None]) -> str:
        """A short digest of a query's filters (order of repeated values ignored)."""
        canonical = {k: sorted(v) if isinstance(v, list | tuple) else v for k, v in sorted(filters.items())}
        return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()[:16]

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:16]

    def issue(self, kind: str, position: Sequence[Any], filters: str) -> str:
        """A cursor of list ``kind`` resuming after ``position``, for a query with ``filters``."""
        body = json.dumps({"k": kind, "p": list(position), "f": filters}, separators=(",", ":")).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def open(self, cursor: str, kind: str, filters: str) -> list[Any]:
        """The position sealed in ``cursor``; raises :class:`InvalidCursor` when it is not ours for this query."""
        head, dot, tag = cursor.partition(".")
        try:
            body, mac = _unb64(head), _unb64(tag)
        except (ValueError, TypeError):
            raise InvalidCursor("cursor is invalid") from None
        if not dot or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidCursor("cursor is invalid")
        payload = json.loads(body)
        if payload.get("k") != kind or payload.get("f") != filters:
            raise InvalidCursor("cursor does not belong to this query")
        return list(payload["p"])
