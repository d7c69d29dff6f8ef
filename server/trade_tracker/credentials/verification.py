"""Verifying a credential with its venue, and recording what that proved.

The venue's ``check_key()`` (Coinbase Exchange: ``GET /accounts``, whose 200 proves View and nothing
more) says whether the key works and, where the venue reports them, its permissions (``policy.py``). A
rejection (401/403) raises and is recorded as ``rejected``; a venue that cannot be reached leaves the key
``unverified``. ``verify(rebind=True)`` moves a key's base URL binding, only once the venue at the new URL
accepted it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import AuthenticationError, CredentialError, ExchangeError, PermissionDenied
from ..formats import utc_now
from ..store.credential_rows import record_verification, stamped_row
from .binding import is_bound_to
from .env import ENV_LABELS
from .models import CredentialInfo, VerifyStatus, permissions_of
from .policy import TRANSFER_ALLOWED, portfolio_of, profiles_of, recorded_permissions

if TYPE_CHECKING:
    from ..venues.base import Venue
    from .service import ClientFactory, CredentialService

__all__ = ["KeyCheck", "check_with_exchange", "first_check", "verify"]

log = logging.getLogger("trade_tracker.credentials")


class KeyCheck(NamedTuple):
    """What a key check proved: the status and permissions to record, when, a warning (the venue did not
    answer), the accounts the key reads (None when unverified), its portfolio, and the venue's answer."""

    status: VerifyStatus
    permissions: dict[str, str]
    verified_at: str | None
    warning: str | None
    profiles: list[str | None] | None
    portfolio: str | None = None
    answer: Mapping[str, str] = {}


async def check_with_exchange(factory: ClientFactory, venue: type[Venue], credential: Any) -> KeyCheck:
    """The venue's ``check_key()`` through a client of ``factory``; raises on 401/403."""
    try:
        async with factory(credential) as client:
            answer = dict(await venue.wrap(client).check_key())
    except (AuthenticationError, PermissionDenied):
        raise
    except ExchangeError as exc:
        return KeyCheck(
            "unverified",
            permissions_of("unknown", "not verified: the exchange did not answer"),
            None,
            f"could not verify with the exchange ({exc}); stored as unverified",
            None,
        )
    return KeyCheck(
        "verified",
        recorded_permissions(venue, answer),
        utc_now(),
        None,
        profiles_of(answer),
        portfolio_of(venue, answer),
        answer,
    )


async def first_check(
    service: CredentialService,
    venue: type[Venue],
    credential: Any,
    verify: bool,
    client_factory: ClientFactory | None,
    *,
    label: str,
    replace: bool,
    doing: str,
    bound: str | None,
) -> tuple[KeyCheck, list[str]]:
    """Verify a new key (or note that it was not): what the check proved, and the warnings; a key that
    reads another account than the label's stored history is refused (``doing``: what the add does, for
    the message; ``bound``: the base URL of the key it replaces)."""
    warnings: list[str] = []
    if verify:
        check = await check_with_exchange(service.client_factory(venue, client_factory), venue, credential)
        service._check_same_account(label, doing, bound, check.profiles, venue)
        if check.warning and replace:
            raise ExchangeError(
                f"{check.warning.removesuffix('; stored as unverified')}; the stored key for "
                f"{label!r} was kept (pass --no-verify to replace it unchecked)"
            )
        if check.warning:
            warnings.append(check.warning)
    else:
        check = KeyCheck(
            "skipped", permissions_of("unknown", "not verified (added with --no-verify)"), None, None, None
        )
        warnings.append(
            f"not verified with the exchange; check it later with `trade-tracker credentials verify --label={label}`"
            + (" (it also checks the key cannot transfer funds)" if venue.info.reports_permissions else "")
        )
    return check, warnings


async def verify(
    service: CredentialService,
    label: str,
    *,
    client_factory: ClientFactory | None = None,
    rebind: bool = False,
    allow_transfer_key: bool = False,
) -> CredentialInfo:
    """Check a credential with its venue and record the result (``env`` is checked, not recorded).

    A stored credential bound to another base URL is refused unless ``rebind``: then the key
    is sent to the venue's base URL setting (``EX_BASE_URL``; the owner said they trust it) and, only if
    the venue there accepts it, bound to that URL from then on. A rejection there leaves the old binding.
    """
    credential, stamp, venue = service.open_stored(label, rebind=rebind, checking=True)
    url = service.base_url(venue)
    moving = label not in ENV_LABELS and not _bound_here(service, label, url)
    doing = f"re-bind '{label}' to {url}"
    if moving:
        service._check_same_account(label, doing, service._bound_url(label), None, venue)  # before the key goes there
    try:
        check = await check_with_exchange(service.client_factory(venue, client_factory), venue, credential)
    except (AuthenticationError, PermissionDenied):
        if label not in ENV_LABELS and not moving:
            record_verification(service.store, label, "rejected", None, None)
        raise
    status, permissions, verified_at, warning = check[:4]
    if moving and not warning:
        service._check_same_account(label, doing, service._bound_url(label), check.profiles, venue)
    check = _transfer_policy(service, label, check, allow_transfer_key=allow_transfer_key, record=not moving)
    if label in ENV_LABELS:
        if warning:
            raise ExchangeError(warning)
        return service.info(label).model_copy(
            update={"last_verified_at": verified_at, "verify_status": status, "permissions": permissions}
        )
    if warning and moving:
        raise ExchangeError(
            warning.removesuffix("; stored as unverified") + f"; credential '{label}' stays bound to its old base URL"
        )
    if warning:
        record_verification(service.store, label, status, verified_at, json.dumps(permissions))
        raise ExchangeError(warning)
    _record(service, label, check, bind=(stamp, url) if moving else None)
    return service.info(label)


def _transfer_policy(
    service: CredentialService, label: str, check: KeyCheck, *, allow_transfer_key: bool, record: bool
) -> KeyCheck:
    """A key that can transfer is refused here too (a key added with ``--no-verify``, or given more rights in
    the portal since), unless allowed: its permissions are recorded first, so the app refuses to use it."""
    if check.answer.get("can_transfer") != "true":
        return check
    if allow_transfer_key:
        return check._replace(permissions={**check.permissions, TRANSFER_ALLOWED: "true"})
    if record and label not in ENV_LABELS:
        record_verification(service.store, label, check.status, check.verified_at, json.dumps(check.permissions))
    what = (
        "unset its variables"
        if label in ENV_LABELS
        else f"remove it (`trade-tracker credentials remove --label={label}`)"
    )
    raise CredentialError(
        f"credential '{label}' can transfer funds, which trade-tracker never needs: {what} and use a View-only "
        "key, or pass --allow-transfer-key to use it anyway"
    )


def _bound_here(service: CredentialService, label: str, url: str) -> bool:
    row = stamped_row(service.store, label)
    return row is not None and is_bound_to(row.base_url, url)


def _record(service: CredentialService, label: str, check: KeyCheck, *, bind: tuple[str, str] | None) -> None:
    """Record a verification; with ``bind`` (the stamp of the row that was verified, the new URL), also bind
    the row to that URL, but only if it is still that row (not replaced meanwhile)."""
    if not record_verification(
        service.store, label, check.status, check.verified_at, json.dumps(check.permissions), bind=bind
    ):
        raise CredentialError(
            f"credential '{label}' was changed by another process while it was verified; nothing was "
            "re-bound, run verify again"
        )
    if bind is not None:
        log.info("credential %r is now bound to %s", label, bind[1])
