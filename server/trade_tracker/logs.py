"""Where the CLI's log records go: stderr, at ``TRADE_TRACKER_LOG_LEVEL`` (default WARNING).

Only the ``trade_tracker`` loggers are configured (retries, sync, credentials), and the
logger's level is only ever lowered; stdout stays JSON only. ``serve`` configures its own
logging (``serve.configure_logging``), so the CLI leaves it alone there. The handler
writes to whatever ``sys.stderr`` is when a record is emitted, so a redirected stderr (a
test runner, a pipe) is honoured. This module imports only the standard library: the CLI
calls it before every command.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

__all__ = ["LOGGER_NAME", "configure_cli_logging"]

LOGGER_NAME = "trade_tracker"
DEFAULT_LEVEL = "WARNING"


class _CurrentStderr(logging.StreamHandler):
    """A stream handler bound to the current ``sys.stderr``, not the one at set-up time."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:  # logging.StreamHandler assigns it; always follow sys.stderr
        pass


def configure_cli_logging(level: str | None) -> None:
    """Send ``trade_tracker`` records at ``level`` or above to stderr; an unknown level falls back to
    WARNING, with one warning saying so."""
    wanted = (level or DEFAULT_LEVEL).strip().upper()
    known = wanted in logging.getLevelNamesMapping()
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _CurrentStderr)]
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(wanted if known else DEFAULT_LEVEL)
    logger.addHandler(handler)
    if handler.level < logger.getEffectiveLevel():  # lower the bar only when asked: never mute anyone else's
        logger.setLevel(handler.level)
    if not known:
        logger.warning(
            "TRADE_TRACKER_LOG_LEVEL=%r is not a log level (use DEBUG, INFO, WARNING or ERROR); using WARNING",
            (level or "")[:20],
        )
