"""What the API answers: the read queries of ``SimAdvanced`` (a mixin, kept apart from construction).

Paging, as modelled (the real rules are partly INFERENCE, see ``advanced-trade-api.md``):

- fills: newest first by ``sequence_timestamp`` (ties by entry_id); ``limit`` default 100, a larger one
  capped SILENTLY at ``page_cap`` (default 250); ``start_sequence_timestamp`` inclusive,
  ``end_sequence_timestamp`` exclusive, both compared as instants (any fractional digits);
  ``cursor`` opaque (``cursors.py``), ``""`` when nothing older matches; no ``has_next``.
  Filtering is by sequence time (the doc text says trade time; which one is UNVERIFIED).
- orders: newest first by creation time, opaque cursor plus ``has_next``;
- accounts: by currency, opaque cursor plus ``has_next`` and ``size``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.data import ProductHistory
from ..core.errors import SimError
from .accounts import balances, build_accounts, portfolio_json
from .cursors import CursorCodec, InvalidCursor
from .fills import Entry
from .market import product_json, ticker_json
from .orders import ORDER_STATUSES, OrderRecord
from .parts import AdvancedParts

if TYPE_CHECKING:
    pass

__all__ = ["ACCOUNTS_MAX", "ORDERS_MAX", "AdvancedQueries", "FillQuery"]

ORDERS_MAX = 1000
ACCOUNTS_MAX = 250


class FillQuery:
    """The filters of one fills request (repeated keys are lists)."""

    def __init__(
        self,
        product_ids: Sequence[str] = (),
        order_ids: Sequence[str] = (),
        trade_ids: Sequence[str] = (),
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> None:
        self.product_ids = frozenset(p.upper() for p in product_ids)
        self.order_ids, self.trade_ids = frozenset(order_ids), frozenset(trade_ids)
        self.start_ns, self.end_ns = start_ns, end_ns

    def digest(self) -> str:
        return CursorCodec.filters_digest(
            {
                "product_ids": sorted(self.product_ids),
                "order_ids": sorted(self.order_ids),
                "trade_ids": sorted(self.trade_ids),
                "start": str(self.start_ns),
                "end": str(self.end_ns),
            }
        )

    def matches(self, entry: Entry) -> bool:
        f = entry.fill
        return (
            (not self.product_ids or f["product_id"] in self.product_ids)
            and (not self.order_ids or f["order_id"] in self.order_ids)
            and (not self.trade_ids or f["trade_id"] in self.trade_ids)
        )


def _open(cursors: CursorCodec, cursor: str | None, kind: str, filters: str) -> list[Any] | None:
    if not cursor:
        return None
    try:
        return cursors.open(cursor, kind, filters)
    except InvalidCursor as exc:
        raise SimError(400, str(exc)) from None


class AdvancedQueries(AdvancedParts):
    """The read half of ``SimAdvanced``."""

    cursors: CursorCodec
    orders: dict[str, OrderRecord]

    # ---- market -------------------------------------------------------------------------------

    def _last_price(self, history: ProductHistory) -> Any:
        return history.price(len(history) - 1) if len(history) else history.spec.quote_increment

    def products(self) -> dict[str, Any]:
        """``/market/products``: ``{"products": [...], "num_products": n}``."""
        with self._lock:
            products = [product_json(h.spec, self._last_price(h), self.config.aliases) for h in self.histories]
        return {"products": products, "num_products": len(products)}

    def product(self, product_id: str) -> dict[str, Any]:
        with self._lock:
            history = self.history_of(product_id)
            return product_json(history.spec, self._last_price(history), self.config.aliases)

    def ticker(self, product_id: str, limit: int) -> dict[str, Any]:
        with self._lock:
            history = self.history_of(product_id)
            return ticker_json(history.spec, self._last_price(history), self.now_ns(), self.config.seed, limit)

    # ---- fills --------------------------------------------------------------------------------

    def page_limit(self, limit: int | None) -> int:
        """The page size served for ``limit``: the default when absent, silently capped at ``page_cap``."""
        if limit is None:
            return min(self.config.page_default, self.config.page_cap)
        if limit < 1:
            raise SimError(400, "limit must be a positive integer")
        return min(limit, self.config.page_cap)

    def fills_page(self, query: FillQuery, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """One ``/orders/historical/fills`` page: ``{"fills": [...], "cursor": "..." or ""}``."""
        size = self.page_limit(limit)
        digest = query.digest()
        with self._lock:
            entries = self.entries
            lo = 0 if query.start_ns is None else bisect_left(entries, (query.start_ns, ""), key=lambda e: e.key)
            hi = len(entries) if query.end_ns is None else bisect_left(entries, (query.end_ns, ""), key=lambda e: e.key)
            position = _open(self.cursors, cursor, "fills", digest)
            if position is not None:
                hi = min(hi, bisect_left(entries, (int(position[0]), str(position[1])), key=lambda e: e.key))
            page: list[Entry] = []
            more = False
            for i in range(hi - 1, lo - 1, -1):
                if query.matches(entries[i]):
                    if len(page) == size:
                        more = True
                        break
                    page.append(entries[i])
            sign = self.config.reversal_sign
            fills = [e.render(sign) for e in page]
        next_cursor = self.cursors.issue("fills", list(page[-1].key), digest) if more else ""
        return {"fills": fills, "cursor": next_cursor}

    # ---- orders -------------------------------------------------------------------------------

    def orders_page(
        self,
        *,
        statuses: Sequence[str] = (),
        product_ids: Sequence[str] = (),
        order_ids: Sequence[str] = (),
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One ``/orders/historical/batch`` page, newest first."""
        wanted = frozenset(s.upper() for s in statuses)
        if not wanted <= ORDER_STATUSES:
            raise SimError(400, f"order_status must be among {sorted(ORDER_STATUSES)}")
        products, ids = frozenset(p.upper() for p in product_ids), frozenset(order_ids)
        if limit is not None and limit < 1:
            raise SimError(400, "limit must be a positive integer")
        size = 100 if limit is None else min(limit, ORDERS_MAX)
        digest = CursorCodec.filters_digest({"s": sorted(wanted), "p": sorted(products), "o": sorted(ids)})
        with self._lock:
            position = _open(self.cursors, cursor, "orders", digest)
            rows = sorted(
                (
                    o
                    for o in self.orders.values()
                    if (not wanted or o.status in wanted)
                    and (not products or o.product_id in products)
                    and (not ids or o.order_id in ids)
                    and (position is None or o.key < (int(position[0]), str(position[1])))
                ),
                key=lambda o: o.key,
                reverse=True,
            )
            page = rows[:size]
            orders = [o.to_json() for o in page]
        more = len(rows) > size
        next_cursor = self.cursors.issue("orders", list(page[-1].key), digest) if more else ""
        return {"orders": orders, "sequence": "0", "has_next": more, "cursor": next_cursor}

    # ---- accounts, portfolios, permissions ----------------------------------------------------

    def accounts_page(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """One ``/accounts`` page (default 49, max 250 per page)."""
        if limit is not None and limit < 1:
            raise SimError(400, "limit must be a positive integer")
        size = 49 if limit is None else min(limit, ACCOUNTS_MAX)
        with self._lock:
            currencies = {c for h in self.histories for c in (h.spec.base_currency, h.spec.quote_currency)}
            quotes = {h.spec.quote_currency for h in self.histories}
            totals = balances(self.entries, currencies, quotes)
            first_ns = self.entries[0].seq_ns if self.entries else self.now_ns()
        accounts = build_accounts(self.config.seed, totals, self.portfolio_id, first_ns - 86_400 * 10**9)
        position = _open(self.cursors, cursor, "accounts", "")
        start = int(position[0]) if position is not None else 0
        page = accounts[start : start + size]
        more = start + size < len(accounts)
        next_cursor = self.cursors.issue("accounts", [start + size], "") if more else ""
        return {"accounts": page, "has_next": more, "cursor": next_cursor, "size": len(page)}

    def key_permissions(self, key_name: str) -> dict[str, Any]:
        with self._lock:
            p = self.permissions[key_name]
            return {
                "can_view": p.can_view,
                "can_trade": p.can_trade,
                "can_transfer": p.can_transfer,
                "portfolio_uuid": self.portfolio_id,
                "portfolio_type": p.portfolio_type,
            }

    def portfolios(self, key_name: str, portfolio_type: str | None = None) -> dict[str, Any]:
        with self._lock:
            kind = self.permissions[key_name].portfolio_type
        listed = [portfolio_json(self.portfolio_id, kind)]
        return {"portfolios": [p for p in listed if portfolio_type is None or p["type"] == portfolio_type]}
