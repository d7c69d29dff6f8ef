"""The Coinbase Advanced Trade adapter: CDP keys (``keys``), the JWT auth (``auth``), the REST client
(``client``), what its answers mean (``answers``), wire models (``models``) and the documented rate limits
(``limits``).

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
    from .answers import *
    from .auth import *
    from .client import *
    from .keys import *
    from .limits import *
    from .models import *
    from .venue import *
    from .views import *
    from .walk import *
