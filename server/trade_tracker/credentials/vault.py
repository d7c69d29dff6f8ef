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
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..errors import VaultKeyError, WrongVaultKey
from .key_sources import GENERATE_HINT, EnvKeys, KeyFile, KeyHolder, KeyringKeys, generate_key, parse_keys

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["Vault", "key_holder"]

log = logging.getLogger("trade_tracker.vault")


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
            raise VaultKeyError(f"no vault key in {self.key_source}; {GENERATE_HINT}")
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
