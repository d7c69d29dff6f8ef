"""Trade analytics from the local store: the summary (``summary``), its models (``models``), the per-product
books (``books``), the derived-table cache (``cache``), per-period totals (``periods``), how stored fills
become book inputs (``book_fills``) and what Advanced Trade's adjustments mean for them (``adjustments``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "ADJUSTMENT_TYPES": "adjustments",
    "AVERAGE_COST_PLACES": "books",
    "AVERAGE_PRICE_PLACES": "summary",
    "BOOK_COLUMNS": "book_fills",
    "CHECKPOINT_LAG_DAYS": "cache",
    "DAY_COLUMNS": "books",
    "EXACT": "books",
    "MIDNIGHT": "cache",
    "QUOTE_SIZE_PLACES": "adjustments",
    "ZERO": "books",
    "Adjustments": "adjustments",
    "BookFill": "adjustments",
    "CurrencyTotal": "models",
    "Effective": "adjustments",
    "FillSums": "books",
    "Filters": "models",
    "GroupBy": "models",
    "Method": "models",
    "OpenLots": "books",
    "PeriodTotal": "models",
    "ProductSummary": "models",
    "StoredBook": "cache",
    "Summary": "models",
    "apply_adjustments": "adjustments",
    "base_size": "adjustments",
    "book_adjustments": "book_fills",
    "cache_text": "books",
    "dirty_books": "cache",
    "divide_half_even": "books",
    "orphaned_adjustments": "book_fills",
    "effective_fills": "adjustments",
    "period_totals": "periods",
    "posting_key": "adjustments",
    "rebuild_cache": "cache",
    "refresh_book": "cache",
    "refresh_cache": "cache",
    "replay_fills": "books",
    "replay_start": "book_fills",
    "summarize": "summary",
    "with_unrealized": "summary",
}
__all__ = [
    "ADJUSTMENT_TYPES",
    "AVERAGE_COST_PLACES",
    "AVERAGE_PRICE_PLACES",
    "BOOK_COLUMNS",
    "CHECKPOINT_LAG_DAYS",
    "DAY_COLUMNS",
    "EXACT",
    "MIDNIGHT",
    "QUOTE_SIZE_PLACES",
    "ZERO",
    "Adjustments",
    "BookFill",
    "CurrencyTotal",
    "Effective",
    "FillSums",
    "Filters",
    "GroupBy",
    "Method",
    "OpenLots",
    "PeriodTotal",
    "ProductSummary",
    "StoredBook",
    "Summary",
    "apply_adjustments",
    "base_size",
    "book_adjustments",
    "cache_text",
    "dirty_books",
    "divide_half_even",
    "orphaned_adjustments",
    "effective_fills",
    "period_totals",
    "posting_key",
    "rebuild_cache",
    "refresh_book",
    "refresh_cache",
    "replay_fills",
    "replay_start",
    "summarize",
    "with_unrealized",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .adjustments import (
        ADJUSTMENT_TYPES,
        QUOTE_SIZE_PLACES,
        Adjustments,
        BookFill,
        Effective,
        apply_adjustments,
        base_size,
        effective_fills,
        posting_key,
    )
    from .book_fills import (
        BOOK_COLUMNS,
        book_adjustments,
        orphaned_adjustments,
        replay_start,
    )
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
