"""The Coinbase Exchange adapter: the ``Venue`` (``venue``: ``CoinbaseExchange``, its facts ``EXCHANGE``),
signing (``auth``), the REST client (``client``), wire models (``models``),
request parameters (``params``), documented rate limits (``limits``), the fills walk (``walk``), product
discovery (``discovery``) and the CB-AFTER activity helpers (``activity``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy_exports import lazy_package

# The modules' own ``__all__`` lists are the one list of what this package exports: read on first use,
# so importing the package imports none of its modules (see ``trade_tracker.lazy_exports``).
__getattr__, __dir__ = lazy_package(__name__)

if TYPE_CHECKING:  # the same names, for the type checker (star imports follow each module's ``__all__``)
    from .activity import *
    from .answers import *
    from .auth import *
    from .client import *
    from .discovery import *
    from .keys import *
    from .limits import *
    from .models import *
    from .params import *
    from .venue import *
    from .views import *
    from .walk import *
