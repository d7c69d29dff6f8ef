"""Trade analytics from the local store: the summary (``summary``), its models (``models``), the per-product
books (``books``), the derived-table cache (``cache``) and per-period totals (``periods``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "AVERAGE_COST_PLACES": "books",
    "AVERAGE_PRICE_PLACES": "summary",
    "CHECKPOINT_LAG_DAYS": "cache",
    "DAY_COLUMNS": "books",
    "EXACT": "books",
    "MIDNIGHT": "cache",
    "ZERO": "books",
    "CurrencyTotal": "models",
    "FillSums": "books",
    "Filters": "models",
    "GroupBy": "models",
    "Method": "models",
    "OpenLots": "books",
    "PeriodTotal": "models",
    "ProductSummary": "models",
    "StoredBook": "cache",
    "Summary": "models",
    "cache_text": "books",
    "dirty_books": "cache",
    "divide_half_even": "books",
    "period_totals": "periods",
    "rebuild_cache": "cache",
    "refresh_book": "cache",
    "refresh_cache": "cache",
    "replay_fills": "books",
    "summarize": "summary",
    "with_unrealized": "summary",
}
__all__ = [
    "AVERAGE_COST_PLACES",
    "AVERAGE_PRICE_PLACES",
    "CHECKPOINT_LAG_DAYS",
    "DAY_COLUMNS",
    "EXACT",
    "MIDNIGHT",
    "ZERO",
    "CurrencyTotal",
    "FillSums",
    "Filters",
    "GroupBy",
    "Method",
    "OpenLots",
    "PeriodTotal",
    "ProductSummary",
    "StoredBook",
    "Summary",
    "cache_text",
    "dirty_books",
    "divide_half_even",
    "period_totals",
    "rebuild_cache",
    "refresh_book",
    "refresh_cache",
    "replay_fills",
    "summarize",
    "with_unrealized",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .books import (
        AVERAGE_COST_PLACES,
        DAY_COLUMNS,
        EXACT,
        ZERO,
        FillSums,
        OpenLots,
        cache_text,
        divide_half_even,
        replay_fills,
    )
    from .cache import (
        CHECKPOINT_LAG_DAYS,
        MIDNIGHT,
        StoredBook,
        dirty_books,
        rebuild_cache,
        refresh_book,
        refresh_cache,
    )
    from .models import CurrencyTotal, Filters, GroupBy, Method, PeriodTotal, ProductSummary, Summary
    from .periods import period_totals
    from .summary import AVERAGE_PRICE_PLACES, summarize, with_unrealized
