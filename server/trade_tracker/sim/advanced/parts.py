"""What both halves of ``SimAdvanced`` (``queries``, the reads; ``control``, the changes) rely on, declared
once: the state's attributes, which ``SimAdvanced.__init__`` sets, and the two hooks it defines."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.data import ProductHistory
    from .fills import Entry
    from .state import AdvancedConfig, KeyPermissions

__all__ = ["AdvancedParts"]


class AdvancedParts:
    """The base of ``AdvancedQueries`` and ``AdvancedControl``: attributes and hooks only, no behaviour."""

    _lock: threading.RLock
    config: AdvancedConfig
    entries: list[Entry]
    histories: list[ProductHistory]
    permissions: dict[str, KeyPermissions]
    user_id: str
    portfolio_id: str

    def history_of(self, product_id: str) -> ProductHistory:
        raise NotImplementedError

    def now_ns(self) -> int:
        raise NotImplementedError
