"""``/orders/historical/batch``: orders that agree with the fill entries, plus a few without fills.

A filled order is aggregated from its FILL entries (adjustments leave the order as it was placed and
filled): ``filled_size`` is the BASE size (quote-sized fills converted back exactly, size / price),
``filled_value`` Σ price × base, ``average_filled_price`` = filled_value / filled_size,
``number_of_fills`` and ``total_fees`` Σ commission. Quote-sized orders are market IOC orders by
``quote_size``; the others GTC limit orders. Each online product also has one OPEN and one CANCELLED
limit order with no fills, so ``order_status`` filters have something to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from ..core.formats import Q16, fixed
from ..core.ids import stable_uuid
from .fills import Entry
from .times import iso_ns

__all__ = ["ORDER_STATUSES", "OrderRecord", "idle_orders"]

ORDER_STATUSES = frozenset(
    {"OPEN", "FILLED", "CANCELLED", "EXPIRED", "FAILED", "QUEUED", "CANCEL_QUEUED", "PENDING", "UNKNOWN_ORDER_STATUS"}
)


@dataclass
class OrderRecord:
    """One order: its fills (FILL entries, oldest first) or, for an idle order, its own size and price."""

    order_id: str
    product_id: str
    side: str
    created_ns: int
    user_id: str
    portfolio_id: str
    status: str = "FILLED"
    fills: list[Entry] = field(default_factory=list[Entry])
    limit_size: str = "0"
    limit_price: str = "0"

    @property
    def key(self) -> tuple[int, str]:
        return self.created_ns, self.order_id

    def _configuration(self, quote_sized: bool, quote_total: Decimal, size: str, price: str) -> dict[str, Any]:
        if quote_sized:
            return {"market_market_ioc": {"quote_size": str(quote_total)}}
        return {"limit_limit_gtc": {"base_size": size, "limit_price": price, "post_only": False}}

    def to_json(self) -> dict[str, Any]:
        """The order as the API lists it."""
        quote_sized = bool(self.fills and self.fills[0].fill["size_in_quote"])
        with localcontext() as ctx:
            ctx.prec = 60
            filled = sum((e.base for e in self.fills), Decimal(0))
            value = sum((Decimal(e.fill["price"]) * e.base for e in self.fills), Decimal(0))
            fees = sum((Decimal(e.fill["commission"]) for e in self.fills), Decimal(0))
            average = (value / filled).quantize(Decimal("1e-10")) if filled else Decimal(0)
        quote_total = sum((Decimal(e.fill["size"]) for e in self.fills), Decimal(0)) if quote_sized else Decimal(0)
        last = self.fills[-1].fill["trade_time"] if self.fills else None
        price = max((e.fill["price"] for e in self.fills), key=Decimal, default=self.limit_price)
        size = str(filled) if self.fills else self.limit_size
        return {
            "order_id": self.order_id,
            "product_id": self.product_id,
            "user_id": self.user_id,
            "order_configuration": self._configuration(quote_sized, quote_total, size, price),
            "side": self.side,
            "client_order_id": stable_uuid("client", self.order_id),
            "status": self.status,
            "time_in_force": "IMMEDIATE_OR_CANCEL" if quote_sized else "GOOD_UNTIL_CANCELLED",
            "created_time": iso_ns(self.created_ns, 6),
            "completion_percentage": "100" if self.status == "FILLED" else "0",
            "filled_size": str(filled),
            "average_filled_price": str(average),
            "number_of_fills": str(len(self.fills)),
            "filled_value": str(value),
            "pending_cancel": False,
            "size_in_quote": quote_sized,
            "total_fees": fixed(fees.quantize(Q16), 16),
            "size_inclusive_of_fees": False,
            "total_value_after_fees": str(value + fees if self.side == "BUY" else value - fees),
            "trigger_status": "INVALID_ORDER_TYPE",
            "order_type": "MARKET" if quote_sized else "LIMIT",
            "reject_reason": "",
            "settled": self.status == "FILLED",
            "product_type": "SPOT",
            "reject_message": "",
            "cancel_message": "User requested cancel" if self.status == "CANCELLED" else "",
            "order_placement_source": "RETAIL_ADVANCED",
            "outstanding_hold_amount": "0",
            "is_liquidation": False,
            "last_fill_time": last,
            "leverage": "",
            "margin_type": "UNKNOWN_MARGIN_TYPE",
            "retail_portfolio_id": self.portfolio_id,
        }


def idle_orders(
    seed: object, products: list[tuple[str, Decimal, int]], now_ns: int, user_id: str, portfolio_id: str
) -> list[OrderRecord]:
    """One OPEN and one CANCELLED limit order (no fills) per (product id, last price, price places)."""
    out: list[OrderRecord] = []
    for n, (product_id, last, places) in enumerate(products):
        for status, factor, age_s in (("OPEN", Decimal("0.9"), 3600), ("CANCELLED", Decimal("0.8"), 86_400)):
            out.append(
                OrderRecord(
                    stable_uuid(seed, "idle-order", product_id, status),
                    product_id,
                    "BUY",
                    now_ns - (age_s + n) * 1_000_000_000,
                    user_id,
                    portfolio_id,
                    status=status,
                    limit_size="0.01",
                    limit_price=fixed(last * factor, places),
                )
            )
    return out
