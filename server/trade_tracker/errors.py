"""The one exception tree of trade-tracker.

Every error the project raises derives from :class:`TradeTrackerError`, and every
message is written to be shown to a person (or a chat model) as it is: it says what
went wrong and what to do, and it never contains a secret.

Foreign exceptions are translated at one boundary each, with ``raise ... from``:
httpx in ``coinbase/client.py``, cryptography in ``vault.py`` and sqlite3 in
``store.py``. Nothing from those libraries escapes those modules.

Our exception hierarchy::

    * TradeTrackerError
      + ConfigError                     a setting is malformed or missing
      + InvalidArgument                 a caller-fixable bad argument, caught before any request
      + ExchangeError                   talking to Coinbase Exchange failed
        - ExchangeUnreachable           network failure or timeout; names the base URL
        - ExchangeProtocolError         the answer was not what the API documents
        - ExchangeStatusError           a non-2xx answer (status code and Coinbase's message)
          . BadRequest                  400
          . AuthenticationError         401 (and the 400s older deployments used for auth)
            ~ InvalidSignature          "invalid signature": the secret, or the clock
            ~ InvalidPassphrase         "Invalid Passphrase": the key's passphrase, not the login password
            ~ InvalidApiKey             "Invalid API Key": wrong key, or a CDP/Advanced Trade key
            ~ TimestampExpired          "request timestamp expired": the clock
            ~ MissingAuthHeader         "CB-ACCESS-... header is required"
          . PermissionDenied            403: names the permission needed
          . NotFound                    404
          . RateLimited                 429 after the retries ran out
          . ExchangeUnavailable         5xx after the retries ran out
      + VaultError                      the encryption key or the encrypted data
        - VaultKeyError                 no usable key, or a malformed one
        - WrongVaultKey                 data was encrypted with a different key
        - InsecurePermissions           key file or trades.db open to others, or a link in the data folder
      + CredentialError                 stored API credentials
        - CredentialNotFound            no credential with that label
        - InvalidCredential             the key, secret or passphrase is malformed
        - CredentialExists              a credential with that label is already stored
        - CredentialUrlMismatch         EX_BASE_URL is not the URL the credential was verified with
        - CredentialChanged             another process replaced or removed it during a call
      + StoreError                      the SQLite trade store
        - StoreBusy                     another process held the write lock too long
      + SyncCancelled                   a sync stopped cleanly on request
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BadRequest",
    "ConfigError",
    "CredentialChanged",
    "CredentialError",
    "CredentialExists",
    "CredentialNotFound",
    "CredentialUrlMismatch",
    "ExchangeError",
    "ExchangeProtocolError",
    "ExchangeStatusError",
    "ExchangeUnavailable",
    "ExchangeUnreachable",
    "InsecurePermissions",
    "InvalidApiKey",
    "InvalidArgument",
    "InvalidCredential",
    "InvalidPassphrase",
    "InvalidSignature",
    "MissingAuthHeader",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "StoreBusy",
    "StoreError",
    "SyncCancelled",
    "TimestampExpired",
    "TradeTrackerError",
    "VaultError",
    "VaultKeyError",
    "WrongVaultKey",
]


class TradeTrackerError(Exception):
    """Base of every trade-tracker error; its message is safe to show to anyone."""


class ConfigError(TradeTrackerError):
    """A setting is malformed or missing."""


class InvalidArgument(TradeTrackerError):
    """A bad argument the caller can fix; raised before any request is made."""


class ExchangeError(TradeTrackerError):
    """Talking to Coinbase Exchange failed."""


class ExchangeUnreachable(ExchangeError):
    """The exchange could not be reached (connect error, timeout, TLS failure)."""


class ExchangeProtocolError(ExchangeError):
    """The exchange answered with something the API does not document (e.g. not JSON)."""


class ExchangeStatusError(ExchangeError):
    """The exchange answered with a non-2xx status."""

    def __init__(self, message: str, *, status_code: int, api_message: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        #: Coinbase's own ``{"message": ...}`` text, verbatim (it never holds a secret).
        self.api_message = api_message


class BadRequest(ExchangeStatusError):
    """400: the exchange rejected the request's parameters."""


class AuthenticationError(ExchangeStatusError):
    """401: the exchange did not accept the credential."""


class InvalidSignature(AuthenticationError):
    """The signature did not verify: a wrong API secret, or a body/query signed unlike what was sent."""


class InvalidPassphrase(AuthenticationError):
    """The passphrase is not the one set when the API key was created."""


class InvalidApiKey(AuthenticationError):
    """The exchange does not know this API key."""


class TimestampExpired(AuthenticationError):
    """The request's timestamp was more than 30 s from the exchange's clock."""


class MissingAuthHeader(AuthenticationError):
    """A CB-ACCESS-* header was missing: a private endpoint was called without a credential."""


class PermissionDenied(ExchangeStatusError):
    """403: the API key lacks the permission this endpoint needs."""


class NotFound(ExchangeStatusError):
    """404: no such product, order or resource."""


class RateLimited(ExchangeStatusError):
    """429: still rate limited after the bounded retries."""


class ExchangeUnavailable(ExchangeStatusError):
    """5xx: the exchange failed, still after the bounded retries."""


class VaultError(TradeTrackerError):
    """The encryption key or the encrypted data is unusable."""


class VaultKeyError(VaultError):
    """No usable encryption key, or a malformed one."""


class WrongVaultKey(VaultError):
    """Data was encrypted with a different key than the ones configured."""


class InsecurePermissions(VaultError):
    """A key file or the trade store can be read by group or others, or a file in the data folder is a link."""


class CredentialError(TradeTrackerError):
    """A stored API credential is missing or malformed."""


class CredentialNotFound(CredentialError):
    """No credential is stored under that label."""


class InvalidCredential(CredentialError):
    """The key, secret or passphrase given is malformed."""


class CredentialExists(CredentialError):
    """A credential is already stored under that label; remove it first to replace it."""


class CredentialUrlMismatch(CredentialError):
    """The credential was verified with another base URL than ``EX_BASE_URL``: its key is not sent there."""


class CredentialChanged(CredentialError):
    """The stored credential was replaced or removed (by another process) while a call was using it."""


class StoreError(TradeTrackerError):
    """The SQLite trade store failed."""


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than the busy timeout."""


class SyncCancelled(TradeTrackerError):
    """A sync was cancelled; everything up to the last completed page is kept."""
