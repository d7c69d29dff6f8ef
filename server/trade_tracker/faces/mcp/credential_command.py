"""The CLI command ``store_credential`` hands out when no page can be opened: complete for this server.

"Run ``trade-tracker credentials add --label=main``" sends the user to a terminal that knows nothing
of how the editor started the server: ``trade-tracker`` may not be on its PATH (it lives in a venv),
its data folder and exchange may differ from the ones in the editor's MCP config, and a vault key
that the editor passes as ``FIELD_ENCRYPTION_KEY`` is not set there. The key would then land in a
different store, for a different exchange, or under a different vault key, and the running server
would never see it.

So the command names the absolute path of the running install's ``trade-tracker``, the data folder
(``--home``) and the base URL (``EX_BASE_URL=...``) in use, and a note says when the vault key comes
from the environment (``FIELD_ENCRYPTION_KEY``: set the same value in that terminal) or the keyring.
Never the key itself. A key stored by that command goes into the very store the server reads, and
the server looks credentials up on each call, so it is usable at once.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from trade_tracker.config import Settings
from trade_tracker.labels import check_label

__all__ = ["setup_command", "setup_notes", "trade_tracker_executable"]


def trade_tracker_executable() -> list[str]:
    """How to run this very install: its ``trade-tracker`` script beside the interpreter, else the one on
    PATH, else ``python -m trade_tracker`` with this interpreter (all absolute)."""
    beside = Path(sys.executable).with_name("trade-tracker")
    if beside.is_file():
        return [str(beside.absolute())]
    found = shutil.which("trade-tracker")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "trade_tracker"]


def setup_command(settings: Settings, label: str, *, replace: bool = False, venue: str = "exchange") -> str:
    """The shell command (POSIX quoting) that stores a credential under ``label`` for this server's setup;
    ``replace`` (the label already holds a key): with ``--replace``, which swaps in the new key; ``venue``
    other than Exchange: with ``--venue``."""
    label = check_label(label)
    env = [f"EX_BASE_URL={shlex.quote(settings.ex_base_url)}"]
    if settings.use_keyring:
        env.append("TRADE_TRACKER_USE_KEYRING=true")
    argv = [
        *trade_tracker_executable(),
        "--home",
        str(settings.trade_tracker_home),
        "credentials",
        "add",
        f"--label={label}",
        *([f"--venue={venue}"] if venue != "exchange" else []),
        *(["--replace"] if replace else []),
    ]
    return " ".join([*env, *(shlex.quote(part) for part in argv)])


def setup_notes(settings: Settings) -> str:
    """What the user must also know for that command to reach this server's store ("" when nothing)."""
    if settings.field_encryption_key is not None:
        return (
            "The server's vault key comes from FIELD_ENCRYPTION_KEY in the editor's MCP settings: set the "
            "same FIELD_ENCRYPTION_KEY in that terminal first (never paste it into the chat)."
        )
    if settings.use_keyring:
        return "The server's vault key is in the OS keyring: run the command as the same user, on this machine."
    return ""
