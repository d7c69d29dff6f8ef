"""The trading venues behind one boundary: the seam every venue implements (``base``: ``Venue``,
``PageSink``, ``VenueInfo``), the venues by name (``registry``: ``VENUES``), the generic HTTP retry policy
(``retries``), rate limits (``ratelimit``, ``shared_bucket``), what every venue's live view shares
(``views``), and one sub-package per venue (``coinbase_exchange``, ``coinbase_advanced``).

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
    from .answers import *
    from .base import *
    from .candles import *
    from .client_venue import *
    from .http import *
    from .ratelimit import *
    from .registry import *
    from .retries import *
    from .shared_bucket import *
    from .views import *
