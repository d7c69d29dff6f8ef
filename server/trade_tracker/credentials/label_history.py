"""What a credential label already holds, and the guard that keeps one label to one account.

Fills, sync state (``sync_state``), discovery state and run records are all keyed by the
credential *label*, not by the key. So a label's stored history silently assumes every key
ever stored under it reads the same account on the same exchange. Replacing a label's key
with one for another exchange (sandbox → production) or another profile, or re-binding it to
another base URL, would make the next sync resume from the old account's cursors and
watermark and mix two accounts' fills in one book: a wrong tax report with nothing to say so.

:func:`check_same_account` refuses such a change while the label holds anything, naming what
is stored and the fix (store the key under a new label). A key rotation for the same account
(same base URL, same profile) goes through. Nothing here deletes data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import CredentialError
from ..store.label_history import label_history
from .binding import is_bound_to

if TYPE_CHECKING:
    from ..store.connection import TradeStore

__all__ = ["check_same_account"]


def check_same_account(
    store: TradeStore,
    label: str,
    *,
    doing: str,
    bound_url: str | None,
    new_url: str,
    new_profiles: Iterable[str | None] | None,
) -> None:
    """Refuse ``doing`` (a replace, re-bind or add) when it would point ``label``'s history at another account.

    ``bound_url``: the base URL the label's current key is bound to (None: no key stored now, nothing
    to compare). ``new_profiles``: the profile ids the new key's ``/accounts`` answered (None: not
    checked with the exchange). Raises :class:`CredentialError`; returns when the label holds nothing,
    or the URL and the profile are the ones its history came from.
    """
    history = label_history(store, label)
    if history.empty:
        return
    fix = (
        f"To keep both, store this key under a new label (`trade-tracker credentials add --label=NEW`); "
        f"'{label}' and what it holds stay as they are"
    )
    if bound_url is not None and not is_bound_to(bound_url, new_url):
        raise CredentialError(
            f"refusing to {doing}: '{label}' holds {history.describe()} from {bound_url}, and EX_BASE_URL is "
            f"{new_url}; a key for another exchange under the same label would mix two accounts' fills and "
            f"resume from the old account's sync state. {fix}"
        )
    got = frozenset(p for p in (new_profiles or ()) if p)
    if history.profiles and got and not (got & history.profiles):
        raise CredentialError(
            f"refusing to {doing}: '{label}' holds {history.describe()} of profile "
            f"{', '.join(sorted(history.profiles))}, but this key reads profile {', '.join(sorted(got))}; "
            f"one label would mix two accounts' fills. {fix}"
        )
