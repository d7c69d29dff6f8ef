"""Encrypted Coinbase Exchange API credentials by label, on the vault and the trade store.

What is stored (table ``credentials``): the label, the exchange, the base URL the key
was added for, a fingerprint of the API key (its last 4 characters and a SHA-256
prefix, never the whole key and nothing derived from the secret), Fernet ciphertext
of key, secret and passphrase (never plaintext), when it was added and last verified,
and what is known about the key's permissions.

What can be known about permissions, honestly: Coinbase Exchange has no endpoint that
says what a key may do. A 200 from ``GET /accounts`` proves **View**. Whether the key
can also **Trade** or **Transfer** is recorded as ``"unknown"``: finding out would take
a request that could place an order or move funds (``trading_enabled`` on
``/accounts`` describes the account, not the key), and trade-tracker never sends one.
So every add warns that a View-only key is recommended.

The ``env`` credential (``EX_API_KEY_READ`` / ``_SECRET_READ`` / ``_PASSPHRASE_READ``)
is listed under the reserved label ``env`` and never written to disk.

Base URL binding: a stored key is sent only to the base URL it was added (and verified)
with, the ``base_url`` column. When ``EX_BASE_URL`` says otherwise, :meth:`get` refuses
before any request (:class:`CredentialUrlMismatch`, naming both URLs); the owner either
sets ``EX_BASE_URL`` back or re-binds on purpose with ``credentials verify --rebind``,
which verifies the key against the new URL and records it only if the exchange accepts
it. The ``env`` credential has no stored binding: it lives in the same environment as
``EX_BASE_URL``, set together by the same person, so it goes where that says (plain
http to another machine is refused for every credential, in ``config.py``).

Change detection: :meth:`stamp` is a digest of a label's stored row (ciphertexts and
binding). A long-running process compares it before each signed request, so a key that
another process replaced, removed, re-bound or re-encrypted is never signed with again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from .coinbase.auth import ApiCredential, decode_secret, key_fingerprint
from .coinbase.client import CoinbaseClient, RetryPolicy
from .coinbase.ratelimit import RateLimits
from .config import Settings
from .credential_binding import STAMP_COLUMNS, check_binding, is_bound_to, row_stamp
from .errors import (
    AuthenticationError,
    CredentialError,
    CredentialExists,
    CredentialNotFound,
    ExchangeError,
    InvalidCredential,
    PermissionDenied,
    WrongVaultKey,
)
from .label_history import check_same_account
from .labels import ENV_LABEL, check_label
from .store import TradeStore, utc_now
from .vault import Vault

__all__ = [
    "ENV_LABEL",
    "EXCHANGE",
    "VIEW_ONLY_WARNING",
    "AddResult",
    "ClientFactory",
    "CredentialInfo",
    "CredentialService",
    "RotationResult",
    "add_command_hint",
    "check_api_key",
    "check_label",
]

log = logging.getLogger("trade_tracker.credentials")

EXCHANGE = "coinbase-exchange"
_API_KEY = re.compile(r"^[A-Za-z0-9._-]{1,256}$")  # Exchange keys are 32 hex digits; allow a little more

VIEW_ONLY_WARNING = (
    "Coinbase Exchange does not report a key's permissions, so trade-tracker cannot tell whether this key "
    "can trade or transfer. trade-tracker needs only View: if this key also has Trade or Transfer, create a "
    "View-only key on Coinbase Exchange and replace this one."
)

ClientFactory = Callable[[ApiCredential], CoinbaseClient]

VerifyStatus = Literal["verified", "unverified", "skipped", "rejected"]


def add_command_hint(label: str) -> str:
    """The CLI command that stores a credential under ``label`` (for clients without URL elicitation)."""
    return f"trade-tracker credentials add --label={check_label(label)}"


def check_api_key(key: str) -> str:
    """Check the API key's shape (stripped); errors never echo it."""
    cleaned = key.strip() if isinstance(key, str) else ""
    if not cleaned:
        raise InvalidCredential("the API key is empty")
    if cleaned.startswith("organizations/") or "/apiKeys/" in cleaned:
        raise InvalidCredential(
            "this looks like a CDP / Advanced Trade key name; Coinbase Exchange needs an Exchange API key: "
            "key, base64 secret and passphrase"
        )
    if not _API_KEY.match(cleaned):
        raise InvalidCredential(
            "the API key should be a short string of letters and digits (Coinbase Exchange shows 32 hex "
            "digits); check what was pasted"
        )
    return cleaned


class CredentialInfo(BaseModel):
    """What may be shown about a credential: never the key, secret or passphrase."""

    model_config = ConfigDict(frozen=True)

    label: str
    exchange: str = EXCHANGE
    fingerprint: str
    created_at: str | None = None
    last_verified_at: str | None = None
    verify_status: str | None = None
    #: ``{"view": "yes"|"unknown", "trade": "unknown", "transfer": "unknown", "basis": "..."}``
    permissions: dict[str, str] | None = None
    source: Literal["stored", "env"] = "stored"
    base_url: str | None = None


class AddResult(BaseModel):
    """The stored credential's public info and the warnings to show the user."""

    model_config = ConfigDict(frozen=True)

    info: CredentialInfo
    warnings: list[str] = []


class RotationResult(BaseModel):
    """What ``rotate-key`` did."""

    model_config = ConfigDict(frozen=True)

    rows: int
    key_source: str
    old_keys_dropped: bool
    keys_configured: int
    message: str


def _permissions(view: str, basis: str) -> dict[str, str]:
    return {"view": view, "trade": "unknown", "transfer": "unknown", "basis": basis}


_VERIFIED_BASIS = (
    "GET /accounts answered 200, which proves View. Coinbase Exchange has no endpoint that reports a key's "
    "permissions, and trade-tracker never sends an order or transfer to find out, so Trade and Transfer are unknown."
)


class CredentialService:
    """Add, list, read, remove and re-key credentials.

    Args:
        store: the open trade store (its ``credentials`` table).
        settings: for the env credential, the exchange base URL and the vault key source.
        vault_factory: opens the vault, called lazily on first need. The default opens it from
            settings, and refuses to invent a new key when encrypted rows already exist.
        client_factory: builds the client used to verify a key (tests pass one with a mock transport).
        rate_limits, transport: for the default client, so a check shares the caller's buckets
            (and, in tests, its transport).
    """

    def __init__(
        self,
        store: TradeStore,
        settings: Settings,
        vault_factory: Callable[[], Vault] | None = None,
        *,
        client_factory: ClientFactory | None = None,
        rate_limits: RateLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self._rate_limits = rate_limits
        self._transport = transport
        self._vault_factory = vault_factory or self._open_vault
        self._vault: Vault | None = None
        self._client_factory = client_factory or self._default_client

    def __repr__(self) -> str:
        return f"CredentialService(store={self.store!r})"

    # -- plumbing ------------------------------------------------------------------------

    def _open_vault(self) -> Vault:
        return Vault.from_settings(self.settings, create=not self._stored_labels())

    @property
    def vault(self) -> Vault:
        """The vault, opened on first use."""
        if self._vault is None:
            self._vault = self._vault_factory()
        return self._vault

    def _default_client(self, credential: ApiCredential) -> CoinbaseClient:
        s = self.settings
        # A check is interactive (someone waits at a prompt or a page): retry less than a sync does.
        retry = RetryPolicy(attempts=min(s.retry_attempts, 3), timeout=min(s.retry_timeout, 30.0))
        return CoinbaseClient.from_settings(s, credential, rate_limits=self._rate_limits, transport=self._transport,
                                            retry=retry)

    def _stored_labels(self) -> list[str]:
        with self.store.reading("listing credentials"):
            return [row[0] for row in self.store.conn.execute("SELECT label FROM credentials ORDER BY label")]

    def _check_vault_opens_store(self) -> None:
        """Refuse to add under a key that does not open what is already stored (no mixed keys)."""
        with self.store.reading("reading a credential"):
            row = self.store.conn.execute("SELECT label, key_ct FROM credentials LIMIT 1").fetchone()
        if row is not None:
            self._decrypt(row[0], row[1])

    def _decrypt(self, label: str, token: str) -> str:
        try:
            return self.vault.decrypt(token)
        except WrongVaultKey as exc:
            raise WrongVaultKey(f"credential '{label}': {exc}") from None

    def _env_credential(self) -> ApiCredential | None:
        s = self.settings
        if not s.env_credential_present:
            return None
        assert s.ex_api_key_read and s.ex_api_secret_read and s.ex_api_passphrase_read
        try:
            return ApiCredential(
                key=s.ex_api_key_read.get_secret_value().strip(),
                secret=s.ex_api_secret_read.get_secret_value().strip(),
                passphrase=s.ex_api_passphrase_read.get_secret_value(),
                label=ENV_LABEL,
            )
        except InvalidCredential as exc:
            raise InvalidCredential(
                "the env credential (EX_API_KEY_READ / EX_API_SECRET_READ / EX_API_PASSPHRASE_READ) is "
                f"malformed: {exc}"
            ) from None

    # -- queries -------------------------------------------------------------------------

    def list(self) -> list[CredentialInfo]:
        """Every credential, the env one first when present. Decrypts nothing."""
        infos: list[CredentialInfo] = []
        if self.settings.env_credential_present:  # listed from the key alone: a malformed secret must not hide it
            infos.append(self._env_info())
        with self.store.reading("listing credentials"):
            rows = self.store.conn.execute(
                "SELECT label, exchange, base_url, key_fingerprint, created_at, last_verified_at, verify_status, "
                "permissions FROM credentials ORDER BY label"
            ).fetchall()
        infos.extend(self._info(row) for row in rows)
        return infos

    def _env_info(self) -> CredentialInfo:
        assert self.settings.ex_api_key_read is not None
        return CredentialInfo(
            label=ENV_LABEL, fingerprint=key_fingerprint(self.settings.ex_api_key_read.get_secret_value().strip()),
            source="env", base_url=self.settings.ex_base_url,
        )

    @staticmethod
    def _info(row: tuple[Any, ...]) -> CredentialInfo:
        label, exchange, base_url, fingerprint, created, verified, status, permissions = row
        try:
            perms = json.loads(permissions) if permissions else None
        except ValueError:
            perms = None
        return CredentialInfo(
            label=label, exchange=exchange, base_url=base_url, fingerprint=fingerprint, created_at=created,
            last_verified_at=verified, verify_status=status, permissions=perms if isinstance(perms, dict) else None,
        )

    def info(self, label: str) -> CredentialInfo:
        """The public info of one credential (``env`` included)."""
        for info in self.list():
            if info.label == label:
                return info
        raise self._not_found(label)

    def _not_found(self, label: str) -> CredentialNotFound:
        known = [i.label for i in self.list()]
        have = f"known labels: {', '.join(known)}" if known else "no credential is stored yet"
        return CredentialNotFound(
            f"no credential labelled {label!r} ({have}); add one with `trade-tracker credentials add --label=NAME`"
        )

    def get(self, label: str) -> ApiCredential:
        """The decrypted credential (``env`` comes from the settings, never from disk).

        A stored credential bound to another base URL than ``EX_BASE_URL`` is refused
        (:class:`CredentialUrlMismatch`) before anything is decrypted.
        """
        return self.get_stamped(label)[0]

    def get_stamped(self, label: str, *, rebind: bool = False) -> tuple[ApiCredential, str]:
        """The decrypted credential and the :meth:`stamp` of the row it was read from, in one read.

        ``rebind`` skips the base URL check (for :meth:`verify` re-binding on the owner's request).
        """
        if label == ENV_LABEL:
            env = self._env_credential()
            if env is None:
                raise CredentialNotFound(
                    "no env credential: set EX_API_KEY_READ, EX_API_SECRET_READ and EX_API_PASSPHRASE_READ"
                )
            return env, self._env_stamp()
        check_label(label)
        row = self._stamped_row(label)
        if row is None:
            raise self._not_found(label)
        if not rebind:
            check_binding(label, row[3], self.settings.ex_base_url)
        key, secret, passphrase = (self._decrypt(label, token) for token in row[:3])
        try:
            credential = ApiCredential(key=key, secret=secret, passphrase=passphrase, label=label)
        except InvalidCredential as exc:
            raise InvalidCredential(f"stored credential '{label}' is damaged: {exc}") from None
        return credential, row_stamp(row)

    def stamp(self, label: str) -> str | None:
        """A digest of ``label``'s stored row (ciphertexts and base URL); None when it is gone.

        Cheap (one indexed read, nothing decrypted): compared before each signed request by a
        long-running process, it changes whenever another process replaces, removes, re-binds
        or re-encrypts the credential.
        """
        if label == ENV_LABEL:
            return self._env_stamp() if self._env_credential() is not None else None
        row = self._stamped_row(label)
        return None if row is None else row_stamp(row)

    def _stamped_row(self, label: str) -> tuple[Any, ...] | None:
        with self.store.reading("reading a credential"):
            return self.store.conn.execute(
                f"SELECT {', '.join(STAMP_COLUMNS)} FROM credentials WHERE label = ?", (label,)
            ).fetchone()

    def _env_stamp(self) -> str:
        assert self.settings.ex_api_key_read is not None
        return "env " + key_fingerprint(self.settings.ex_api_key_read.get_secret_value().strip())

    def resolve_label(self, label: str | None) -> str:
        """Which credential to use: the one named, else ``env`` when set, else the only stored one."""
        if label is not None:
            if label == ENV_LABEL:
                if self._env_credential() is None:
                    raise self._not_found(label)
                return label
            check_label(label)
            if label not in self._stored_labels():
                raise self._not_found(label)
            return label
        if self._env_credential() is not None:
            return ENV_LABEL
        stored = self._stored_labels()
        if len(stored) == 1:
            return stored[0]
        if not stored:
            raise CredentialError(
                "no credential is configured: add one with `trade-tracker credentials add --label=NAME` "
                "(or the store_credential tool), or set EX_API_KEY_READ, EX_API_SECRET_READ and EX_API_PASSPHRASE_READ"
                + self._partial_env_hint()
            )
        raise CredentialError(f"several credentials are stored; name one with label=: {', '.join(stored)}")

    def _partial_env_hint(self) -> str:
        """Name the EX_API_*_READ variables that are missing when only some are set (a common slip)."""
        env = {
            "EX_API_KEY_READ": self.settings.ex_api_key_read,
            "EX_API_SECRET_READ": self.settings.ex_api_secret_read,
            "EX_API_PASSPHRASE_READ": self.settings.ex_api_passphrase_read,
        }
        missing = [name for name, value in env.items() if value is None or not value.get_secret_value()]
        if 0 < len(missing) < len(env):
            return f" ({', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set)"
        return ""

    def check_new_label(self, label: str) -> str:
        """Check a label can be used for a new credential (valid, not reserved, not taken)."""
        check_label(label)
        if label in self._stored_labels():
            raise CredentialExists(
                f"a credential labelled {label!r} is already stored; replace its key with "
                f"`trade-tracker credentials add --label={label} --replace`, or choose another label"
            )
        return label

    # -- changes -------------------------------------------------------------------------

    async def add(
        self,
        label: str,
        key: str,
        secret: str,
        passphrase: str,
        *,
        verify: bool = True,
        client_factory: ClientFactory | None = None,
        replace: bool = False,
    ) -> AddResult:
        """Validate, verify with the exchange, then store only ciphertext.

        A 401 (or 403) from the exchange raises its specific error and stores nothing. When
        the exchange cannot be reached or answers oddly, the credential is stored as
        ``unverified`` with a warning.

        ``replace``: the label may already hold a key, which the new one replaces in one
        transaction, only after the new key passed verification (a 401, 403 or an exchange
        that cannot be reached keeps the old key and raises); ``verify=False`` replaces unchecked.
        """
        if replace:
            check_label(label)
        else:
            self.check_new_label(label)
        if not isinstance(secret, str) or not isinstance(passphrase, str):
            raise InvalidCredential("the API secret and passphrase must be text")
        key = check_api_key(key)
        secret = secret.strip()
        decode_secret(secret)
        if not passphrase:
            raise InvalidCredential("the API passphrase is empty")
        credential = ApiCredential(key=key, secret=secret, passphrase=passphrase, label=label)
        self._check_vault_opens_store()
        doing = f"replace the key of '{label}'" if replace else f"store a key under '{label}'"
        bound = self._bound_url(label) if replace else None
        self._check_same_account(label, doing, bound, None)  # before the key goes anywhere

        warnings: list[str] = []
        verified_at: str | None = None
        if verify:
            status, permissions, verified_at, warning, profiles = await self._verify(credential, client_factory)
            self._check_same_account(label, doing, bound, profiles)
            if warning and replace:
                raise ExchangeError(f"{warning.removesuffix('; stored as unverified')}; the stored key for "
                                    f"{label!r} was kept (pass --no-verify to replace it unchecked)")
            if warning:
                warnings.append(warning)
        else:
            status, permissions = "skipped", _permissions("unknown", "not verified (added with --no-verify)")
            warnings.append(
                f"not verified with the exchange; check it later with "
                f"`trade-tracker credentials verify --label={label}`"
            )
        warnings.append(VIEW_ONLY_WARNING)

        created = utc_now()
        with self.store.write("storing a credential") as conn:
            if replace:
                conn.execute("DELETE FROM credentials WHERE label = ?", (label,))  # same transaction as the insert
            elif conn.execute("SELECT 1 FROM credentials WHERE label = ?", (label,)).fetchone():
                raise CredentialExists(f"a credential labelled {label!r} was stored meanwhile; nothing was changed")
            vault = self.vault
            vault.refresh()  # inside the write lock: never encrypt under a key a rotation just retired
            conn.execute(
                "INSERT INTO credentials (label, exchange, base_url, key_fingerprint, key_ct, secret_ct, "
                "passphrase_ct, created_at, last_verified_at, verify_status, permissions) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    label, EXCHANGE, self.settings.ex_base_url, credential.fingerprint,
                    vault.encrypt(credential.key), vault.encrypt(credential.secret),
                    vault.encrypt(credential.passphrase), created, verified_at, status, json.dumps(permissions),
                ),
            )
        log.info("%s credential %r (%s), %s", "replaced" if replace else "stored", label, credential.fingerprint,
                 status)
        return AddResult(info=self.info(label), warnings=warnings)

    async def _verify(
        self, credential: ApiCredential, client_factory: ClientFactory | None
    ) -> tuple[VerifyStatus, dict[str, str], str | None, str | None, list[str | None] | None]:
        """GET /accounts. Returns (status, permissions, verified_at, warning, the accounts' profile ids or
        None when unverified); raises on 401/403."""
        factory = client_factory or self._client_factory
        try:
            async with factory(credential) as client:
                accounts = await client.list_accounts()
        except (AuthenticationError, PermissionDenied):
            raise
        except ExchangeError as exc:
            return (
                "unverified",
                _permissions("unknown", "not verified: the exchange did not answer"),
                None,
                f"could not verify with the exchange ({exc}); stored as unverified",
                None,
            )
        profiles = [account.profile_id for account in accounts]
        return "verified", _permissions("yes", _VERIFIED_BASIS), utc_now(), None, profiles

    def _bound_url(self, label: str) -> str | None:
        row = self._stamped_row(label)
        return None if row is None else row[3]

    def _check_same_account(self, label: str, doing: str, bound: str | None,
                            profiles: list[str | None] | None) -> None:
        """Refuse a change that would put another exchange's or account's key over ``label``'s history."""
        if label != ENV_LABEL:
            check_same_account(self.store, label, doing=doing, bound_url=bound, new_url=self.settings.ex_base_url,
                               new_profiles=profiles)

    async def verify(
        self, label: str, *, client_factory: ClientFactory | None = None, rebind: bool = False
    ) -> CredentialInfo:
        """Check a credential with ``GET /accounts`` and record the result (``env`` is checked, not recorded).

        A stored credential bound to another base URL is refused unless ``rebind``: then the key
        is sent to ``EX_BASE_URL`` (the owner said they trust it) and, only if the exchange there
        accepts it, bound to that URL from then on. A rejection there leaves the old binding.
        """
        credential, stamp = self.get_stamped(label, rebind=rebind)
        moving = label != ENV_LABEL and not self._bound_here(label)
        doing = f"re-bind '{label}' to {self.settings.ex_base_url}"
        if moving:
            self._check_same_account(label, doing, self._bound_url(label), None)  # before the key goes there
        try:
            status, permissions, verified_at, warning, profiles = await self._verify(credential, client_factory)
        except (AuthenticationError, PermissionDenied):
            if label != ENV_LABEL and not moving:
                self._record(label, "rejected", None, None)
            raise
        if moving and not warning:
            self._check_same_account(label, doing, self._bound_url(label), profiles)
        if label == ENV_LABEL:
            if warning:
                raise ExchangeError(warning)
            return self.info(label).model_copy(
                update={"last_verified_at": verified_at, "verify_status": status, "permissions": permissions}
            )
        if warning and moving:
            raise ExchangeError(warning.removesuffix("; stored as unverified")
                                + f"; credential '{label}' stays bound to its old base URL")
        if warning:
            self._record(label, status, verified_at, permissions)
            raise ExchangeError(warning)
        self._record(label, status, verified_at, permissions, bind_to=stamp if moving else None)
        return self.info(label)

    def _bound_here(self, label: str) -> bool:
        row = self._stamped_row(label)
        return row is not None and is_bound_to(row[3], self.settings.ex_base_url)

    def _record(self, label: str, status: str, verified_at: str | None, permissions: dict[str, str] | None,
                *, bind_to: str | None = None) -> None:
        """Record a verification; with ``bind_to`` (the stamp of the row that was verified), also bind the
        row to ``EX_BASE_URL``, but only if it is still that row (not replaced meanwhile)."""
        with self.store.write("recording a verification") as conn:
            if bind_to is not None:
                row = conn.execute(f"SELECT {', '.join(STAMP_COLUMNS)} FROM credentials WHERE label = ?",
                                   (label,)).fetchone()
                if row is None or row_stamp(row) != bind_to:
                    raise CredentialError(
                        f"credential '{label}' was changed by another process while it was verified; nothing was "
                        "re-bound, run verify again"
                    )
                conn.execute("UPDATE credentials SET base_url = ? WHERE label = ?", (self.settings.ex_base_url, label))
                log.info("credential %r is now bound to %s", label, self.settings.ex_base_url)
            if permissions is None:
                conn.execute("UPDATE credentials SET verify_status = ? WHERE label = ?", (status, label))
            else:
                conn.execute(
                    "UPDATE credentials SET verify_status = ?, last_verified_at = COALESCE(?, last_verified_at), "
                    "permissions = ? WHERE label = ?",
                    (status, verified_at, json.dumps(permissions), label),
                )

    def remove(self, label: str) -> bool:
        """Delete a stored credential; False when there was none. ``env`` lives in the environment."""
        if label == ENV_LABEL:
            raise CredentialError(
                "the env credential is not stored; unset EX_API_KEY_READ, EX_API_SECRET_READ and "
                "EX_API_PASSPHRASE_READ to remove it"
            )
        check_label(label)
        with self.store.write("removing a credential") as conn:
            deleted = conn.execute("DELETE FROM credentials WHERE label = ?", (label,)).rowcount
        if deleted:
            log.info("removed credential %r", label)
        return bool(deleted)

    def rotate_key(self) -> RotationResult:
        """Re-encrypt every credential under the newest key, in one transaction, then drop old keys.

        Order (each step leaves every row readable with the keys on disk):
        1. every row must open with the current keys, else :class:`WrongVaultKey` and nothing changes;
        2. a writable key source (file, keyring) stores a fresh key in front: ``new,old``;
        3. one transaction re-encrypts every row and checks each opens under the new key alone;
        4. under the write lock, once every row is current, the source is rewritten to ``new``.
        With ``FIELD_ENCRYPTION_KEY`` step 2 and 4 are the user's: put the new key first before,
        and drop the old one after.
        """
        vault = self.vault
        columns = ("key_ct", "secret_ct", "passphrase_ct")
        # Steps 1-3 under one write lock: no other rotation (or add) can change the key source or
        # the rows between the check, the new key on disk and the re-encryption. A rollback leaves
        # ``new,old`` on disk, which still opens every row.
        with self.store.write("re-encrypting credentials") as conn:
            vault.refresh()
            rows = conn.execute("SELECT label, key_ct, secret_ct, passphrase_ct FROM credentials").fetchall()
            for label, *tokens in rows:
                for token in tokens:
                    self._decrypt(label, token)
            vault.begin_rotation()
            for label, *tokens in rows:
                try:
                    fresh = [vault.rotate(token) for token in tokens]
                except WrongVaultKey as exc:
                    raise WrongVaultKey(f"credential '{label}': {exc}") from None
                conn.execute(
                    f"UPDATE credentials SET {', '.join(c + ' = ?' for c in columns)} WHERE label = ?",
                    (*fresh, label),
                )

        # Step 4 only after the commit (a crash before it must still find the old key on disk), again
        # under the lock, and against the key source as it is now: if another process rotated in
        # between, its newest key is the one every row must open with.
        with self.store.write("finishing key rotation"):
            vault.refresh()
            current = all(vault.is_current(t) for _, *tokens in self._all_tokens() for t in tokens)
            dropped = vault.finish_rotation() if current else False

        if vault.writable and dropped:
            message = (
                f"re-encrypted {len(rows)} credential(s) under a new key in {vault.key_source}; the old key was removed"
            )
        elif vault.writable:
            message = (
                f"re-encrypted {len(rows)} credential(s); a credential was added meanwhile, so the old key is kept "
                "beside the new one: run rotate-key again"
            )
        elif vault.key_count > 1:
            message = (
                f"re-encrypted {len(rows)} credential(s) under the first key in FIELD_ENCRYPTION_KEY; you can now "
                "remove the older key(s) from FIELD_ENCRYPTION_KEY"
            )
        else:
            message = (
                f"re-encrypted {len(rows)} credential(s) under the only key in FIELD_ENCRYPTION_KEY; to change "
                "keys, put a new key first (comma separated), run rotate-key, then remove the old one"
            )
        log.info("rotate-key: %s", message)
        return RotationResult(
            rows=len(rows), key_source=vault.key_source, old_keys_dropped=dropped,
            keys_configured=vault.key_count, message=message,
        )

    def _all_tokens(self) -> list[tuple[str, str, str, str]]:
        with self.store.reading("reading credentials"):
            return self.store.conn.execute(
                "SELECT label, key_ct, secret_ct, passphrase_ct FROM credentials ORDER BY label"
            ).fetchall()
