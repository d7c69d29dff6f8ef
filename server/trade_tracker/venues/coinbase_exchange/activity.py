"""Models of the account-activity answers product discovery reads: ledger entries and order pages.

Apart from ``models.py`` (the core answers) because only discovery and its tests need them.
``GET /accounts/{id}/ledger`` entries carry ``details`` {order_id, trade_id, product_id} for
``match`` and ``fee`` entries (``trade_id`` as a string there); ``/orders`` pages carry their
``created_at`` date cursors in ``CB-BEFORE`` / ``CB-AFTER``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .models import DecimalStr, ExchangeModel, Order, Timestamp

__all__ = ["LedgerDetails", "LedgerEntry", "LedgerPage", "OrderPage"]


class LedgerDetails(ExchangeModel):
    """What caused a ledger entry: for ``match`` and ``fee``, the trade; for ``transfer``, the transfer."""

    order_id: str | None = None
    trade_id: str | int | None = None
    product_id: str | None = None
    transfer_id: str | None = None
    transfer_type: str | None = None


class LedgerEntry(ExchangeModel):
    """One movement of an account: ``amount`` (signed) and the ``balance`` after it."""

    id: str
    created_at: Timestamp
    amount: DecimalStr
    balance: DecimalStr
    type: str
    details: LedgerDetails = Field(default_factory=LedgerDetails)


class LedgerPage(BaseModel):
    """One ledger page, newest first, with its ``CB-BEFORE``/``CB-AFTER`` entry-id cursors."""

    model_config = ConfigDict(frozen=True)

    entries: list[LedgerEntry] = Field(default_factory=list[LedgerEntry])
    before: str | None = None
    after: str | None = None


class OrderPage(BaseModel):
    """One ``/orders`` page, newest first, with its ``CB-BEFORE``/``CB-AFTER`` ``created_at`` cursors."""

    model_config = ConfigDict(frozen=True)

    orders: list[Order] = Field(default_factory=list[Order])
    before: str | None = None
    after: str | None = None
