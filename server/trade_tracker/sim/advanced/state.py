"""``SimAdvanced``: the simulated Advanced Trade account (keys, products, entries, orders) and its settings.

The HTTP layer (``app.py``), the ``/_admin`` routes and tests all drive this one object; every read and
change takes its lock. The history is deterministic from the seed: the core's synthetic fills per
product (``core.data``), turned into entries (``fills.py``), plus some adjustments posted later. Paging
queries live in ``queries.py``, runtime changes in ``control.py``.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from bisect import insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from ..core.catalog import DEFAULT_CLOSED, DEFAULT_PRODUCTS, ProductSpec, spec_for
from ..core.data import ProductHistory
from ..core.errors import SimError
from ..core.faults import RANDOM_STATUSES, FaultInjector
from ..core.ids import OrderIdCodec, stable_uuid
from ..core.ratelimit import RateLimiter
from ..exchange.control import allocate
from .auth import NonceCache
from .control import AdvancedControl
from .cursors import CursorCodec
from .fills import Entry, adjustment, entries_of
from .keys import SimKey, load_or_create_keys, new_key
from .orders import OrderRecord, idle_orders
from .queries import AdvancedQueries

__all__ = ["AdvancedConfig", "KeyPermissions", "SimAdvanced"]

HISTORY_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
RECENT_SECONDS = 300
_WEIGHT_ALIAS = 0.1


@dataclass
class KeyPermissions:
    """What ``/key_permissions`` reports for a key (and whether it may read at all: ``can_view``)."""

    can_view: bool = True
    can_trade: bool = False
    can_transfer: bool = False
    portfolio_type: str = "DEFAULT"


@dataclass
class AdvancedConfig:
    """Everything that shapes the simulated account; ``RUNTIME`` fields change later via ``configure``."""

    fills: int = 2_000
    products: Sequence[str] = DEFAULT_PRODUCTS
    #: alias id -> the product it aliases; both get fills of their own.
    aliases: Mapping[str, str] = field(default_factory=lambda: {"BTC-USDC": "BTC-USD"})
    closed: Sequence[str] = DEFAULT_CLOSED
    seed: int | str = 42
    #: Adjustments (alternately REVERSAL and CORRECTION) in the initial history; None: fills // 100, at least 2.
    adjustments: int | None = None
    history_days: int = 730
    rate_limits: bool = True
    private_rate: float = 30.0
    public_rate: float = 10.0
    fail_rate: float = 0.0
    fail_statuses: Sequence[int] = RANDOM_STATUSES
    latency_ms: float = 0.0
    clock_offset: float = 0.0
    #: Seconds of clock skew tolerated on nbf/exp (a client corrected by /time's whole seconds).
    jwt_leeway: float = 5.0
    #: Accepted ``iss`` values: "cdp" only by default (old "coinbase-cloud" acceptance is an INFERENCE).
    issuers: Sequence[str] = ("cdp",)
    #: Fills page: ``limit`` default and the silent cap of a larger one (250 proven; true max UNVERIFIED).
    page_default: int = 100
    page_cap: int = 250
    #: "positive": a REVERSAL repeats the fill's size and commission; "negative": both negated (UNVERIFIED).
    reversal_sign: str = "positive"
    key_dir: str | None = None
    #: Every key's initial ``/key_permissions`` fields (can_view, can_trade, can_transfer, portfolio_type).
    key_permissions: Mapping[str, Any] = field(default_factory=dict[str, Any])
    #: The key's portfolio uuid (``portfolio_uuid``, fills' ``retail_portfolio_id``); None: from the seed.
    portfolio_id: str | None = None

    RUNTIME = (
        "rate_limits",
        "private_rate",
        "public_rate",
        "fail_rate",
        "fail_statuses",
        "latency_ms",
        "clock_offset",
        "jwt_leeway",
        "issuers",
        "page_default",
        "page_cap",
        "reversal_sign",
    )


def _to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


class SimAdvanced(AdvancedQueries, AdvancedControl):
    """The simulated Coinbase Advanced Trade account."""

    def __init__(self, config: AdvancedConfig | None = None, **overrides: Any) -> None:
        self.config = config = replace(config or AdvancedConfig(), **overrides)
        self._check_config(config)
        self._lock = threading.RLock()
        seed = config.seed
        self.user_id = stable_uuid(seed, "advanced-user")
        self.portfolio_id = config.portfolio_id or stable_uuid(seed, "advanced-portfolio")
        self.limiter = RateLimiter(config.rate_limits, limits=self._limits(config))
        self.faults = FaultInjector(seed, config.fail_rate, config.fail_statuses)
        self.nonces = NonceCache()
        self._keys: dict[str, SimKey] = {}
        self.permissions: dict[str, KeyPermissions] = {}
        # Keys in files when there is a folder (what a user imports), else in memory only (tests).
        if config.key_dir is None:
            keys = [new_key("ecdsa"), new_key("ed25519")]
        else:
            keys = load_or_create_keys(config.key_dir)
        for key in keys:
            self.add_key(key, KeyPermissions(**config.key_permissions))
        first = next(iter(self._keys.values()))
        secret = first.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.cursors = CursorCodec(hashlib.sha256(secret).digest())
        self.histories: list[ProductHistory] = []
        self.entries: list[Entry] = []
        self.orders: dict[str, OrderRecord] = {}
        self._adjustments_posted = 0
        self._build()

    @staticmethod
    def _check_config(config: AdvancedConfig) -> None:
        if config.reversal_sign not in ("positive", "negative"):
            raise ValueError("reversal_sign is positive or negative")
        if config.page_default < 1 or config.page_cap < 1:
            raise ValueError("page_default and page_cap must be >= 1")

    @staticmethod
    def _limits(config: AdvancedConfig) -> dict[str, tuple[float, float]]:
        return {
            "private": (config.private_rate, config.private_rate),
            "public": (config.public_rate, config.public_rate),
        }

    # ---- construction -----------------------------------------------------------------------

    def _specs(self) -> list[ProductSpec]:
        ids = list(dict.fromkeys(p.strip().upper() for p in self.config.products))
        specs = [spec_for(pid) for pid in ids]
        for alias, target in self.config.aliases.items():
            if target.upper() in ids and alias.upper() not in ids:
                specs.append(replace(spec_for(target), id=alias.upper(), weight=_WEIGHT_ALIAS))
        return specs

    def _build(self) -> None:
        cfg = self.config
        specs = self._specs()
        closed = {p.strip().upper() for p in cfg.closed}
        end_us = _to_us(HISTORY_ANCHOR)
        codec = OrderIdCodec(f"advanced:{cfg.seed}")
        for index, (spec, count) in enumerate(zip(specs, allocate(cfg.fills, [s.weight for s in specs]), strict=True)):
            history = ProductHistory(spec, index, f"advanced:{cfg.seed}", codec, self.user_id, self.portfolio_id)
            history.generate(count, end_us - cfg.history_days * 86_400_000_000, end_us, 0, close=spec.id in closed)
            self.histories.append(history)
        newest = max((h.created_us[-1] for h in self.histories if len(h)), default=end_us)
        shift = ((int(self.now() * 1e6) - RECENT_SECONDS * 1_000_000) - newest) // 1_000_000 * 1_000_000
        for history in self.histories:
            history.shift_us(shift)
            self._add_entries(entries_of(history, range(len(history)), cfg.seed, self.user_id, self.portfolio_id))
        self._initial_adjustments(closed)
        last = [(h.spec.id, h.price(len(h) - 1), h.spec.quote_places) for h in self.histories if len(h)]
        for order in idle_orders(cfg.seed, last, int(self.now() * 1e9), self.user_id, self.portfolio_id):
            self.orders[order.order_id] = order

    def _add_entries(self, entries: list[Entry]) -> None:
        """File entries by sequence time, and FILL entries under their order (created on first fill)."""
        if len(entries) > 16:
            self.entries.extend(entries)
            self.entries.sort(key=lambda e: e.key)
        else:
            for entry in entries:
                insort(self.entries, entry, key=lambda e: e.key)
        for entry in sorted(entries, key=lambda e: e.key):
            if entry.trade_type != "FILL":
                continue
            f = entry.fill
            order = self.orders.get(f["order_id"])
            if order is None:
                order = self.orders[f["order_id"]] = OrderRecord(
                    f["order_id"], f["product_id"], f["side"], entry.order_ns, self.user_id, self.portfolio_id
                )
            order.fills.append(entry)

    def _initial_adjustments(self, closed: set[str]) -> None:
        """Adjust random FILLs of open positions, posted an hour to three days after them (never after now)."""
        cfg = self.config
        count = cfg.adjustments if cfg.adjustments is not None else max(2, cfg.fills // 100)
        candidates = [e for e in self.entries if e.trade_type == "FILL" and e.fill["product_id"] not in closed]
        rng = random.Random(f"sim-advanced-initial-adjustments:{cfg.seed}")
        latest = int(self.now() * 1e9) - 60 * 1_000_000_000
        made: list[Entry] = []
        for n, original in enumerate(rng.sample(candidates, min(count, len(candidates)))):
            delay = rng.randrange(3600, 3 * 86_400) * 1_000_000_000 + rng.randrange(1_000_000_000)
            kind = "REVERSAL" if n % 2 == 0 else "CORRECTION"
            made.append(self._adjust(original, kind, min(original.seq_ns + delay, latest)))
        self._add_entries(made)

    def _adjust(self, original: Entry, kind: str, seq_ns: int) -> Entry:
        self._adjustments_posted += 1
        return adjustment(original, kind, seq_ns, self.config.seed, self._adjustments_posted)

    # ---- settings and keys ------------------------------------------------------------------

    def now(self) -> float:
        """The server's clock: real time plus ``clock_offset``."""
        return time.time() + self.config.clock_offset

    def now_ns(self) -> int:
        return int(self.now() * 1e9)

    def configure(self, **changes: Any) -> None:
        """Change runtime settings (``AdvancedConfig.RUNTIME``)."""
        unknown = set(changes) - set(AdvancedConfig.RUNTIME)
        if unknown:
            raise ValueError(f"not runtime settings: {sorted(unknown)}; use {list(AdvancedConfig.RUNTIME)}")
        with self._lock:
            config = replace(self.config, **changes)
            self._check_config(config)
            self.config = config
            self.limiter.enabled = bool(config.rate_limits)
            for kind, (rate, burst) in self._limits(config).items():
                if self.limiter.limits.get(kind) != (rate, burst):
                    self.limiter.set_limit(kind, rate, burst)
            self.faults.fail_rate = float(config.fail_rate)
            self.faults.statuses = tuple(config.fail_statuses)

    def add_key(self, key: SimKey, permissions: KeyPermissions | None = None) -> SimKey:
        """Accept ``key`` (view-only unless ``permissions`` say otherwise)."""
        with self._lock:
            self._keys[key.name] = key
            self.permissions[key.name] = permissions or KeyPermissions()
        return key

    @property
    def keys(self) -> dict[str, SimKey]:
        """Snapshot of the accepted keys by name."""
        with self._lock:
            return dict(self._keys)

    def key_of_type(self, key_type: str) -> SimKey:
        """The first key of ``key_type`` (ecdsa or ed25519)."""
        return next(k for k in self.keys.values() if k.type == key_type)

    # ---- lookups ------------------------------------------------------------------------------

    def history_of(self, product_id: str) -> ProductHistory:
        """A product's core history; 404 ``NOT_FOUND`` for an unknown id."""
        wanted = product_id.strip().upper()
        for history in self.histories:
            if history.spec.id == wanted:
                return history
        raise SimError(404, "valid product_id is required")
