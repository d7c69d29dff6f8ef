"""``SimExchange``: the simulated account's state and settings, and every query on them.

The HTTP layer (``app.py``) and tests both drive this one object: the app to answer
requests, tests (and the ``/_admin`` routes) to add newer fills, settle, change a fee,
force failures or move the server clock while the server runs. All state changes and
reads happen under one lock, so a test thread may mutate while uvicorn serves.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .account import build_accounts, build_open_orders, build_profiles
from .auth import KeyRecord, SimCredential, new_credential
from .catalog import DEFAULT_DELISTED, DEFAULT_PRODUCTS, spec_for
from .data import TICK_US, ProductHistory
from .faults import RANDOM_STATUSES, FaultInjector
from .ids import OrderIdCodec, stable_hex, stable_uuid
from .market import stats, ticker
from .orders import DEFAULT_ORDER_STATUSES, ORDER_STATUSES, OpenOrder, orders_page
from .paging import window
from .ratelimit import RateLimiter

__all__ = ["FillPage", "SimConfig", "SimError", "SimExchange"]

_DELISTED_WEIGHT = 0.08


class SimError(Exception):
    """An API error answer: HTTP status and Coinbase's ``message`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class SimConfig:
    """Everything that shapes a simulated exchange. ``SimExchange.configure`` changes the
    runtime knobs (rate limits, faults, latency, auth status, clock offset) later."""

    fills: int = 10_000
    products: Sequence[str] = DEFAULT_PRODUCTS
    delisted: Sequence[str] = DEFAULT_DELISTED
    seed: int | str = 42
    rate_limits: bool = True
    fail_rate: float = 0.0
    #: Statuses random faults pick from (500 JSON, 502 proxy HTML, 503 JSON by default).
    fail_statuses: Sequence[int] = RANDOM_STATUSES
    latency_ms: float = 0.0
    #: Status of the 401-class auth failures; older deployments answered 400.
    auth_failure_status: int = 401
    #: Seconds added to the real clock to get the server's clock (``/time``, timestamp checks).
    clock_offset: float = 0.0
    timestamp_window: float = 30.0
    #: How many of the newest fills of each online product start unsettled.
    unsettled: int = 3
    history_end: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    history_days: int = 730
    #: A delisted product's fills end this many days before ``history_end``.
    delisted_days_before_end: int = 300
    key: str | None = None
    secret: str | None = None
    passphrase: str | None = None
    key_permissions: Sequence[str] = ("view",)

    RUNTIME = ("rate_limits", "fail_rate", "fail_statuses", "latency_ms", "auth_failure_status",
               "clock_offset", "timestamp_window")


@dataclass
class FillPage:
    """One ``/fills`` page: rows newest first and the CB-BEFORE / CB-AFTER cursors."""

    fills: list[dict[str, Any]]
    before: int | None = None
    after: int | None = None


def _to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
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


class SimExchange:
    """The simulated Coinbase Exchange account: products, fills, orders, keys and settings."""

    def __init__(self, config: SimConfig | None = None, **overrides: Any) -> None:
        config = replace(config or SimConfig(), **overrides)
        self.config = config
        self._lock = threading.RLock()
        seed = config.seed
        self.user_id = stable_hex(seed, "user")
        self.profile_id = stable_uuid(seed, "profile", "default")
        self._codec = OrderIdCodec(seed)
        self.limiter = RateLimiter(config.rate_limits)
        self.faults = FaultInjector(seed, config.fail_rate, config.fail_statuses)
        self._keys: dict[str, KeyRecord] = {}
        self.histories: list[ProductHistory] = []
        self._by_id: dict[str, ProductHistory] = {}
        self._build_history()
        self.open_orders = build_open_orders(seed, self.histories, self.profile_id)
        self._accounts = build_accounts(seed, self.histories, self.profile_id)
        profiles_since = _to_us(config.history_end) - (config.history_days + 30) * 86_400_000_000
        self._profiles = build_profiles(seed, self.user_id, self.profile_id, profiles_since)
        given = (config.key, config.secret, config.passphrase)
        self.credential = self.add_key(config.key_permissions, key=given[0], secret=given[1],
                                       passphrase=given[2])

    # ---- construction -----------------------------------------------------------------------

    def _build_history(self) -> None:
        cfg = self.config
        delisted = [p.upper() for p in cfg.delisted]
        ids = list(dict.fromkeys([p.strip().upper() for p in cfg.products] + delisted))
        specs = [spec_for(pid, delisted=pid in delisted) for pid in ids]
        counts = _allocate(cfg.fills, [_DELISTED_WEIGHT if s.delisted else s.weight for s in specs])
        end_us = _to_us(cfg.history_end)
        start_us = end_us - cfg.history_days * 86_400_000_000
        for index, (spec, count) in enumerate(zip(specs, counts, strict=True)):
            history = ProductHistory(spec, index, cfg.seed, self._codec, self.user_id, self.profile_id)
            stop = end_us - (cfg.delisted_days_before_end * 86_400_000_000 if spec.delisted else 0)
            history.generate(count, start_us, stop, cfg.unsettled)
            self.histories.append(history)
            self._by_id[spec.id] = history

    # ---- settings ---------------------------------------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Change runtime knobs: rate_limits, fail_rate, fail_statuses, latency_ms,
        auth_failure_status, clock_offset, timestamp_window."""
        unknown = set(changes) - set(SimConfig.RUNTIME)
        if unknown:
            raise ValueError(f"not runtime settings: {sorted(unknown)}; use {list(SimConfig.RUNTIME)}")
        with self._lock:
            self.config = replace(self.config, **changes)
            self.limiter.enabled = bool(self.config.rate_limits)
            self.faults.fail_rate = float(self.config.fail_rate)
            self.faults.statuses = tuple(self.config.fail_statuses)

    def now(self) -> float:
        """The server's clock: real time plus ``clock_offset``."""
        return time.time() + self.config.clock_offset

    def add_key(
        self,
        permissions: Iterable[str] = ("view",),
        *,
        key: str | None = None,
        secret: str | None = None,
        passphrase: str | None = None,
    ) -> SimCredential:
        """Register an API key (generated parts where not given) with these permissions."""
        fresh = new_credential()
        credential = SimCredential(key or fresh.key, secret or fresh.secret, passphrase or fresh.passphrase)
        record = KeyRecord.create(credential, permissions, self.profile_id)
        with self._lock:
            self._keys[credential.key] = record
        return credential

    def remove_key(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)

    @property
    def keys(self) -> dict[str, KeyRecord]:
        """Snapshot of the registered keys by key id."""
        with self._lock:
            return dict(self._keys)

    # ---- products and market data -----------------------------------------------------------

    def product_ids(self) -> list[str]:
        return [h.spec.id for h in self.histories]

    def history_of(self, product_id: str) -> ProductHistory:
        """The product's history; matching is case-insensitive. 404 ``NotFound`` otherwise."""
        found = self._by_id.get(product_id.strip().upper())
        if found is None:
            raise SimError(404, "NotFound")
        return found

    def products(self) -> list[dict[str, Any]]:
        return [h.spec.to_json() for h in self.histories]

    def product(self, product_id: str) -> dict[str, Any]:
        return self.history_of(product_id).spec.to_json()

    def ticker(self, product_id: str) -> dict[str, Any]:
        history = self.history_of(product_id)
        with self._lock:
            return ticker(history, int(self.now() * 1_000_000))

    def stats(self, product_id: str) -> dict[str, Any]:
        history = self.history_of(product_id)
        with self._lock:
            return stats(history)

    # ---- account ----------------------------------------------------------------------------

    def accounts(self) -> list[dict[str, Any]]:
        return [dict(a) for a in self._accounts]

    def profiles(self, active: bool | None = None) -> list[dict[str, Any]]:
        return [dict(p) for p in self._profiles if active is None or p["active"] is active]

    def fills_page(
        self,
        *,
        product_id: str | None = None,
        order_id: str | None = None,
        limit: int = 100,
        before: int | None = None,
        after: int | None = None,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> FillPage:
        """One ``/fills`` page (see ``paging.window`` for the cursor model)."""
        if product_id is None and order_id is None:
            raise SimError(400, "product_id or order_id is required")
        if before is not None and after is not None:
            raise SimError(400, "before and after cannot be used together")
        with self._lock:
            if order_id is not None:
                located = self._locate_order(order_id)
                if located is None:
                    return FillPage([])
                history, order_index = located
                if product_id is not None and history is not self.history_of(product_id):
                    return FillPage([])
                lo, hi = history.order_span(order_index)
                dlo, dhi = history.date_span(start_us, end_us)
                lo, hi = max(lo, dlo), min(hi, dhi)
            else:
                assert product_id is not None
                history = self.history_of(product_id)
                lo, hi = history.date_span(start_us, end_us)
            rows = [history.fill(i) for i in window(history.trade_ids, lo, max(lo, hi), limit,
                                                      before=before, after=after)]
        if not rows:
            return FillPage([])
        return FillPage(rows, rows[0]["trade_id"], rows[-1]["trade_id"])

    def _locate_order(self, order_id: str) -> tuple[ProductHistory, int] | None:
        try:
            position = self._codec.decode(order_id)
        except ValueError:
            raise SimError(400, "Invalid order id") from None
        if position is None or position[0] >= len(self.histories):
            return None
        history = self.histories[position[0]]
        return (history, position[1]) if position[1] < len(history.order_first) else None

    def orders(
        self,
        *,
        statuses: Iterable[str] = (),
        product_id: str | None = None,
        limit: int = 100,
        before_us: int | None = None,
        after_us: int | None = None,
    ) -> list[tuple[int, dict[str, Any]]]:
        """One ``/orders`` page as (created_us, order) rows, newest first."""
        wanted = frozenset(s.lower() for s in statuses) or DEFAULT_ORDER_STATUSES
        if not wanted <= ORDER_STATUSES:
            raise SimError(400, "Invalid status")
        if before_us is not None and after_us is not None:
            raise SimError(400, "before and after cannot be used together")
        with self._lock:
            histories = [self.history_of(product_id)] if product_id is not None else list(self.histories)
            return orders_page(histories, list(self.open_orders), wanted, limit,
                               before_us=before_us, after_us=after_us)

    def order(self, order_id: str) -> dict[str, Any]:
        """``GET /orders/{id}``: a filled or an open order; 404 ``NotFound`` if unknown."""
        with self._lock:
            located = self._locate_order(order_id)
            if located is not None:
                return located[0].done_order(located[1])
            wanted = order_id.strip().lower().replace("-", "")
            for order in self.open_orders:
                if order.id.replace("-", "") == wanted:
                    return order.to_json()
        raise SimError(404, "NotFound")

    def place_order(self, product_id: Any, side: Any, size: Any, price: Any) -> dict[str, Any]:
        """``POST /orders`` (limit orders only): records an open order, answers it as pending."""
        if not isinstance(product_id, str):
            raise SimError(400, "product_id is required")
        history = self.history_of(product_id)
        if history.spec.delisted:
            raise SimError(400, "Trading is disabled for this product")
        if side not in ("buy", "sell"):
            raise SimError(400, "Invalid side")
        try:
            size_d, price_d = Decimal(str(size)), Decimal(str(price))
        except InvalidOperation:
            raise SimError(400, "Invalid size or price") from None
        if not (size_d.is_finite() and price_d.is_finite()) or size_d <= 0 or price_d <= 0:
            raise SimError(400, "Invalid size or price")
        with self._lock:
            created = int(self.now() * 1_000_000) // TICK_US * TICK_US + history.index
            order = OpenOrder(stable_uuid(self.config.seed, "placed", os.urandom(8).hex()), history.spec,
                              self.profile_id, side, price_d, size_d, created)
            self.open_orders.append(order)
            answer = replace(order, status="pending").to_json()
        return answer

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
            counts = _allocate(count, [h.spec.weight for h in targets])
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

    def fail_next(self, status: int, count: int = 1, *, path: str | None = None,
                  message: str | None = None) -> None:
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
            settings = {f.name: getattr(self.config, f.name) for f in fields(SimConfig)
                        if f.name in SimConfig.RUNTIME}
            return {"products": products, "settings": settings, "seed": self.config.seed,
                    "keys": len(self._keys), "forced_failures_pending": self.faults.pending()}
