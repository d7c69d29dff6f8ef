"""The vault: Fernet encryption of credential fields, and where its key comes from.

Every field is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) through a
``MultiFernet``: encryption uses the first (newest) key, decryption tries each key,
so a store can be re-encrypted key by key and the old key dropped afterwards.

The key comes from the first of these that applies:

1. ``FIELD_ENCRYPTION_KEY``: one Fernet key, or several comma separated, newest first.
   Read only; trade-tracker never writes the environment.
2. The OS keyring, only when ``TRADE_TRACKER_USE_KEYRING`` is set *and* the ``keyring``
   package is installed (service ``trade-tracker``, one entry per data directory).
3. ``$TRADE_TRACKER_HOME/vault.key``, created 0600 on first need, and refused when
   group or others can read it or when it is a symbolic link (it is read through a
   descriptor opened with ``O_NOFOLLOW``: a planted link must not hand us someone's key).

Nothing here ever overwrites data: a key that does not open a token is reported as
:class:`WrongVaultKey` and the token is left as it was. Key files are replaced only
atomically (temp file, fsync, rename, fsync of the directory), so a crash leaves
either the old or the new file, never half of one; the temp file a killed writer leaves
behind is removed by the next start (``private_files.remove_stale_temps``, run when the
store opens), while one a live writer holds locked is kept.

Rotation with a writable key source (file or keyring) is two key writes around one
database transaction: :meth:`Vault.begin_rotation` stores ``new,old``; the caller
re-encrypts every row with :meth:`Vault.rotate`; :meth:`Vault.finish_rotation`
stores ``new`` alone. At every step, each row decrypts with the keys on disk.

This module is the boundary where cryptography's errors become ``VaultError``. It
knows nothing of Coinbase or of the store.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..errors import VaultKeyError, WrongVaultKey
from ..private_files import NOFOLLOW, check_private, fsync_dir, private_temp, read_private_text, replace_atomically

if TYPE_CHECKING:
    from ..config import Settings

__all__ = [
    "KEYRING_SERVICE",
    "EnvKeys",
    "KeyFile",
    "KeyHolder",
    "KeyringKeys",
    "Vault",
    "generate_key",
    "key_holder",
    "parse_keys",
]

log = logging.getLogger("trade_tracker.vault")

KEYRING_SERVICE = "trade-tracker"
_GENERATE_HINT = (
    "generate one with: python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\""
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
        raise VaultKeyError(f"{where} holds no key; {_GENERATE_HINT}")
    keys: list[str] = []
    for number, part in enumerate(parts, 1):
        try:
            Fernet(part)
        except (ValueError, TypeError):
            raise VaultKeyError(
                f"key #{number} in {where} is not a Fernet key (44 characters of url-safe base64 "
                f"encoding 32 bytes); {_GENERATE_HINT}"
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


def _import_keyring() -> ModuleType | None:
    try:
        return importlib.import_module("keyring")
    except ImportError:
        return None


def key_holder(settings: Settings) -> KeyHolder:
    """Pick the key source in the documented order: env, keyring (when asked and installed), key file."""
    env = settings.field_encryption_key
    if env is not None and env.get_secret_value().strip():
        return EnvKeys(env.get_secret_value())
    if settings.use_keyring:
        module = _import_keyring()
        if module is not None:
            return KeyringKeys(module, account=f"vault-key:{settings.trade_tracker_home}")
        log.warning(
            "TRADE_TRACKER_USE_KEYRING is set but the keyring package is not installed "
            "(pip install 'trade-tracker-mcp[keyring]'); using the key file %s",
            settings.key_file,
        )
    return KeyFile(settings.key_file)


# -- the vault ---------------------------------------------------------------------------


class Vault:
    """Encrypts and decrypts text fields with the configured Fernet keys.

    Args:
        keys: Fernet keys, newest first. The first one encrypts.
        holder: where the keys came from (reloaded by :meth:`refresh`, written by rotation).
        source: a description used when there is no holder.

    ``key_source`` is ``"env"``, ``"keyring"``, ``"file:/path"`` or ``source``. No key
    material appears in ``repr``, ``str`` or any error.
    """

    def __init__(self, keys: Sequence[str], *, holder: KeyHolder | None = None, source: str = "explicit") -> None:
        self._holder = holder
        self.key_source = holder.description if holder is not None else source
        self._set_keys(keys)

    def _set_keys(self, keys: Sequence[str]) -> None:
        checked = parse_keys(",".join(keys), self.key_source) if keys else []
        if not checked:
            raise VaultKeyError(f"no vault key in {self.key_source}; {_GENERATE_HINT}")
        self._keys = tuple(checked)
        self._fernets = tuple(Fernet(k) for k in checked)
        self._multi = MultiFernet(list(self._fernets))

    @classmethod
    def from_settings(cls, settings: Settings, *, create: bool = True) -> Vault:
        """Open the vault from the first key source that applies.

        With ``create`` (the default), a missing key file or keyring entry is created with a
        fresh key. Without it, a missing key is a :class:`VaultKeyError`: pass ``create=False``
        when data encrypted under some earlier key already exists.
        """
        holder = key_holder(settings)
        keys = holder.load()
        if keys is None:
            if not create:
                raise VaultKeyError(
                    f"no vault key found ({holder.description}), but the store holds encrypted credentials; "
                    "restore the key file or keyring entry they were encrypted with, or set FIELD_ENCRYPTION_KEY "
                    "to that key (a new key would not open them)"
                )
            keys = holder.create([generate_key()])
            log.info("created a new vault key (%s)", holder.description)
        return cls(keys, holder=holder)

    def __repr__(self) -> str:
        return f"Vault(source={self.key_source!r}, keys={len(self._keys)})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("Vault cannot be pickled")

    @property
    def key_count(self) -> int:
        return len(self._keys)

    @property
    def writable(self) -> bool:
        """True when rotation can write a new key itself (key file or keyring)."""
        return self._holder is not None and self._holder.writable

    # -- encryption ----------------------------------------------------------------------

    def encrypt(self, plaintext: str) -> str:
        """Encrypt under the newest key; return the Fernet token as text."""
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt with any configured key. A token no key opens raises :class:`WrongVaultKey`.

        Before giving up, the key source is read again once: another process may have
        rotated the key since this vault was opened.
        """
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            pass
        if self.refresh():
            try:
                return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
            except (InvalidToken, UnicodeError):
                pass
        raise self._wrong_key() from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key, keeping its timestamp."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise self._wrong_key() from None

    def is_current(self, token: str) -> bool:
        """True when the newest key alone opens ``token`` (after rotation, every row should)."""
        try:
            self._fernets[0].decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def _wrong_key(self) -> WrongVaultKey:
        return WrongVaultKey(
            f"this store was encrypted with a different key than the {len(self._keys)} key(s) from "
            f"{self.key_source}; nothing was changed or overwritten. Restore the key it was encrypted with "
            "(vault.key, the keyring entry or FIELD_ENCRYPTION_KEY), or put it after the new key, comma "
            "separated, in FIELD_ENCRYPTION_KEY and run `trade-tracker credentials rotate-key`"
        )

    # -- key changes ---------------------------------------------------------------------

    def refresh(self) -> bool:
        """Re-read the key source; return True when the keys changed (e.g. another process rotated)."""
        if self._holder is None:
            return False
        keys = self._holder.load()
        if keys is None or tuple(keys) == self._keys:
            return False
        self._set_keys(keys)
        return True

    def begin_rotation(self) -> None:
        """Make a new key the newest, keeping the old ones.

        With a writable source, a fresh key is generated and ``new,old...`` is stored
        (atomically) *before* any row changes, so every row stays readable from disk.
        With ``FIELD_ENCRYPTION_KEY`` nothing is written: the user has already put the
        new key first, and rows are re-encrypted under it.
        """
        if not self.writable:
            return
        assert self._holder is not None
        keys = [generate_key(), *self._keys]
        self._holder.save(keys)
        self._set_keys(keys)
        log.info("vault rotation: new key stored in %s", self.key_source)

    def finish_rotation(self) -> bool:
        """Store only the newest key. Call once every row :meth:`is_current`. True if keys were dropped."""
        if not self.writable or len(self._keys) == 1:
            return False
        assert self._holder is not None
        keys = [self._keys[0]]
        self._holder.save(keys)
        self._set_keys(keys)
        log.info("vault rotation: old keys dropped from %s", self.key_source)
        return True
