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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ..core.catalog import DEFAULT_CLOSED, DEFAULT_DELISTED, DEFAULT_PRODUCTS, spec_for
from ..core.data import TICK_US, ProductHistory
from ..core.errors import SimError
from ..core.faults import RANDOM_STATUSES, FaultInjector
from ..core.ids import OrderIdCodec, stable_hex, stable_uuid
from ..core.paging import window
from ..core.ratelimit import RateLimiter
from .account import account_currencies, build_accounts, build_open_orders, build_profiles
from .auth import KeyRecord, SimCredential, new_credential
from .control import SimControl, allocate
from .ledger import Money
from .market import stats, ticker
from .orders import DEFAULT_ORDER_STATUSES, ORDER_STATUSES, OpenOrder, orders_page

__all__ = ["FillPage", "SimConfig", "SimExchange"]

_DELISTED_WEIGHT = 0.08
#: The end a history is generated against when it is to end now; then it is shifted to now.
HISTORY_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
#: How long before the simulator starts its newest fill lies, when the history ends now.
RECENT_SECONDS = 300


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
    #: None: the history ends now. It is generated against ``HISTORY_ANCHOR`` (so a seed gives
    #: the same fills, prices and order of events every time) and then every timestamp moves
    #: by the same whole number of seconds, so the newest fill lies ``RECENT_SECONDS`` before
    #: the simulator started. A datetime: generated against it and not moved (fully fixed).
    history_end: datetime | None = None
    history_days: int = 730
    #: Products whose history ends with one sell of the whole position: their base ends at 0.
    closed: Sequence[str] = DEFAULT_CLOSED
    #: A delisted product's fills end this many days before ``history_end``.
    delisted_days_before_end: int = 300
    key: str | None = None
    secret: str | None = None
    passphrase: str | None = None
    key_permissions: Sequence[str] = ("view",)

    RUNTIME = (
        "rate_limits",
        "fail_rate",
        "fail_statuses",
        "latency_ms",
        "auth_failure_status",
        "clock_offset",
        "timestamp_window",
    )


@dataclass
class FillPage:
    """One ``/fills`` page: rows newest first and the CB-BEFORE / CB-AFTER cursors."""

    fills: list[dict[str, Any]]
    before: int | None = None
    after: int | None = None


def _to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


class SimExchange(SimControl):
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
        self.money = Money(seed, self.histories, account_currencies(self.histories))
        first_us = min((h.created_us[0] for h in self.histories if len(h)), default=_to_us(HISTORY_ANCHOR))
        profiles_since = first_us - 30 * 86_400_000_000
        self._profiles = build_profiles(seed, self.user_id, self.profile_id, profiles_since)
        given = (config.key, config.secret, config.passphrase)
        self.credential = self.add_key(config.key_permissions, key=given[0], secret=given[1], passphrase=given[2])

    # ---- construction -----------------------------------------------------------------------

    def _build_history(self) -> None:
        cfg = self.config
        delisted = [p.upper() for p in cfg.delisted]
        closed = {p.strip().upper() for p in cfg.closed}
        ids = list(dict.fromkeys([p.strip().upper() for p in cfg.products] + delisted))
        specs = [spec_for(pid, delisted=pid in delisted) for pid in ids]
        counts = allocate(cfg.fills, [_DELISTED_WEIGHT if s.delisted else s.weight for s in specs])
        end_us = _to_us(cfg.history_end or HISTORY_ANCHOR)
        start_us = end_us - cfg.history_days * 86_400_000_000
        for index, (spec, count) in enumerate(zip(specs, counts, strict=True)):
            history = ProductHistory(spec, index, cfg.seed, self._codec, self.user_id, self.profile_id)
            stop = end_us - (cfg.delisted_days_before_end * 86_400_000_000 if spec.delisted else 0)
            history.generate(count, start_us, stop, cfg.unsettled, close=spec.id in closed)
            self.histories.append(history)
            self._by_id[spec.id] = history
        if cfg.history_end is None:
            self._end_now()

    def _end_now(self) -> None:
        """Move every timestamp by whole seconds so the newest fill is ``RECENT_SECONDS`` before now."""
        newest = max((h.created_us[-1] for h in self.histories if len(h)), default=None)
        if newest is None:
            return
        target = int(self.now() * 1_000_000) - RECENT_SECONDS * 1_000_000
        shift = (target - newest) // 1_000_000 * 1_000_000  # whole seconds keep created_us % 16
        for history in self.histories:
            history.shift_us(shift)

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
        """``GET /accounts``: balances as the fills (and one deposit per quote currency) left them."""
        with self._lock:
            return build_accounts(self.money, self.open_orders, self.profile_id)

    def account(self, account_id: str) -> dict[str, Any]:
        """``GET /accounts/{id}``; 404 ``NotFound`` for an id of no account of this profile."""
        currency = self.money.currency_of(account_id)
        found = [a for a in self.accounts() if a["currency"] == currency]
        if not found:
            raise SimError(404, "NotFound")
        return found[0]

    def ledger(
        self,
        account_id: str,
        *,
        limit: int = 1000,
        before: int | None = None,
        after: int | None = None,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /accounts/{id}/ledger``: one page, newest first; the past day only without dates."""
        currency = self.money.currency_of(account_id)
        if currency is None:
            raise SimError(404, "NotFound")
        if before is not None and after is not None:
            raise SimError(400, "before and after cannot be used together")
        with self._lock:
            return self.money.ledger(
                currency,
                now_us=int(self.now() * 1_000_000),
                start_us=start_us,
                end_us=end_us,
                before=before,
                after=after,
                limit=limit,
            )

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
            rows = [
                history.fill(i) for i in window(history.trade_ids, lo, max(lo, hi), limit, before=before, after=after)
            ]
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
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> list[tuple[int, dict[str, Any]]]:
        """One ``/orders`` page as (created_us, order) rows, newest first; ``start_us``/``end_us``
        keep orders created inside those inclusive bounds (``start_date``/``end_date``)."""
        wanted = frozenset(s.lower() for s in statuses) or DEFAULT_ORDER_STATUSES
        if not wanted <= ORDER_STATUSES:
            raise SimError(400, "Invalid status")
        if before_us is not None and after_us is not None:
            raise SimError(400, "before and after cannot be used together")
        with self._lock:
            histories = [self.history_of(product_id)] if product_id is not None else list(self.histories)
            return orders_page(
                histories,
                list(self.open_orders),
                wanted,
                limit,
                before_us=before_us,
                after_us=after_us,
                start_us=start_us,
                end_us=end_us,
            )

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
            order = OpenOrder(
                stable_uuid(self.config.seed, "placed", os.urandom(8).hex()),
                history.spec,
                self.profile_id,
                side,
                price_d,
                size_d,
                created,
            )
            self.open_orders.append(order)
            answer = replace(order, status="pending").to_json()
        return answer
