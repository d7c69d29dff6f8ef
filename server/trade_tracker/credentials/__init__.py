"""Stored API credentials: the service that adds, checks, lists and removes them (``service``), the
encrypted vault (``vault``), the key's binding to one base URL (``binding``) and the guard that keeps one
label to one account (``label_history``).

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
    from .binding import *
    from .entry import *
    from .env import *
    from .key_sources import *
    from .label_history import *
    from .models import *
    from .policy import *
    from .rotation import *
    from .service import *
    from .vault import *
    from .verification import *
