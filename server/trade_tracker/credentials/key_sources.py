"""Where the vault's keys live: ``FIELD_ENCRYPTION_KEY`` (read-only), the OS keyring, or a 0600 key file.

Each source holds the comma-separated Fernet keys, newest first, and can load, save (atomically) and
create them; :func:`~trade_tracker.credentials.vault.key_holder` picks one in the documented order.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Protocol

from cryptography.fernet import Fernet

from ..errors import VaultKeyError
from ..private_files import NOFOLLOW, check_private, fsync_dir, private_temp, read_private_text, replace_atomically

__all__ = [
    "GENERATE_HINT",
    "KEYRING_SERVICE",
    "EnvKeys",
    "KeyFile",
    "KeyHolder",
    "KeyringKeys",
    "generate_key",
    "parse_keys",
]

log = logging.getLogger("trade_tracker.vault")

KEYRING_SERVICE = "trade-tracker"
GENERATE_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def generate_key() -> str:
    """A fresh random Fernet key (url-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(text: str, where: str) -> list[str]:
    """Split keys separated by commas or whitespace, check each is a Fernet key, drop repeats.

    Errors name the position of the bad key, never its value.
    """
    parts = [part for part in re.split(r"[,\s]+", text) if part]
    if not parts:
        raise VaultKeyError(f"{where} holds no key; {GENERATE_HINT}")
    keys: list[str] = []
    for number, part in enumerate(parts, 1):
        try:
            Fernet(part)
        except (ValueError, TypeError):
            raise VaultKeyError(
                f"key #{number} in {where} is not a Fernet key (44 characters of url-safe base64 "
                f"encoding 32 bytes); {GENERATE_HINT}"
            ) from None
        if part not in keys:
            keys.append(part)
    return keys


# -- where keys live ---------------------------------------------------------------------


class KeyHolder(Protocol):
    """A place keys are read from and, when ``writable``, written to."""

    description: str
    writable: bool

    def load(self) -> list[str] | None:
        """The keys, newest first, or None when none are stored yet."""

    def save(self, keys: Sequence[str]) -> None:
        """Replace the stored keys atomically."""

    def create(self, keys: Sequence[str]) -> list[str]:
        """Store ``keys`` unless keys already exist; return whichever keys are stored now."""
        raise NotImplementedError


class EnvKeys:
    """``FIELD_ENCRYPTION_KEY``: read only."""

    description = "env"
    writable = False

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return "EnvKeys()"

    def load(self) -> list[str]:
        return parse_keys(self._text, "FIELD_ENCRYPTION_KEY")

    def save(self, keys: Sequence[str]) -> None:
        raise VaultKeyError(
            "FIELD_ENCRYPTION_KEY comes from the environment, which trade-tracker never writes; "
            "edit it yourself (newest key first, comma separated)"
        )

    def create(self, keys: Sequence[str]) -> list[str]:
        return self.load()


class KeyFile:
    """``$TRADE_TRACKER_HOME/vault.key``: keys on one line, comma separated, newest first, mode 0600."""

    writable = True

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = f"file:{self.path}"

    def __repr__(self) -> str:
        return f"KeyFile({str(self.path)!r})"

    def check_permissions(self) -> None:
        """Refuse a key file that group or others can read or write, or that is a link."""
        if not stat.S_ISREG(self.path.lstat().st_mode):
            raise VaultKeyError(
                f"{self.path} is not a regular file (a link or a folder?); move it away so a key file can be created"
            )
        check_private(self.path)

    def load(self) -> list[str] | None:
        """The keys in the file, read through a descriptor opened without following a link."""
        try:
            self.check_permissions()
            text = read_private_text(self.path)
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise VaultKeyError(f"cannot read the vault key file {self.path}: {_reason(exc)}") from None
        return parse_keys(text, str(self.path))

    def save(self, keys: Sequence[str]) -> None:
        text = ",".join(keys) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_atomically(self.path, lambda f: f.write(text))
        except OSError as exc:
            raise VaultKeyError(f"cannot write the vault key file {self.path}: {_reason(exc)}") from None

    def create(self, keys: Sequence[str]) -> list[str]:
        """Create the file only if absent (a hard link never replaces), so two processes agree on one key."""
        text = ",".join(keys) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with private_temp(self.path, lambda f: f.write(text)) as (tmp, _):
                try:
                    os.link(tmp, self.path)  # never through a link: an existing name is FileExistsError
                except FileExistsError:
                    pass
                except OSError:  # no hard links on this filesystem: exclusive create instead
                    self._create_exclusive(text)
        except OSError as exc:
            raise VaultKeyError(f"cannot create the vault key file {self.path}: {_reason(exc)}") from None
        fsync_dir(self.path.parent)
        stored = self.load()
        if stored is None:
            raise VaultKeyError(f"the vault key file {self.path} vanished while it was being created")
        return stored

    def _create_exclusive(self, text: str) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
        except FileExistsError:
            return
        try:
            os.write(fd, text.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)


class KeyringKeys:
    """The OS keyring (``keyring`` package): one entry per data directory."""

    description = "keyring"
    writable = True

    def __init__(self, module: ModuleType, account: str) -> None:
        self._keyring = module
        self.account = account

    def __repr__(self) -> str:
        return f"KeyringKeys({self.account!r})"

    def _call(self, doing: str, fn: str, *args: str) -> str | None:
        try:
            return getattr(self._keyring, fn)(KEYRING_SERVICE, self.account, *args)
        except Exception as exc:  # keyring backends raise many types (KeyringError, D-Bus errors...)
            raise VaultKeyError(
                f"the OS keyring failed while {doing} ({type(exc).__name__}); unset TRADE_TRACKER_USE_KEYRING "
                "to use the key file instead, or fix the keyring backend"
            ) from None

    def load(self) -> list[str] | None:
        text = self._call("reading the vault key", "get_password")
        return None if text is None else parse_keys(text, "the OS keyring entry")

    def save(self, keys: Sequence[str]) -> None:
        text = ",".join(keys)
        self._call("storing the vault key", "set_password", text)
        if self._call("reading the vault key back", "get_password") != text:
            raise VaultKeyError(
                "the OS keyring did not keep the vault key (a null or read-only backend?); "
                "unset TRADE_TRACKER_USE_KEYRING to use the key file instead"
            )

    def create(self, keys: Sequence[str]) -> list[str]:
        existing = self.load()
        if existing is not None:
            return existing
        self.save(keys)
        return list(keys)


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
