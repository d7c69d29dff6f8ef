"""The MCP face: the tools (``tools``, ``sync_tools``) that ``server.build_server`` registers, their argument
vocabulary (``params``) and shared results (``results``), the out-of-band credential flow and its page, and
the transports (``serve``, ``listener_limits``).

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
    from .argument_errors import *
    from .chart import *
    from .chart_html import *
    from .completions import *
    from .credential_command import *
    from .credential_flow import *
    from .credential_form import *
    from .credential_page import *
    from .listener_limits import *
    from .page_server import *
    from .params import *
    from .prompts import *
    from .resource_updates import *
    from .resources import *
    from .results import *
    from .serve import *
    from .server import *
    from .surface import *
    from .sync_tools import *
    from .tax_tools import *
    from .tools import *
    from .venue_text import *
