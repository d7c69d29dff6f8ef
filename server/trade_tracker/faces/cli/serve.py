"""``trade-tracker serve`` on stdio, as a person meets it: a word on stderr, and Ctrl-C that stops it.

An editor starts ``serve`` itself and talks MCP over its stdin/stdout. A person who types
``trade-tracker serve`` in a terminal saw nothing at all and could not stop it: the first Ctrl-C
waited for the SDK's stdin reader (a worker thread blocked in ``read()`` cannot be cancelled), and
the second left the interpreter joining that same thread.

So, on stdio:

* when stdin is a terminal, one line on stderr says the server is waiting for an MCP client on
  stdin and how to connect an editor (stdout stays MCP-only);
* SIGINT (Ctrl-C) ends the process at once with exit code 130 and one line on stderr, no traceback.
  Exiting without unwinding is safe here: the store commits each sync page together with its cursor
  (a ``kill -9`` loses nothing, as tested), and nothing else holds unwritten state.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

__all__ = ["INTERRUPTED_EXIT", "WAITING_MESSAGE", "prepare_stdio_terminal"]

INTERRUPTED_EXIT = 130
WAITING_MESSAGE = (
    "trade-tracker: MCP server on stdio, waiting for an MCP client on stdin. An editor or MCP Inspector "
    "starts this command itself (see the README, 'Use it from your editor'); Ctrl-C stops it."
)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (AttributeError, ValueError):
        return False


def _stop(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"trade-tracker: stopped (Ctrl-C)\n")
    os._exit(INTERRUPTED_EXIT)


def prepare_stdio_terminal() -> None:
    """Say what is happening when stdin is a terminal, and make Ctrl-C stop the server (exit 130)."""
    try:
        signal.signal(signal.SIGINT, _stop)
    except ValueError:  # not the main thread (an embedding caller): leave its signals alone
        pass
    if _isatty(sys.stdin):
        print(WAITING_MESSAGE, file=sys.stderr, flush=True)
