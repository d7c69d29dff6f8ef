"""Which base URL a stored API key may be sent to, and how a running process sees a key change.

A stored credential records the base URL it was added and verified with (the
``credentials.base_url`` column). Its key and passphrase go only there: if
``EX_BASE_URL`` names another URL, :func:`check_binding` refuses before any request,
naming both URLs and the two ways out (set ``EX_BASE_URL`` back, or re-bind on purpose
with ``credentials verify --rebind``). URLs compare in their canonical spelling
(``config.canonical_base_url``), so ``https://HOST:443/`` is ``https://host``.

:func:`~trade_tracker.store.credential_rows.row_stamp` digests a credential row (its ciphertexts and binding, nothing
secret) so a long-running server can tell, with one indexed read before each signed
request, that another process replaced, removed, re-bound or re-encrypted it.
"""

from __future__ import annotations

from ..config import canonical_base_url
from ..errors import CredentialUrlMismatch

__all__ = ["check_binding", "is_bound_to"]


def is_bound_to(bound: str | None, base_url: str) -> bool:
    """Whether a credential bound to ``bound`` may be sent to ``base_url``."""
    return bound is not None and canonical_base_url(bound) == canonical_base_url(base_url)


def check_binding(label: str, bound: str | None, base_url: str, setting: str = "EX_BASE_URL") -> None:
    """Raise :class:`CredentialUrlMismatch` unless ``label``'s key may go to ``base_url`` (the value of the
    key's venue's base-URL ``setting``: ``EX_BASE_URL``, ``AT_BASE_URL``)."""
    if is_bound_to(bound, base_url):
        return
    was = f"was verified with {bound}" if bound else "records no base URL it was verified with"
    back = f"set {setting}={bound} again, or, " if bound else ""
    raise CredentialUrlMismatch(
        f"credential '{label}' {was}, but {setting} is {base_url}; its key is not sent anywhere else. "
        f"To fix: {back}if you trust {base_url} with this key, run "
        f"`trade-tracker credentials verify --label={label} --rebind` (it verifies the key there and "
        "binds it to that URL)"
    )
