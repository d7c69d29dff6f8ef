"""Files only the user can read, in a folder only the user can write, never reached through a link.

Shared by the vault (``vault.key``), the store (``trades.db``), the shared rate-limit files
and CSV exports:

- each file is written to a 0600 temp file beside its target, fsynced, then renamed over it
  (atomic on POSIX), and the folder is fsynced so the rename itself survives a power loss.
  The writer holds an ``flock`` on its temp file until the rename, so a later start can tell
  the temp file of a killed writer (no lock) from one still being written, and remove it;
- files in the data folder are opened with ``O_NOFOLLOW`` (or refused when they are links,
  for SQLite, which cannot be told not to follow): a link planted there could otherwise make
  trade-tracker read an attacker's key or overwrite the file the link points at;
- the data folder itself must belong to the user (or root) and be writable by no one else,
  since whoever can write it can plant such links.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TypeVar

from .errors import InsecurePermissions

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "NOFOLLOW",
    "check_private",
    "check_private_dir",
    "ensure_private_dir",
    "fsync_dir",
    "open_nofollow",
    "prepare_store_file",
    "private_temp",
    "read_private_text",
    "refuse_symlink",
    "remove_stale_temps",
    "replace_atomically",
]

T = TypeVar("T")

#: ``O_NOFOLLOW`` where the platform has it (0 elsewhere: Windows has no such links by default).
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a planted FIFO must not hang
#: Files SQLite opens beside ``trades.db`` (journal, WAL and its index).
STORE_COMPANIONS = ("-journal", "-wal", "-shm")
#: Without flock (Windows), a temp file this old is taken as left behind by a dead writer.
_STALE_AFTER_S = 3600.0
#: What :func:`tempfile.mkstemp` makes of ``prefix=".NAME.", suffix=".tmp"``.
_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def _is_link_error(exc: OSError) -> bool:
    # Linux says ELOOP for O_NOFOLLOW on a link; FreeBSD says EMLINK; macOS ELOOP.
    return exc.errno in (errno.ELOOP, errno.EMLINK)


def _link_refused(path: Path) -> InsecurePermissions:
    return InsecurePermissions(
        f"{path} is a symbolic link; trade-tracker does not follow links in its data folder. "
        f"Remove it (rm {path}) and, if you meant to keep the data elsewhere, set TRADE_TRACKER_HOME there"
    )


def check_private(path: Path, mode: int | None = None) -> None:
    """Refuse a file that group or others can read or write, saying how to fix it."""
    mode = path.lstat().st_mode if mode is None else mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecurePermissions(
            f"{path} is open to other users (mode {stat.filemode(mode)}); fix it with: chmod 600 {path}"
        )


def check_private_dir(folder: Path) -> None:
    """Refuse a data folder that is not the user's (or root's) or that group or others can write.

    Whoever can write the folder can plant a link or a file in it, so its owner and mode are
    what make every other check here meaningful. POSIX only; elsewhere nothing is checked.
    """
    if os.name != "posix":  # pragma: no cover - Windows: ACLs, not modes
        return
    info = folder.stat()  # the folder itself may be a link the user made: its target is checked
    if not stat.S_ISDIR(info.st_mode):
        raise InsecurePermissions(f"{folder} is not a folder; point TRADE_TRACKER_HOME at a folder")
    uid = os.geteuid()
    if info.st_uid not in (uid, 0):
        raise InsecurePermissions(
            f"{folder} belongs to another user (uid {info.st_uid}, you are uid {uid}); use a folder of your own "
            f"(set TRADE_TRACKER_HOME), or take it over with: chown {uid} {folder} && chmod 700 {folder}"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise InsecurePermissions(
            f"{folder} can be written by other users (mode {stat.filemode(info.st_mode)}), who could plant "
            f"files or links in it; fix it with: chmod 700 {folder}"
        )


def refuse_symlink(path: Path) -> None:
    """Raise InsecurePermissions when ``path`` is a symbolic link (absent is fine)."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISLNK(path.lstat().st_mode):
            raise _link_refused(path)


def ensure_private_dir(folder: Path) -> Path:
    """Create ``folder`` (0700) if missing; refuse it when it is a link, or not private (see above)."""
    refuse_symlink(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    refuse_symlink(folder)  # created by someone else in between
    check_private_dir(folder)
    return folder


def open_nofollow(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses a link at ``path`` (InsecurePermissions) and anything not a regular file.

    Other OSErrors (FileNotFoundError, EACCES...) are left to the caller.
    """
    try:
        fd = os.open(path, flags | NOFOLLOW | _CLOEXEC | _NONBLOCK, mode)
    except OSError as exc:
        if _is_link_error(exc):
            raise _link_refused(path) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InsecurePermissions(f"{path} is not a regular file; move it away")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_private_text(path: Path, encoding: str = "ascii") -> str:
    """The whole text of a private file, opened without following a link and checked 0600 on its fd.

    Raises FileNotFoundError when absent, InsecurePermissions for a link, a non-regular or an
    open file, UnicodeDecodeError and OSError otherwise.
    """
    fd = open_nofollow(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        check_private(path, os.fstat(fd).st_mode)
        return handle.read().decode(encoding)


def prepare_store_file(path: Path, check_permissions: bool = True) -> None:
    """Make ``trades.db`` ready for SQLite: its folder private, no link anywhere SQLite will open, 0600.

    SQLite follows links and has no ``O_NOFOLLOW`` switch in Python, so the database and its
    journal, WAL and shared-memory files are refused here when they are links. Temp files a killed
    writer left in the folder (a rotation's key file, say) are removed on the way.
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in STORE_COMPANIONS)):
        refuse_symlink(candidate)
    remove_stale_temps(folder, ("vault.key",))
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL | NOFOLLOW | _CLOEXEC, 0o600)
    except FileExistsError:
        if check_permissions:
            check_private(path)
        return
    os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the platform allows it (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def private_temp(path: Path, write: Callable[[IO[str]], T]) -> Iterator[tuple[str, T]]:
    """Call ``write`` on a new 0600 temp file beside ``path``, fsync it; yield its name and the result.

    The temp file stays locked (``flock``) while the block runs, so :func:`remove_stale_temps`
    in another process leaves it alone, and its name is removed when the block ends (a rename
    or a link inside the block has already given the data its real name). OSError is left to
    the caller to translate.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8", closefd=False) as handle:
            result = write(handle)
            handle.flush()
            os.fsync(fd)
        yield temp, result
    finally:
        Path(temp).unlink(missing_ok=True)
        os.close(fd)  # closing releases the lock


def replace_atomically(path: Path, write: Callable[[IO[str]], T]) -> T:
    """Write ``path`` as a whole or not at all (0600): temp file, fsync, rename, fsync the folder.

    A link at ``path`` is replaced by the new file, never written through.
    """
    with private_temp(path, write) as (temp, result):
        os.replace(temp, path)
    fsync_dir(path.parent)
    return result


def remove_stale_temps(folder: Path, targets: Iterable[str]) -> list[str]:
    """Remove the temp files that writers killed midway left in ``folder`` for these target names.

    ``targets`` are shell patterns of the files written atomically there (``vault.key``,
    ``fills-*.csv``); only temp files named as :func:`private_temp` names them (``.NAME.XXXXXXXX.tmp``)
    for such a name are considered, so a folder shared with other programs loses nothing of theirs.
    A temp file whose writer still runs is locked and kept. Returns the names removed.
    """
    patterns = tuple(targets)
    removed: list[str] = []
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if match and any(fnmatch.fnmatchcase(match["target"], p) for p in patterns):
            if _remove_if_abandoned(folder / name):
                removed.append(name)
    if removed:
        fsync_dir(folder)
    return removed


def _remove_if_abandoned(candidate: Path) -> bool:
    try:
        info = candidate.lstat()
        if not stat.S_ISREG(info.st_mode):
            return False  # not one of ours: leave it to the user
        fd = os.open(candidate, os.O_RDONLY | NOFOLLOW | _CLOEXEC | _NONBLOCK)
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # its writer is alive
        elif time.time() - info.st_mtime < _STALE_AFTER_S:  # pragma: no cover - Windows
            return False
        opened = os.fstat(fd)
        now = candidate.lstat()
        if (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
            return False  # renamed or replaced meanwhile
        candidate.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
