"""The store's two transaction doors, as the query mixins see them.

``FillQueries`` and ``SyncStateQueries`` are parts of :class:`~trade_tracker.store.connection.TradeStore`
that run their SQL through ``reading()`` and ``write()``. They inherit this base, so a type checker
knows those two methods exist without the parts importing the store that is built from them.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager

__all__ = ["Transactions"]


class Transactions(ABC):
    """A store's read and write transactions; ``TradeStore`` implements both."""

    @abstractmethod
    def reading(self, doing: str = "reading") -> AbstractContextManager[sqlite3.Connection]:
        """The connection, with sqlite3 errors translated to ``StoreError``."""

    @abstractmethod
    def write(self, doing: str = "writing") -> AbstractContextManager[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` … ``COMMIT`` transaction, rolled back on any error."""
