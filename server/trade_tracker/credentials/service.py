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

import logging
from collections.abc import Callable
from typing import Any

import httpx

from ..config import Settings
from ..errors import (
    CredentialError,
    CredentialExists,
    CredentialNotFound,
    InvalidCredential,
    WrongVaultKey,
)
from ..labels import ENV_LABEL, check_label
from ..store.connection import TradeStore
from ..venues.coinbase_exchange.auth import ApiCredential, decode_secret
from ..venues.coinbase_exchange.client import CoinbaseClient
from ..venues.coinbase_exchange.venue import EXCHANGE as EXCHANGE_INFO
from ..venues.ratelimit import RateLimits
from ..venues.retries import RetryPolicy
from .binding import STAMP_COLUMNS, check_binding, row_stamp
from .env import env_credential, env_info, env_stamp, partial_env_hint
from .label_history import check_same_account
from .models import (
    VIEW_ONLY_WARNING,
    AddResult,
    CredentialInfo,
    RotationResult,
    VerifyStatus,
    check_api_key,
    credential_info,
)
from .rows import CredentialRow, write_row
from .vault import Vault

__all__ = ["ClientFactory", "CredentialService"]

log = logging.getLogger("trade_tracker.credentials")

ClientFactory = Callable[[ApiCredential], CoinbaseClient]


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
        return CoinbaseClient.from_settings(
            s, credential, rate_limits=self._rate_limits, transport=self._transport, retry=retry
        )

    def _stored_labels(self) -> list[str]:
        with self.store.reading("listing credentials"):
            return [row[0] for row in self.store.conn.execute("SELECT label FROM credentials ORDER BY label")]

    def _check_vault_opens_store(self) -> None:
        """Refuse to add under a key that does not open what is already stored (no mixed keys)."""
        with self.store.reading("reading a credential"):
            row = self.store.conn.execute("SELECT label, key_ct FROM credentials LIMIT 1").fetchone()
        if row is not None:
            self.decrypt(row[0], row[1])

    def decrypt(self, label: str, token: str) -> str:
        """Decrypt one of ``label``'s tokens; a wrong vault key names the label."""
        try:
            return self.vault.decrypt(token)
        except WrongVaultKey as exc:
            raise WrongVaultKey(f"credential '{label}': {exc}") from None

    # -- queries -------------------------------------------------------------------------

    def list(self) -> list[CredentialInfo]:
        """Every credential, the env one first when present. Decrypts nothing."""
        infos: list[CredentialInfo] = []
        if self.settings.env_credential_present:  # listed from the key alone: a malformed secret must not hide it
            infos.append(env_info(self.settings))
        with self.store.reading("listing credentials"):
            rows = self.store.conn.execute(
                "SELECT label, exchange, base_url, key_fingerprint, created_at, last_verified_at, verify_status, "
                "permissions FROM credentials ORDER BY label"
            ).fetchall()
        infos.extend(credential_info(row) for row in rows)
        return infos

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
            env = env_credential(self.settings)
            if env is None:
                raise CredentialNotFound(f"no env credential: set {EXCHANGE_INFO.env_and()}")
            return env, env_stamp(self.settings)
        check_label(label)
        row = self._stamped_row(label)
        if row is None:
            raise self._not_found(label)
        if not rebind:
            check_binding(label, row[3], self.settings.ex_base_url)
        key, secret, passphrase = (self.decrypt(label, token) for token in row[:3])
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
            return env_stamp(self.settings) if env_credential(self.settings) is not None else None
        row = self._stamped_row(label)
        return None if row is None else row_stamp(row)

    def _stamped_row(self, label: str) -> tuple[Any, ...] | None:
        with self.store.reading("reading a credential"):
            return self.store.conn.execute(
                f"SELECT {', '.join(STAMP_COLUMNS)} FROM credentials WHERE label = ?", (label,)
            ).fetchone()

    def resolve_label(self, label: str | None) -> str:
        """Which credential to use: the one named, else ``env`` when set, else the only stored one."""
        if label is not None:
            if label == ENV_LABEL:
                if env_credential(self.settings) is None:
                    raise self._not_found(label)
                return label
            check_label(label)
            if label not in self._stored_labels():
                raise self._not_found(label)
            return label
        if env_credential(self.settings) is not None:
            return ENV_LABEL
        stored = self._stored_labels()
        if len(stored) == 1:
            return stored[0]
        if not stored:
            raise CredentialError(
                "no credential is configured: add one with `trade-tracker credentials add --label=NAME` "
                f"(or the store_credential tool), or set {EXCHANGE_INFO.env_and()}" + partial_env_hint(self.settings)
            )
        raise CredentialError(f"several credentials are stored; name one with label=: {', '.join(stored)}")

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

    def _new_credential(self, label: str, key: str, secret: str, passphrase: str, *, replace: bool) -> ApiCredential:
        """The checked credential to add: the label free (or, with ``replace``, valid), the key's shape."""
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
        return ApiCredential(key=key, secret=secret, passphrase=passphrase, label=label)

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
        from .verification import first_check

        credential = self._new_credential(label, key, secret, passphrase, replace=replace)
        self._check_vault_opens_store()
        doing = f"replace the key of '{label}'" if replace else f"store a key under '{label}'"
        bound = self._bound_url(label) if replace else None
        self._check_same_account(label, doing, bound, None)  # before the key goes anywhere

        status, permissions, verified_at, warnings = await first_check(
            self, credential, verify, client_factory, replace=replace, doing=doing, bound=bound
        )
        warnings.append(VIEW_ONLY_WARNING)

        write_row(
            self.store,
            self.vault,
            CredentialRow(label, self.settings.ex_base_url, credential, status, verified_at, permissions),
            replace=replace,
        )
        log.info(
            "%s credential %r (%s), %s", "replaced" if replace else "stored", label, credential.fingerprint, status
        )
        return AddResult(info=self.info(label), warnings=warnings)

    async def _verify(
        self, credential: ApiCredential, client_factory: ClientFactory | None
    ) -> tuple[VerifyStatus, dict[str, str], str | None, str | None, list[str | None] | None]:
        from .verification import check_with_exchange

        return await check_with_exchange(client_factory or self._client_factory, credential)

    def _bound_url(self, label: str) -> str | None:
        row = self._stamped_row(label)
        return None if row is None else row[3]

    def _check_same_account(self, label: str, doing: str, bound: str | None, profiles: list[str | None] | None) -> None:
        """Refuse a change that would put another exchange's or account's key over ``label``'s history."""
        if label != ENV_LABEL:
            check_same_account(
                self.store,
                label,
                doing=doing,
                bound_url=bound,
                new_url=self.settings.ex_base_url,
                new_profiles=profiles,
            )

    async def verify(
        self, label: str, *, client_factory: ClientFactory | None = None, rebind: bool = False
    ) -> CredentialInfo:
        """Check a credential with ``GET /accounts`` and record the result (``env`` is checked, not recorded);
        see :func:`~trade_tracker.credentials.verification.verify` (``rebind`` moves its base URL)."""
        from .verification import verify

        return await verify(self, label, client_factory=client_factory, rebind=rebind)

    def remove(self, label: str) -> bool:
        """Delete a stored credential; False when there was none. ``env`` lives in the environment."""
        if label == ENV_LABEL:
            raise CredentialError(f"the env credential is not stored; unset {EXCHANGE_INFO.env_and()} to remove it")
        check_label(label)
        with self.store.write("removing a credential") as conn:
            deleted = conn.execute("DELETE FROM credentials WHERE label = ?", (label,)).rowcount
        if deleted:
            log.info("removed credential %r", label)
        return bool(deleted)

    def rotate_key(self) -> RotationResult:
        """Re-encrypt every credential under the newest key, in one transaction, then drop old keys
        (``rotation.py``). With ``FIELD_ENCRYPTION_KEY`` the user puts the new key first before, and drops
        the old one after."""
        from .rotation import rotate_key

        return rotate_key(self)
