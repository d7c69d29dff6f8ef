"""Cursor paging over a sorted key column, as the simulator models Coinbase's ``before``/``after``.

Items are served newest first (descending key):

- no cursor: the ``limit`` largest keys;
- ``after=X`` (older): the ``limit`` largest keys below X;
- ``before=X`` (newer): the ``limit`` smallest keys above X, still returned descending.

Every case is two bisects on the ascending column, never a scan.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

__all__ = ["window"]


def window(
    keys: Sequence[int], lo: int, hi: int, limit: int, *, before: int | None = None, after: int | None = None
) -> range:
    """Indices (descending) of one page within ``keys[lo:hi]``, which must be ascending."""
    if after is not None:
        end = bisect_left(keys, after, lo, hi)
        start = max(lo, end - limit)
    elif before is not None:
        start = bisect_right(keys, before, lo, hi)
        end = min(hi, start + limit)
    else:
        end = hi
        start = max(lo, hi - limit)
    return range(end - 1, start - 1, -1)
