"""Adding a key of any venue: checked through the venue's hooks, verified, the policy applied, then stored.

Venue-neutral: the fields' shapes and the fingerprint come from the venue (``credential_from_fields``,
``fingerprint``), the check from its ``check_key()``, what may be stored from ``policy.py``; the row is
written by ``store/credential_rows.py`` with every field encrypted inside the write lock. Nothing here
puts a field's value in a message, a log or a result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidCredential
from ..labels import check_label
from ..store.credential_rows import Ciphertexts, NewCredential, insert_credential
from .models import VIEW_ONLY_WARNING, AddResult
from .policy import TRANSFER_ALLOWED, check_policy
from .verification import first_check

if TYPE_CHECKING:
    from ..venues.base import Venue
    from .service import ClientFactory, CredentialService

__all__ = ["add_key", "checked_values"]

log = logging.getLogger("trade_tracker.credentials")


def checked_values(venue: type[Venue], fields: Mapping[str, str], credential: Any) -> list[str]:
    """The value of each of the venue's fields to encrypt, in ``info.fields`` order: the typed credential's
    attribute of the field's name (its checked, normalised value), else the text as typed, stripped."""
    values: list[str] = []
    for field in venue.info.fields:
        value = getattr(credential, field.name, None)
        values.append(value if isinstance(value, str) else str(fields.get(field.name, "")).strip())
    return values


async def add_key(
    service: CredentialService,
    label: str,
    fields: Mapping[str, str],
    venue: type[Venue],
    *,
    verify: bool,
    client_factory: ClientFactory | None,
    replace: bool,
    allow_transfer_key: bool,
) -> AddResult:
    """See :meth:`CredentialService.add_fields`."""
    if replace:
        check_label(label)
    else:
        service.check_new_label(label)
    if any(not isinstance(v, str) for v in fields.values()):
        raise InvalidCredential("every field of the key must be text")
    typed = {f.name: fields.get(f.name, "") for f in venue.info.fields}
    credential = venue.credential_from_fields({**typed, "label": label})
    service._check_vault_opens_store()
    doing = f"replace the key of '{label}'" if replace else f"store a key under '{label}'"
    bound = service._bound_url(label) if replace else None
    service._check_same_account(label, doing, bound, None, venue)  # before the key goes anywhere

    check, warnings = await first_check(
        service, venue, credential, verify, client_factory, label=label, replace=replace, doing=doing, bound=bound
    )
    warnings.extend(check_policy(check.answer, allow_transfer_key=allow_transfer_key))
    if check.answer.get("can_transfer") == "true":  # allowed, or check_policy refused it: recorded as allowed
        check = check._replace(permissions={**check.permissions, TRANSFER_ALLOWED: "true"})
    if not venue.info.reports_permissions:
        warnings.append(VIEW_ONLY_WARNING)

    values = checked_values(venue, typed, credential)

    def encrypt() -> Ciphertexts:
        vault = service.vault
        vault.refresh()  # inside the write lock: never encrypt under a key a rotation just retired
        tokens = [vault.encrypt(v) for v in values]
        return Ciphertexts(tokens[0], tokens[1], tokens[2] if len(tokens) > 2 else None)

    fingerprint = venue.fingerprint(typed)
    row = NewCredential(
        label,
        venue.info.stored_as,
        service.base_url(venue),
        fingerprint,
        check.status,
        check.verified_at,
        json.dumps(check.permissions),
        check.portfolio,
    )
    insert_credential(service.store, row, encrypt, replace=replace)
    log.info("%s credential %r (%s), %s", "replaced" if replace else "stored", label, fingerprint, check.status)
    return AddResult(info=service.info(label), warnings=warnings)
