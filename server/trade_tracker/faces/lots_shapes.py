"""``trade_summary`` with open lots: the summary's shape plus, only when asked (``with_lots``), the FIFO
lots still open at the end of the window, from the same lot engine as the tax report (``analytics.lots``).

Without ``with_lots`` the answer is the summary as before, with ``open_lots`` and ``omitted_lots`` null.
"""

from __future__ import annotations

from pydantic import Field

from ..analytics.tax_models import OpenLotOut
from .shapes import SummaryOut

__all__ = ["MAX_OPEN_LOTS", "SummaryLotsOut"]

#: The most open lots one answer lists (the oldest first: the ones nearest a long term).
MAX_OPEN_LOTS = 200


class SummaryLotsOut(SummaryOut):
    """A trade summary; with ``with_lots``, also the open lots (cost basis, acquisition, holding period)."""

    open_lots: list[OpenLotOut] | None = Field(
        default=None,
        description="only with with_lots: FIFO lots open at the end of the window, per label, oldest first",
    )
    omitted_lots: int | None = Field(default=None, description="with with_lots: open lots left out (the newest)")
