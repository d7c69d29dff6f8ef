"""The simulated Coinbase Advanced Trade API (``/api/v3/brokerage``): CDP keys and JWT checks, fill
entries with adjustments, orders, accounts, market data, opaque cursors, rate limits and admin routes.

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trade_tracker.lazy_exports import lazy_package

# The modules' own ``__all__`` lists are the one list of what this package exports: read on first use,
# so importing the package imports none of its modules (see ``trade_tracker.lazy_exports``).
__getattr__, __dir__ = lazy_package(__name__)

if TYPE_CHECKING:  # the same names, for the type checker (star imports follow each module's ``__all__``)
    from .accounts import *
    from .admin import *
    from .app import *
    from .auth import *
    from .control import *
    from .cursors import *
    from .fills import *
    from .keys import *
    from .market import *
    from .orders import *
    from .params import *
    from .parts import *
    from .queries import *
    from .server import *
    from .state import *
    from .times import *
    from .wire import *
