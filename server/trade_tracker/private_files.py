"""Files only the user can read, written so a crash never leaves half of one.

Shared by the vault (``vault.key``), the store (``trades.db``) and CSV exports: each file is
written to a 0600 temp file beside its target, fsynced, then renamed over it (atomic on
POSIX), and the folder is fsynced so the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from .errors import InsecurePermissions

__all__ = ["check_private", "fsync_dir", "replace_atomically", "write_private_temp"]

T = TypeVar("T")


def check_private(path: Path) -> None:
    """Refuse a file that group or others can read or write, saying how to fix it."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecurePermissions(
            f"{path} is open to other users (mode {stat.filemode(mode)}); fix it with: chmod 600 {path}"
        )


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the platform allows it (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_private_temp(path: Path, write: Callable[[IO[str]], T]) -> tuple[str, T]:
    """Call ``write`` on a new 0600 temp file beside ``path``, fsync it; return its name and the result.

    The temp file is removed if anything fails. OSError is left to the caller to translate.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp, result


def replace_atomically(path: Path, write: Callable[[IO[str]], T]) -> T:
    """Write ``path`` as a whole or not at all (0600): temp file, fsync, rename, fsync the folder."""
    temp, result = write_private_temp(path, write)
    try:
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return result
