"""Trade analytics from the local store: the summary (``summary``), its models (``models``), the per-product
books (``books``), the derived-table cache (``cache``), per-period totals (``periods``), how stored fills
become book inputs (``book_fills``) and what Advanced Trade's adjustments mean for them (``adjustments``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_package

# The modules' own ``__all__`` lists are the one list of what this package exports: read on first use,
# so importing the package imports none of its modules (see ``trade_tracker.lazy_exports``).
__getattr__, __dir__ = lazy_package(__name__)

if TYPE_CHECKING:  # the same names, for the type checker (star imports follow each module's ``__all__``)
    from .adjustments import *
    from .book_fills import *
    from .books import *
    from .cache import *
    from .lots import *
    from .models import *
    from .periods import *
    from .summary import *
    from .tax import *
    from .tax_models import *
    from .usd_prices import *
