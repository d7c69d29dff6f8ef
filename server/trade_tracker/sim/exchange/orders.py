"""Orders without fills (open, pending, active, rejected) and the merged ``/orders`` page.

Filled orders are derived from the fill history (see ``data.ProductHistory.done_order``);
the few orders that never filled live here as small records. ``/orders`` pages by
``created_at`` date cursors across every product, newest first.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..core.catalog import ProductSpec
from ..core.data import ProductHistory
from ..core.formats import fixed, iso_us
from ..core.paging import window

__all__ = ["ORDER_STATUSES", "DEFAULT_ORDER_STATUSES", "OpenOrder", "orders_page"]

ORDER_STATUSES = frozenset({"open", "pending", "rejected", "done", "active", "received", "all"})
DEFAULT_ORDER_STATUSES = frozenset({"open", "pending", "active"})


@dataclass
class OpenOrder:
    """An order with no fills; rendered in the shape its status has on the real API."""

    id: str
    spec: ProductSpec
    profile_id: str
    side: str
    price: Decimal
    size: Decimal
    created_us: int
    status: str = "open"
    stop_price: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        spec = self.spec
        order: dict[str, Any] = {
            "id": self.id,
            "price": fixed(self.price, spec.price_places),
            "size": fixed(self.size, spec.size_places),
            "product_id": spec.id,
            "profile_id": self.profile_id,
            "side": self.side,
            "type": "limit",
        }
        if self.status != "pending":  # pending orders omit stp, time_in_force, post_only
            order["time_in_force"] = "GTC"
            order["post_only"] = False
        order["created_at"] = iso_us(self.created_us)
        if self.stop_price is not None:
            order["stop"] = "loss" if self.side == "sell" else "entry"
            order["stop_price"] = fixed(self.stop_price, spec.price_places)
        if self.status == "rejected":
            order["reject_reason"] = "post only"
        order.update(
            fill_fees=fixed(Decimal(0), 16),
            filled_size=fixed(Decimal(0), spec.size_places),
            executed_value=fixed(Decimal(0), 16),
            market_type="spot",
            status=self.status,
            settled=False,
        )
        return order


def orders_page(
    histories: Sequence[ProductHistory],
    open_orders: Iterable[OpenOrder],
    statuses: frozenset[str],
    limit: int,
    *,
    before_us: int | None = None,
    after_us: int | None = None,
    start_us: int | None = None,
    end_us: int | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """(created_us, order) rows of one page, newest first, from the given products only,
    created inside the inclusive [start_us, end_us] when those are given."""
    wanted_all = "all" in statuses
    refs: list[tuple[int, ProductHistory | OpenOrder, int]] = []
    if wanted_all or "done" in statuses:
        for h in histories:
            column = h.order_created_us
            lo = 0 if start_us is None else bisect_left(column, start_us)
            hi = len(column) if end_us is None else bisect_right(column, end_us)
            for oi in window(column, lo, max(lo, hi), limit, before=before_us, after=after_us):
                refs.append((column[oi], h, oi))
    product_ids = {h.spec.id for h in histories}
    for order in open_orders:
        if order.spec.id not in product_ids or not (wanted_all or order.status in statuses):
            continue
        if (start_us is not None and order.created_us < start_us) or (end_us is not None and order.created_us > end_us):
            continue
        if after_us is not None and not order.created_us < after_us:
            continue
        if before_us is not None and not order.created_us > before_us:
            continue
        refs.append((order.created_us, order, 0))
    if before_us is not None:
        refs.sort(key=lambda r: r[0])
        refs = refs[:limit][::-1]
    else:
        refs.sort(key=lambda r: r[0], reverse=True)
        refs = refs[:limit]
    return [
        (created, src.done_order(oi) if isinstance(src, ProductHistory) else src.to_json()) for created, src, oi in refs
    ]
