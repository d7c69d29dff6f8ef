"""``rotate-key``: re-encrypt every stored credential under a new vault key, safely against a crash.

Order (each step leaves every row readable with the keys on disk):
1. every row must open with the current keys, else :class:`WrongVaultKey` and nothing changes;
2. a writable key source (file, keyring) stores a fresh key in front: ``new,old``;
3. one transaction re-encrypts every row and checks each opens under the new key alone;
4. under the write lock, once every row is current, the source is rewritten to ``new``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import WrongVaultKey
from ..store.credential_rows import set_tokens, token_rows
from .models import RotationResult
from .vault import Vault

if TYPE_CHECKING:
    from .service import CredentialService

__all__ = ["rotate_key"]

log = logging.getLogger("trade_tracker.credentials")


def rotate_key(service: CredentialService) -> RotationResult:
    """Re-encrypt every credential under the newest key, in one transaction, then drop old keys.

    Order (each step leaves every row readable with the keys on disk):
    1. every row must open with the current keys, else :class:`WrongVaultKey` and nothing changes;
    2. a writable key source (file, keyring) stores a fresh key in front: ``new,old``;
    3. one transaction re-encrypts every row and checks each opens under the new key alone;
    4. under the write lock, once every row is current, the source is rewritten to ``new``.
    With ``FIELD_ENCRYPTION_KEY`` step 2 and 4 are the user's: put the new key first before,
    and drop the old one after.
    """
    vault = service.vault
    # Steps 1-3 under one write lock: no other rotation (or add) can change the key source or
    # the rows between the check, the new key on disk and the re-encryption. A rollback leaves
    # ``new,old`` on disk, which still opens every row. A None token (no passphrase) stays None.
    with service.store.write("re-encrypting credentials") as conn:
        vault.refresh()
        rows = token_rows(conn)
        for label, *tokens in rows:
            for token in tokens:
                if token is not None:
                    service.decrypt(label, token)
        vault.begin_rotation()
        for label, *tokens in rows:
            try:
                fresh = [None if token is None else vault.rotate(token) for token in tokens]
            except WrongVaultKey as exc:
                raise WrongVaultKey(f"credential '{label}': {exc}") from None
            set_tokens(conn, label, fresh)

    # Step 4 only after the commit (a crash before it must still find the old key on disk), again
    # under the lock, and against the key source as it is now: if another process rotated in
    # between, its newest key is the one every row must open with.
    with service.store.write("finishing key rotation"):
        vault.refresh()
        current = all(vault.is_current(t) for _, *tokens in _all_tokens(service) for t in tokens if t is not None)
        dropped = vault.finish_rotation() if current else False

    message = _rotation_message(vault, len(rows), dropped)
    log.info("rotate-key: %s", message)
    return RotationResult(
        rows=len(rows),
        key_source=vault.key_source,
        old_keys_dropped=dropped,
        keys_configured=vault.key_count,
        message=message,
    )


def _rotation_message(vault: Vault, rows: int, dropped: bool) -> str:
    """What a rotation did, and what is left for the user to do, in one sentence."""
    if vault.writable and dropped:
        return f"re-encrypted {rows} credential(s) under a new key in {vault.key_source}; the old key was removed"
    if vault.writable:
        return (
            f"re-encrypted {rows} credential(s); a credential was added meanwhile, so the old key is kept "
            "beside the new one: run rotate-key again"
        )
    if vault.key_count > 1:
        return (
            f"re-encrypted {rows} credential(s) under the first key in FIELD_ENCRYPTION_KEY; you can now "
            "remove the older key(s) from FIELD_ENCRYPTION_KEY"
        )
    return (
        f"re-encrypted {rows} credential(s) under the only key in FIELD_ENCRYPTION_KEY; to change "
        "keys, put a new key first (comma separated), run rotate-key, then remove the old one"
    )


def _all_tokens(service: CredentialService) -> list[tuple[str, str, str, str | None]]:
    with service.store.reading("reading credentials") as conn:
        return token_rows(conn)
