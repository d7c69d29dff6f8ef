"""Every SQL statement on the ``credentials`` table: reads, the one INSERT, verification records, re-keying.

Why here: the store holds the project's SQL (issue 14), and the credential service above it stays
venue-neutral and SQL-free. Nothing here decrypts or encrypts: the caller hands in ciphertext, or a
function that encrypts inside the write lock (so a key is never encrypted under a vault key that a
concurrent ``rotate-key`` just retired). :func:`row_stamp` digests a row's ciphertexts and binding, so
a long-running process can tell with one indexed read that another process changed it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..errors import CredentialExists
from ..formats import utc_now
from .connection import TradeStore

__all__ = [
    "CREDENTIAL_LIST_COLUMNS",
    "STAMP_COLUMNS",
    "Ciphertexts",
    "NewCredential",
    "StampedRow",
    "credential_list",
    "delete_credential",
    "first_key_token",
    "insert_credential",
    "record_verification",
    "row_stamp",
    "set_tokens",
    "stamped_row",
    "stored_labels",
    "token_rows",
]

#: The columns a stamp covers, in order; the last one is the binding.
STAMP_COLUMNS = ("key_ct", "secret_ct", "passphrase_ct", "base_url")
#: What a listing shows (nothing encrypted): see ``credentials.models.credential_info``.
CREDENTIAL_LIST_COLUMNS = (
    "label",
    "exchange",
    "base_url",
    "key_fingerprint",
    "created_at",
    "last_verified_at",
    "verify_status",
    "permissions",
    "portfolio",
)


class Ciphertexts(NamedTuple):
    """A key's encrypted fields: the key field, the first secret field, the second one (None: the venue has
    no third field, e.g. an Advanced Trade key has no passphrase)."""

    key_ct: str
    secret_ct: str
    passphrase_ct: str | None


class NewCredential(NamedTuple):
    """What a new credential row holds besides its ciphertexts (``exchange``: the venue's ``stored_as``)."""

    label: str
    exchange: str
    base_url: str
    fingerprint: str
    status: str
    verified_at: str | None
    permissions: str  #: JSON text
    portfolio: str | None = None


class StampedRow(NamedTuple):
    """One credential's ciphertexts, binding and venue, read together."""

    key_ct: str
    secret_ct: str
    passphrase_ct: str | None
    base_url: str | None
    exchange: str
    permissions: str | None = None  #: the JSON the last key check recorded

    @property
    def stamp(self) -> str:
        return row_stamp(self[: len(STAMP_COLUMNS)])

    @property
    def tokens(self) -> tuple[str, str, str | None]:
        return self.key_ct, self.secret_ct, self.passphrase_ct


def row_stamp(row: Sequence[Any]) -> str:
    """A digest of one credential row in :data:`STAMP_COLUMNS` order (ciphertext only, never a secret)."""
    return hashlib.sha256("\x00".join(str(v) for v in row).encode("utf-8")).hexdigest()


def stored_labels(store: TradeStore) -> list[str]:
    with store.reading("listing credentials"):
        return [row[0] for row in store.conn.execute("SELECT label FROM credentials ORDER BY label")]


def first_key_token(store: TradeStore) -> tuple[str, str] | None:
    """(label, key ciphertext) of any one stored row: proves the vault opens what is stored."""
    with store.reading("reading a credential"):
        row = store.conn.execute("SELECT label, key_ct FROM credentials LIMIT 1").fetchone()
    return None if row is None else (row[0], row[1])


def credential_list(store: TradeStore) -> list[tuple[Any, ...]]:
    """Every row's :data:`CREDENTIAL_LIST_COLUMNS`, by label."""
    with store.reading("listing credentials"):
        return store.conn.execute(
            f"SELECT {', '.join(CREDENTIAL_LIST_COLUMNS)} FROM credentials ORDER BY label"
        ).fetchall()


def stamped_row(store: TradeStore, label: str) -> StampedRow | None:
    """``label``'s ciphertexts, binding and venue in one indexed read; None when there is no such row."""
    with store.reading("reading a credential"):
        row = store.conn.execute(
            f"SELECT {', '.join(STAMP_COLUMNS)}, exchange, permissions FROM credentials WHERE label = ?", (label,)
        ).fetchone()
    return None if row is None else StampedRow(*row)


def insert_credential(
    store: TradeStore, row: NewCredential, encrypt: Callable[[], Ciphertexts], *, replace: bool
) -> None:
    """Store ``row`` in one write transaction, replacing the label's row when ``replace``; ``encrypt`` runs
    inside the write lock. Raises :class:`CredentialExists` when another process stored that label
    meanwhile and ``replace`` is off."""
    with store.write("storing a credential") as conn:
        if replace:
            conn.execute("DELETE FROM credentials WHERE label = ?", (row.label,))  # same transaction as the insert
        elif conn.execute("SELECT 1 FROM credentials WHERE label = ?", (row.label,)).fetchone():
            raise CredentialExists(f"a credential labelled {row.label!r} was stored meanwhile; nothing was changed")
        key_ct, secret_ct, passphrase_ct = encrypt()
        conn.execute(
            "INSERT INTO credentials (label, exchange, base_url, key_fingerprint, key_ct, secret_ct, "
            "passphrase_ct, created_at, last_verified_at, verify_status, permissions, portfolio) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.label,
                row.exchange,
                row.base_url,
                row.fingerprint,
                key_ct,
                secret_ct,
                passphrase_ct,
                utc_now(),
                row.verified_at,
                row.status,
                row.permissions,
                row.portfolio,
            ),
        )


def delete_credential(store: TradeStore, label: str) -> bool:
    with store.write("removing a credential") as conn:
        return bool(conn.execute("DELETE FROM credentials WHERE label = ?", (label,)).rowcount)


def record_verification(
    store: TradeStore,
    label: str,
    status: str,
    verified_at: str | None,
    permissions: str | None,
    *,
    bind: tuple[str, str] | None = None,
) -> bool:
    """Record a verification (``permissions``: JSON text; None records the status only). With ``bind`` =
    (the stamp of the row that was verified, the new base URL), also bind the row to that URL, but only if
    it is still that row: False (nothing written) when another process replaced it meanwhile."""
    with store.write("recording a verification") as conn:
        if bind is not None:
            row = conn.execute(
                f"SELECT {', '.join(STAMP_COLUMNS)} FROM credentials WHERE label = ?", (label,)
            ).fetchone()
            if row is None or row_stamp(row) != bind[0]:
                return False
            conn.execute("UPDATE credentials SET base_url = ? WHERE label = ?", (bind[1], label))
        if permissions is None:
            conn.execute("UPDATE credentials SET verify_status = ? WHERE label = ?", (status, label))
        else:
            conn.execute(
                "UPDATE credentials SET verify_status = ?, last_verified_at = COALESCE(?, last_verified_at), "
                "permissions = ? WHERE label = ?",
                (status, verified_at, permissions, label),
            )
    return True


def token_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    """(label, key_ct, secret_ct, passphrase_ct) of every row, by label, on an open connection (``rotate-key``
    reads and re-encrypts them in one write transaction)."""
    return conn.execute("SELECT label, key_ct, secret_ct, passphrase_ct FROM credentials ORDER BY label").fetchall()


def set_tokens(conn: sqlite3.Connection, label: str, tokens: Sequence[str | None]) -> None:
    """Replace ``label``'s three ciphertexts (re-encrypted; a None passphrase stays None)."""
    conn.execute(
        "UPDATE credentials SET key_ct = ?, secret_ct = ?, passphrase_ct = ? WHERE label = ?", (*tokens, label)
    )
