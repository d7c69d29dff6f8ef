"""Failures on demand: a random 5xx rate drawn from the seed, and forced next-N statuses.

Random faults use their own ``random.Random`` seeded from the simulator seed, so a given
seed and request sequence fail at the same places every run. A 502 comes back as the HTML
page a front proxy (Cloudflare) serves, not JSON, since that is what reaches clients.
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RANDOM_STATUSES", "FaultInjector", "Failure", "default_failure"]

#: Statuses a random fault picks from (``fail_rate``), unless configured otherwise.
RANDOM_STATUSES = (500, 502, 503)

_MESSAGES: dict[int, str] = {
    400: "Bad Request",
    401: "invalid signature",
    403: "Forbidden",
    404: "NotFound",
    500: "Internal server error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Failure:
    """One failed answer: status, body text and its media type."""

    status: int
    body: str
    media_type: str = "application/json"


def default_failure(status: int, *, public: bool, message: str | None = None) -> Failure:
    """The answer the real API (or its proxy) gives with ``status``; ``message`` overrides the text."""
    if status == 502 and message is None:
        return Failure(502, _BAD_GATEWAY_HTML, "text/html")
    if message is None:
        if status == 429:
            message = "Public rate limit exceeded" if public else "Private rate limit exceeded"
        else:
            message = _MESSAGES.get(status, "Internal server error" if status >= 500 else "Bad Request")
    return Failure(status, json.dumps({"message": message}, separators=(",", ":")))


@dataclass
class _Forced:
    status: int
    remaining: int
    path: str | None
    message: str | None


class FaultInjector:
    """Decides, per API request, whether it fails and how."""

    def __init__(self, seed: object, fail_rate: float = 0.0, statuses: Sequence[int] = RANDOM_STATUSES) -> None:
        self.fail_rate = fail_rate
        self.statuses = tuple(statuses)
        self._rng = random.Random(f"trade-tracker-sim-faults:{seed}")
        self._forced: deque[_Forced] = deque()
        self._lock = threading.Lock()

    def force(self, status: int, count: int = 1, *, path: str | None = None, message: str | None = None) -> None:
        """Make the next ``count`` API requests (under ``path`` if given) answer ``status``."""
        if not 100 <= status <= 599:
            raise ValueError(f"not an HTTP status: {status}")
        if count > 0:
            with self._lock:
                self._forced.append(_Forced(status, count, path, message))

    def clear(self) -> None:
        with self._lock:
            self._forced.clear()

    def pending(self) -> int:
        """How many forced failures are still queued."""
        with self._lock:
            return sum(f.remaining for f in self._forced)

    def next_failure(self, path: str, *, public: bool) -> Failure | None:
        """The failure this request gets, or None to serve it normally."""
        with self._lock:
            for forced in self._forced:
                if forced.path is None or path.startswith(forced.path):
                    forced.remaining -= 1
                    if forced.remaining <= 0:
                        self._forced.remove(forced)
                    return default_failure(forced.status, public=public, message=forced.message)
            if self.fail_rate > 0 and self._rng.random() < self.fail_rate:
                status = self._rng.choice(self.statuses)
                return default_failure(status, public=public)
        return None
