"""Writing one credential row: ciphertext only, encrypted inside the write lock.

Kept apart from :mod:`service` (the add/list/get/remove flow) so that the one INSERT a new or
replaced key goes through is in one place. The vault is refreshed inside the store's write lock,
so a key is never encrypted under a vault key that a concurrent ``rotate-key`` just retired.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NamedTuple

from ..errors import CredentialExists
from ..formats import utc_now
from ..store.connection import TradeStore
from .models import EXCHANGE
from .vault import Vault

if TYPE_CHECKING:  # an annotation only: the row holds the venue's credential as it was checked
    from ..venues.coinbase_exchange.auth import ApiCredential

__all__ = ["CredentialRow", "write_row"]


class CredentialRow(NamedTuple):
    """What a stored credential row holds besides its ciphertext."""

    label: str
    base_url: str
    credential: ApiCredential
    status: str
    verified_at: str | None
    permissions: dict[str, str]


def write_row(store: TradeStore, vault: Vault, row: CredentialRow, *, replace: bool) -> None:
    """Store ``row`` in one write transaction, replacing the label's row when ``replace``; raises
    :class:`CredentialExists` when another process stored that label meanwhile and ``replace`` is off."""
    credential = row.credential
    with store.write("storing a credential") as conn:
        if replace:
            conn.execute("DELETE FROM credentials WHERE label = ?", (row.label,))  # same transaction as the insert
        elif conn.execute("SELECT 1 FROM credentials WHERE label = ?", (row.label,)).fetchone():
            raise CredentialExists(f"a credential labelled {row.label!r} was stored meanwhile; nothing was changed")
        vault.refresh()  # inside the write lock: never encrypt under a key a rotation just retired
        conn.execute(
            "INSERT INTO credentials (label, exchange, base_url, key_fingerprint, key_ct, secret_ct, "
            "passphrase_ct, created_at, last_verified_at, verify_status, permissions) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.label,
                EXCHANGE,
                row.base_url,
                credential.fingerprint,
                vault.encrypt(credential.key),
                vault.encrypt(credential.secret),
                vault.encrypt(credential.passphrase),
                utc_now(),
                row.verified_at,
                row.status,
                json.dumps(row.permissions),
            ),
        )
