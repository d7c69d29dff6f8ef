"""In-process control of a running simulator: what tests and the ``/_admin`` routes change.

A mixin of ``SimExchange`` (kept apart so the exchange's state and queries stay readable):
add newer fills, settle them, change a fee, force failures, refill the buckets, and read
the whole history or a summary. Every method takes the exchange's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..core.data import ProductHistory
from ..core.errors import SimError

if TYPE_CHECKING:
    from ..core.faults import FaultInjector
    from ..core.ratelimit import RateLimiter
    from .state import SimConfig

__all__ = ["SimControl", "allocate"]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` by ``weights`` with largest remainders (sums exactly to total)."""
    if not weights:
        return []
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class SimControl:
    """The control half of ``SimExchange`` (see the module docstring)."""

    _lock: threading.RLock
    config: SimConfig
    histories: list[ProductHistory]
    faults: FaultInjector
    limiter: RateLimiter
    _keys: dict[str, Any]

    def history_of(self, product_id: str) -> ProductHistory:
        raise NotImplementedError

    def now(self) -> float:
        raise NotImplementedError

    def _locate_order(self, order_id: str) -> tuple[ProductHistory, int] | None:
        raise NotImplementedError

    # ---- in-process control (the /_admin routes call these) ---------------------------------

    def add_fills(self, count: int, product_id: str | None = None) -> list[tuple[str, int]]:
        """Add ``count`` newer, unsettled fills to one online product (or spread over all online
        ones); returns (product_id, trade_id) of each, oldest first."""
        if count < 0:
            raise SimError(400, "count must be >= 0")
        with self._lock:
            if product_id is not None:
                targets = [self.history_of(product_id)]
                if targets[0].spec.delisted:
                    raise SimError(400, f"{targets[0].spec.id} is delisted; it gets no new fills")
            else:
                targets = [h for h in self.histories if not h.spec.delisted]
            counts = allocate(count, [h.spec.weight for h in targets])
            now_us = int(self.now() * 1_000_000)
            added: list[tuple[str, int]] = []
            for history, n in zip(targets, counts, strict=True):
                if n:
                    new = history.append(n, now_us)
                    added += [(history.spec.id, history.trade_ids[i]) for i in new]
        return added

    def settle(self, product_id: str | None = None) -> list[tuple[str, int]]:
        """Settle every unsettled fill (of one product, or all); returns what changed."""
        with self._lock:
            targets = [self.history_of(product_id)] if product_id is not None else self.histories
            return [(h.spec.id, tid) for h in targets for tid in h.settle_all()]

    def unsettle(self, product_id: str, trade_id: int) -> None:
        """Mark one fill unsettled again (to test re-sync of changed rows)."""
        with self._lock:
            history = self.history_of(product_id)
            history.mark_unsettled([self._index(history, trade_id)])

    def set_fee(self, product_id: str, trade_id: int, fee: Decimal | str) -> dict[str, Any]:
        """Change one fill's fee (quantized to 16 places); returns the updated fill."""
        try:
            value = Decimal(str(fee))
        except InvalidOperation:
            raise SimError(400, "Invalid fee") from None
        if not value.is_finite() or value < 0:
            raise SimError(400, "Invalid fee")
        with self._lock:
            history = self.history_of(product_id)
            index = self._index(history, trade_id)
            history.set_fee(index, value)
            return history.fill(index)

    @staticmethod
    def _index(history: ProductHistory, trade_id: int) -> int:
        index = history.index_of(int(trade_id))
        if index is None:
            raise SimError(404, "NotFound")
        return index

    def fail_next(self, status: int, count: int = 1, *, path: str | None = None, message: str | None = None) -> None:
        """Make the next ``count`` API requests (under ``path``, if given) answer ``status``."""
        self.faults.force(status, count, path=path, message=message)

    def reset_limits(self) -> None:
        """Refill every rate-limit bucket."""
        self.limiter.reset()

    def history(self, product_id: str | None = None, order_id: str | None = None) -> list[dict[str, Any]]:
        """Every fill (of a product, an order, or all products), newest first per product."""
        with self._lock:
            if order_id is not None:
                located = self._locate_order(order_id)
                if located is None:
                    return []
                history, order_index = located
                if product_id is not None and history is not self.history_of(product_id):
                    return []
                lo, hi = history.order_span(order_index)
                return [history.fill(i) for i in range(hi - 1, lo - 1, -1)]
            targets = [self.history_of(product_id)] if product_id is not None else self.histories
            return [h.fill(i) for h in targets for i in range(len(h) - 1, -1, -1)]

    def fill_count(self, product_id: str | None = None) -> int:
        with self._lock:
            targets = [self.history_of(product_id)] if product_id is not None else self.histories
            return sum(len(h) for h in targets)

    def summary(self) -> dict[str, Any]:
        """Counts and settings, for ``GET /_admin/state`` and debugging."""
        with self._lock:
            products = {
                h.spec.id: {
                    "fills": len(h),
                    "orders": len(h.order_first),
                    "unsettled": len(h.unsettled),
                    "status": "delisted" if h.spec.delisted else "online",
                    "first_trade_id": h.trade_ids[0] if len(h) else None,
                    "last_trade_id": h.trade_ids[-1] if len(h) else None,
                }
                for h in self.histories
            }
            runtime = type(self.config).RUNTIME
            settings = {f.name: getattr(self.config, f.name) for f in fields(self.config) if f.name in runtime}
            return {
                "products": products,
                "settings": settings,
                "seed": self.config.seed,
                "keys": len(self._keys),
                "forced_failures_pending": self.faults.pending(),
            }
