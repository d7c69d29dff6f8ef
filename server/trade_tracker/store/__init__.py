"""The SQLite trade store: the connection and its transactions (``connection``), the schema (``migrations``),
the fill queries' arguments and cursors (``fills``), sync runs (``sync_runs``), discovery state
(``discovery_state``), stored credentials (``credential_rows``) and what a credential label holds
(``label_history``); ``rebuild`` rebuilds a table in place for a migration, ``analytics_schema`` holds
m012's SQL. Every SQL statement of the project lives here, except the analytics cache's own derived
tables (``analytics/cache.py``).

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
    from .analytics_schema import *
    from .connection import *
    from .credential_rows import *
    from .discovery_state import *
    from .fills import *
    from .filters import *
    from .label_history import *
    from .migrations import *
    from .rebuild import *
    from .sync_runs import *
    from .sync_state import *
    from .transactions import *
    from .usd_prices import *
