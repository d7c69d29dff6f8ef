"""Verifying a credential with the exchange, and recording what that proved.

``GET /accounts`` answering 200 proves View; Coinbase Exchange reports nothing more, so Trade and Transfer
stay unknown. A rejection (401/403) raises and is recorded as ``rejected``; an exchange that cannot be
reached leaves the key ``unverified``. ``verify(rebind=True)`` moves a key's base URL binding, only once the
exchange at the new URL accepted it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from ..errors import AuthenticationError, CredentialError, ExchangeError, PermissionDenied
from ..formats import utc_now
from ..labels import ENV_LABEL
from .binding import STAMP_COLUMNS, is_bound_to, row_stamp
from .models import VERIFIED_BASIS, CredentialInfo, VerifyStatus, permissions_of

if TYPE_CHECKING:
    from ..venues.coinbase_exchange.auth import ApiCredential
    from .service import ClientFactory, CredentialService

__all__ = ["check_with_exchange", "first_check", "verify"]

log = logging.getLogger("trade_tracker.credentials")


async def check_with_exchange(
    factory: ClientFactory, credential: ApiCredential
) -> tuple[VerifyStatus, dict[str, str], str | None, str | None, list[str | None] | None]:
    """GET /accounts. Returns (status, permissions, verified_at, warning, the accounts' profile ids or
    None when unverified); raises on 401/403."""
    try:
        async with factory(credential) as client:
            accounts = await client.list_accounts()
    except (AuthenticationError, PermissionDenied):
        raise
    except ExchangeError as exc:
        return (
            "unverified",
            permissions_of("unknown", "not verified: the exchange did not answer"),
            None,
            f"could not verify with the exchange ({exc}); stored as unverified",
            None,
        )
    profiles = [account.profile_id for account in accounts]
    return "verified", permissions_of("yes", VERIFIED_BASIS), utc_now(), None, profiles


async def first_check(
    service: CredentialService,
    credential: ApiCredential,
    verify: bool,
    client_factory: ClientFactory | None,
    *,
    replace: bool,
    doing: str,
    bound: str | None,
) -> tuple[VerifyStatus, dict[str, str], str | None, list[str]]:
    """Verify a new key (or note that it was not): its status, permissions, when, and the warnings;
    a key that reads another account than the label's stored history is refused (``doing``: what the add
    does, for the message; ``bound``: the base URL of the key it replaces)."""
    label = credential.label
    warnings: list[str] = []
    verified_at: str | None = None
    if verify:
        status, permissions, verified_at, warning, profiles = await service._verify(credential, client_factory)
        service._check_same_account(label, doing, bound, profiles)
        if warning and replace:
            raise ExchangeError(
                f"{warning.removesuffix('; stored as unverified')}; the stored key for "
                f"{label!r} was kept (pass --no-verify to replace it unchecked)"
            )
        if warning:
            warnings.append(warning)
    else:
        status, permissions = "skipped", permissions_of("unknown", "not verified (added with --no-verify)")
        warnings.append(
            f"not verified with the exchange; check it later with `trade-tracker credentials verify --label={label}`"
        )
    return status, permissions, verified_at, warnings


async def verify(
    service: CredentialService, label: str, *, client_factory: ClientFactory | None = None, rebind: bool = False
) -> CredentialInfo:
    """Check a credential with ``GET /accounts`` and record the result (``env`` is checked, not recorded).

    A stored credential bound to another base URL is refused unless ``rebind``: then the key
    is sent to ``EX_BASE_URL`` (the owner said they trust it) and, only if the exchange there
    accepts it, bound to that URL from then on. A rejection there leaves the old binding.
    """
    credential, stamp = service.get_stamped(label, rebind=rebind)
    moving = label != ENV_LABEL and not _bound_here(service, label)
    doing = f"re-bind '{label}' to {service.settings.ex_base_url}"
    if moving:
        service._check_same_account(label, doing, service._bound_url(label), None)  # before the key goes there
    try:
        status, permissions, verified_at, warning, profiles = await check_with_exchange(
            client_factory or service._client_factory, credential
        )
    except (AuthenticationError, PermissionDenied):
        if label != ENV_LABEL and not moving:
            _record(service, label, "rejected", None, None)
        raise
    if moving and not warning:
        service._check_same_account(label, doing, service._bound_url(label), profiles)
    if label == ENV_LABEL:
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
        _record(service, label, status, verified_at, permissions)
        raise ExchangeError(warning)
    _record(service, label, status, verified_at, permissions, bind_to=stamp if moving else None)
    return service.info(label)


def _bound_here(service: CredentialService, label: str) -> bool:
    row = service._stamped_row(label)
    return row is not None and is_bound_to(row[3], service.settings.ex_base_url)


def _record(
    service: CredentialService,
    label: str,
    status: str,
    verified_at: str | None,
    permissions: dict[str, str] | None,
    *,
    bind_to: str | None = None,
) -> None:
    """Record a verification; with ``bind_to`` (the stamp of the row that was verified), also bind the
    row to ``EX_BASE_URL``, but only if it is still that row (not replaced meanwhile)."""
    with service.store.write("recording a verification") as conn:
        if bind_to is not None:
            row = conn.execute(
                f"SELECT {', '.join(STAMP_COLUMNS)} FROM credentials WHERE label = ?", (label,)
            ).fetchone()
            if row is None or row_stamp(row) != bind_to:
                raise CredentialError(
                    f"credential '{label}' was changed by another process while it was verified; nothing was "
                    "re-bound, run verify again"
                )
            conn.execute("UPDATE credentials SET base_url = ? WHERE label = ?", (service.settings.ex_base_url, label))
            log.info("credential %r is now bound to %s", label, service.settings.ex_base_url)
        if permissions is None:
            conn.execute("UPDATE credentials SET verify_status = ? WHERE label = ?", (status, label))
        else:
            conn.execute(
                "UPDATE credentials SET verify_status = ?, last_verified_at = COALESCE(?, last_verified_at), "
                "permissions = ? WHERE label = ?",
                (status, verified_at, json.dumps(permissions), label),
            )
