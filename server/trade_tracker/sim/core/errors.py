"""``SimError``: an API error answer of the simulator (HTTP status and Coinbase's ``message``)."""

from __future__ import annotations

__all__ = ["SimError"]


class SimError(Exception):
    """An API error answer: HTTP status and Coinbase's ``message`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
