"""Encrypted API credentials of any venue by label, on the vault and the trade store.

What is stored (table ``credentials``, its SQL in ``store/credential_rows.py``): the label, the venue
(``exchange``: ``VenueInfo.stored_as``), the base URL the key
was added for, a fingerprint of the API key (its last 4 characters and a SHA-256
prefix, never the whole key and nothing derived from the secret), Fernet ciphertext
of key, secret and passphrase (never plaintext), when it was added and last verified,
and what is known about the key's permissions.

What can be known about permissions, honestly: Coinbase Exchange has no endpoint that
says what a key may do. A 200 from ``GET /accounts`` proves **View**. Whether the key
can also **Trade** or **Transfer** is recorded as ``"unknown"``: finding out would take
a request that could place an order or move funds (``trading_enabled`` on
``/accounts`` describes the account, not the key), and trade-tracker never sends one.
So every add warns that a View-only key is recommended. A venue that reports a key's permissions
(Advanced Trade) has them recorded as reported, with the key's portfolio; the policy (``policy.py``)
refuses a key that can transfer unless the owner allows it, and warns about one that can trade.

Venue-neutral: everything venue-specific (the fields' shapes, the fingerprint, the client, the key check)
goes through the venue's hooks (``venues/base.py``), found through ``venues.registry`` from the venue
stored in the row (the ``env`` credential is Coinbase Exchange's).

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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ..config import Settings
from ..errors import CredentialError, CredentialExists, CredentialNotFound, WrongVaultKey
from ..labels import check_label
from ..store import credential_rows as rows
from ..store.connection import TradeStore
from ..venues.ratelimit import RateLimits
from ..venues.registry import VENUES, venue_named, venue_of_stored
from .binding import check_binding
from .env import ENV_LABELS, env_credential, env_info, env_present, env_stamp, env_venue, partial_env_hint
from .label_history import check_same_account
from .models import AddResult, CredentialInfo, RotationResult, credential_info
from .policy import check_recorded
from .vault import Vault

if TYPE_CHECKING:
    from ..venues.base import Venue

__all__ = ["ClientFactory", "CredentialService"]

log = logging.getLogger("trade_tracker.credentials")

#: The venue's typed credential -> its REST client (an async context manager the venue's ``wrap`` takes).
ClientFactory = Callable[[Any], Any]
EXCHANGE_VENUE = VENUES["exchange"]


class CredentialService:
    """Add, list, read, remove and re-key credentials.

    Args:
        store: the open trade store (its ``credentials`` table).
        settings: for the env credential, the venues' base URLs and the vault key source.
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
        self._client_factory = client_factory

    def __repr__(self) -> str:
        return f"CredentialService(store={self.store!r})"

    # -- plumbing ------------------------------------------------------------------------

    def _open_vault(self) -> Vault:
        return Vault.from_settings(self.settings, create=not rows.stored_labels(self.store))

    @property
    def vault(self) -> Vault:
        """The vault, opened on first use."""
        if self._vault is None:
            self._vault = self._vault_factory()
        return self._vault

    def client_factory(self, venue: type[Venue], given: ClientFactory | None = None) -> ClientFactory:
        """The factory a key check uses: the one given, else the service's, else the venue's own client
        with fewer retries (a check is interactive: someone waits at a prompt or a page)."""
        chosen = given or self._client_factory
        if chosen is not None:
            return chosen
        s = self.settings
        quick = s.model_copy(
            update={"retry_attempts": min(s.retry_attempts, 3), "retry_timeout": min(s.retry_timeout, 30.0)}
        )
        return lambda credential: venue.open_client(
            quick, credential, rate_limits=self._rate_limits, transport=self._transport
        )

    def base_url(self, venue: type[Venue]) -> str:
        """Where ``venue``'s keys go now: its base-URL setting (``EX_BASE_URL``), else its default URL."""
        url = getattr(self.settings, venue.info.url_env.lower(), None) if venue.info.url_env else None
        return url if isinstance(url, str) and url else venue.info.default_url

    def _check_vault_opens_store(self) -> None:
        """Refuse to add under a key that does not open what is already stored (no mixed keys)."""
        first = rows.first_key_token(self.store)
        if first is not None:
            self.decrypt(*first)

    def decrypt(self, label: str, token: str) -> str:
        """Decrypt one of ``label``'s tokens; a wrong vault key names the label."""
        try:
            return self.vault.decrypt(token)
        except WrongVaultKey as exc:
            raise WrongVaultKey(f"credential '{label}': {exc}") from None

    # -- queries -------------------------------------------------------------------------

    def list(self) -> list[CredentialInfo]:
        """Every credential, the env ones first when present (``env``, then ``env-advanced``). Decrypts nothing."""
        infos: list[CredentialInfo] = []
        for env_label in ENV_LABELS:  # listed from the key alone: a malformed secret must not hide it
            if env_present(self.settings, env_label):
                infos.append(env_info(self.settings, env_label))
        infos.extend(credential_info(row) for row in rows.credential_list(self.store))
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

    def get(self, label: str) -> Any:
        """The decrypted credential (``env`` comes from the settings, never from disk).

        A stored credential bound to another base URL than its venue's setting (``EX_BASE_URL``) is refused
        (:class:`CredentialUrlMismatch`) before anything is decrypted.
        """
        return self.open_stored(label)[0]

    def get_stamped(self, label: str, *, rebind: bool = False) -> tuple[Any, str]:
        """The decrypted credential and the :meth:`stamp` of the row it was read from, in one read.

        ``rebind`` skips the base URL check (for :meth:`verify` re-binding on the owner's request).
        """
        credential, stamp, _venue = self.open_stored(label, rebind=rebind)
        return credential, stamp

    def open_stored(self, label: str, *, rebind: bool = False, checking: bool = False) -> tuple[Any, str, type[Venue]]:
        """The decrypted credential, its row's :meth:`stamp` and its venue (from the stored row, never from
        the key's shape), all from ONE read of the row. A key whose last check found it can transfer funds
        (not allowed) is refused, except to ``checking`` it again (``verify``)."""
        if label in ENV_LABELS:
            venue = env_venue(label)
            env = env_credential(self.settings, label)
            if env is None:
                raise CredentialNotFound(f"no {label} credential: set {venue.info.env_and()}")
            return env, env_stamp(self.settings, label), venue
        check_label(label)
        row = rows.stamped_row(self.store, label)
        if row is None:
            raise self._not_found(label)
        venue = venue_of_stored(row.exchange)
        if not checking:
            check_recorded(label, json.loads(row.permissions) if row.permissions else None)
        if not rebind:
            check_binding(label, row.base_url, self.base_url(venue), venue.info.url_env)
        names = [f.name for f in venue.info.fields]
        fields = {n: self.decrypt(label, t) for n, t in zip(names, row.tokens, strict=False) if t is not None}
        try:
            credential = venue.credential_from_fields({**fields, "label": label})
        except CredentialError as exc:
            raise type(exc)(f"stored credential '{label}' is damaged: {exc}") from None
        return credential, row.stamp, venue

    def stamp(self, label: str) -> str | None:
        """A digest of ``label``'s stored row (ciphertexts and base URL); None when it is gone.

        Cheap (one indexed read, nothing decrypted): compared before each signed request by a
        long-running process, it changes whenever another process replaces, removes, re-binds
        or re-encrypts the credential.
        """
        if label in ENV_LABELS:
            present = env_credential(self.settings, label) is not None
            return env_stamp(self.settings, label) if present else None
        row = rows.stamped_row(self.store, label)
        return None if row is None else row.stamp

    def resolve_label(self, label: str | None) -> str:
        """Which credential to use: the one named, else ``env`` when set, else the only stored one."""
        if label is not None:
            if label in ENV_LABELS:
                if env_credential(self.settings, label) is None:
                    venue = env_venue(label)
                    raise CredentialNotFound(f"no {label} credential: set {venue.info.env_and()} ({venue.info.title})")
                return label
            check_label(label)
            if label not in rows.stored_labels(self.store):
                raise self._not_found(label)
            return label
        for env_label in ENV_LABELS:
            if env_credential(self.settings, env_label) is not None:
                return env_label
        stored = rows.stored_labels(self.store)
        if len(stored) == 1:
            return stored[0]
        if not stored:
            raise CredentialError(
                "no credential is configured: add one with `trade-tracker credentials add --label=NAME` "
                f"(or the store_credential tool), or set {EXCHANGE_VENUE.info.env_and()}"
                + partial_env_hint(self.settings)
            )
        raise CredentialError(f"several credentials are stored; name one with label=: {', '.join(stored)}")

    def check_new_label(self, label: str) -> str:
        """Check a label can be used for a new credential (valid, not reserved, not taken)."""
        check_label(label)
        if label in rows.stored_labels(self.store):
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
        """A Coinbase Exchange key: :meth:`add_fields` with ``key`` / ``secret`` / ``passphrase``."""
        fields = {"key": key, "secret": secret, "passphrase": passphrase}
        return await self.add_fields(label, fields, verify=verify, client_factory=client_factory, replace=replace)

    async def add_fields(
        self,
        label: str,
        fields: Mapping[str, str],
        *,
        venue: str = "exchange",
        verify: bool = True,
        client_factory: ClientFactory | None = None,
        replace: bool = False,
        allow_transfer_key: bool = False,
    ) -> AddResult:
        """Validate a key of ``venue`` (``fields`` named as its ``info.fields``), verify it with the venue's
        ``check_key()``, apply the permission policy, then store only ciphertext.

        A 401 (or 403) raises its specific error and stores nothing. When the venue cannot be reached or
        answers oddly, the credential is stored as ``unverified`` with a warning. A key that can transfer is
        refused unless ``allow_transfer_key``; one that can trade is stored with a warning.

        ``replace``: the label may already hold a key, which the new one replaces in one
        transaction, only after the new key passed verification (a 401, 403 or a venue that
        cannot be reached keeps the old key and raises); ``verify=False`` replaces unchecked.
        """
        from .entry import add_key

        return await add_key(
            self,
            label,
            fields,
            venue_named(venue),
            verify=verify,
            client_factory=client_factory,
            replace=replace,
            allow_transfer_key=allow_transfer_key,
        )

    def _bound_url(self, label: str) -> str | None:
        row = rows.stamped_row(self.store, label)
        return None if row is None else row.base_url

    def _check_same_account(
        self,
        label: str,
        doing: str,
        bound: str | None,
        profiles: list[str | None] | None,
        venue: type[Venue] = EXCHANGE_VENUE,
    ) -> None:
        """Refuse a change that would put another venue's or account's key over ``label``'s history."""
        if label not in ENV_LABELS:
            check_same_account(
                self.store,
                label,
                doing=doing,
                bound_url=bound,
                new_url=self.base_url(venue),
                new_profiles=profiles,
            )

    async def verify(
        self,
        label: str,
        *,
        client_factory: ClientFactory | None = None,
        rebind: bool = False,
        allow_transfer_key: bool = False,
    ) -> CredentialInfo:
        """Check a credential with its venue's ``check_key()`` and record the result (``env`` is checked, not
        recorded); see :func:`~trade_tracker.credentials.verification.verify` (``rebind`` moves its base URL;
        a key that can transfer is refused unless ``allow_transfer_key``)."""
        from .verification import verify

        return await verify(
            self, label, client_factory=client_factory, rebind=rebind, allow_transfer_key=allow_transfer_key
        )

    def remove(self, label: str) -> bool:
        """Delete a stored credential; False when there was none. ``env`` lives in the environment."""
        if label in ENV_LABELS:
            raise CredentialError(
                f"the {label} credential is not stored; unset {env_venue(label).info.env_and()} to remove it"
            )
        check_label(label)
        deleted = rows.delete_credential(self.store, label)
        if deleted:
            log.info("removed credential %r", label)
        return deleted

    def rotate_key(self) -> RotationResult:
        """Re-encrypt every credential under the newest key, in one transaction, then drop old keys
        (``rotation.py``). With ``FIELD_ENCRYPTION_KEY`` the user puts the new key first before, and drops
        the old one after."""
        from .rotation import rotate_key

        return rotate_key(self)
