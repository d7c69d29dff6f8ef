"""In-process control of a running Advanced Trade simulator: what tests and ``/_admin`` change.

A mixin of ``SimAdvanced``: add newer fills, post adjustments (REVERSAL / CORRECTION of given or random
fills, with a sequence_timestamp of now, so later than anything before), force failures, refill the
buckets, set a key's permissions, and read the whole history, the keys or a summary. Every method
takes the state's lock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from ..core.errors import SimError
from ..exchange.control import allocate
from .fills import ADJUSTMENT_TYPES, Entry, entries_of, posted_after
from .parts import AdvancedParts

if TYPE_CHECKING:
    from ..core.faults import FaultInjector
    from ..core.ratelimit import RateLimiter
    from .keys import SimKey

__all__ = ["AdvancedControl"]


class AdvancedControl(AdvancedParts):
    """The control half of ``SimAdvanced`` (see the module docstring)."""

    faults: FaultInjector
    limiter: RateLimiter

    def _add_entries(self, entries: list[Entry]) -> None:
        raise NotImplementedError

    def _adjust(self, original: Entry, kind: str, seq_ns: int) -> Entry:
        raise NotImplementedError

    @property
    def keys(self) -> dict[str, SimKey]:
        raise NotImplementedError

    def add_fills(self, count: int, product_id: str | None = None) -> list[dict[str, Any]]:
        """Add ``count`` newer FILL entries (one product, or spread over the open ones); returns them, oldest first."""
        if count < 0:
            raise SimError(400, "count must be >= 0")
        with self._lock:
            closed = {p.strip().upper() for p in self.config.closed}
            if product_id is not None:
                targets = [self.history_of(product_id)]
            else:  # a closed position stays closed unless a product is named
                targets = [h for h in self.histories if h.spec.id not in closed]
            now_us = self.now_ns() // 1000
            added: list[Entry] = []
            for history, n in zip(targets, allocate(count, [h.spec.weight for h in targets]), strict=True):
                if n:
                    new = history.append(n, now_us)
                    added += entries_of(history, new, self.config.seed, self.user_id, self.portfolio_id)
            added = posted_after(added, self.entries[-1].seq_ns if self.entries else 0)
            self._add_entries(added)
            sign = self.config.reversal_sign
            return [e.render(sign) for e in sorted(added, key=lambda e: e.key)]

    def post_adjustments(
        self, kind: str = "REVERSAL", entry_ids: Sequence[str] = (), count: int = 1
    ) -> list[dict[str, Any]]:
        """Post ``kind`` entries for the FILLs ``entry_ids`` (or ``count`` random unadjusted ones), now."""
        kind = kind.upper()
        if kind not in ADJUSTMENT_TYPES:
            raise SimError(400, f"kind is one of {list(ADJUSTMENT_TYPES)}")
        with self._lock:
            by_id = {e.fill["entry_id"]: e for e in self.entries}
            if entry_ids:
                missing = [i for i in entry_ids if i not in by_id or by_id[i].trade_type != "FILL"]
                if missing:
                    raise SimError(404, f"no FILL entries {missing}")
                originals = [by_id[i] for i in entry_ids]
            else:
                adjusted = {e.fill["trade_id"] for e in self.entries if e.trade_type != "FILL"}
                pool = [e for e in self.entries if e.trade_type == "FILL" and e.fill["trade_id"] not in adjusted]
                rng = random.Random(f"sim-advanced-posted:{self.config.seed}:{len(self.entries)}")
                originals = rng.sample(pool, min(max(count, 0), len(pool)))
            now = max(self.now_ns(), self.entries[-1].seq_ns + 1000 if self.entries else 0)
            made = [self._adjust(original, kind, now + n * 1000) for n, original in enumerate(originals)]
            made = posted_after(made, self.entries[-1].seq_ns if self.entries else 0)
            self._add_entries(made)
            sign = self.config.reversal_sign
            return [e.render(sign) for e in made]

    def fail_next(self, status: int, count: int = 1, *, path: str | None = None, message: str | None = None) -> None:
        """Make the next ``count`` API requests (under ``path``, if given) answer ``status``."""
        self.faults.force(status, count, path=path, message=message)

    def reset_limits(self) -> None:
        self.limiter.reset()

    def set_permissions(self, key_name: str | None = None, **changes: Any) -> dict[str, dict[str, Any]]:
        """Change ``can_view``/``can_trade``/``can_transfer``/``portfolio_type`` of one key (or all)."""
        allowed = {"can_view", "can_trade", "can_transfer", "portfolio_type"}
        unknown = set(changes) - allowed
        if unknown:
            raise SimError(400, f"unknown permission fields {sorted(unknown)}; use {sorted(allowed)}")
        for name in ("can_view", "can_trade", "can_transfer"):
            if name in changes and not isinstance(changes[name], bool):
                raise SimError(400, f"{name} must be true or false")
        with self._lock:
            names = [key_name] if key_name is not None else list(self.permissions)
            for name in names:
                if name not in self.permissions:
                    raise SimError(404, "no such key")
                self.permissions[name] = replace(self.permissions[name], **changes)
            return {n: vars(self.permissions[n]).copy() for n in names}

    def history(self) -> list[dict[str, Any]]:
        """Every entry, exactly as served (reversal sign applied), newest first."""
        with self._lock:
            sign = self.config.reversal_sign
            return [e.render(sign) for e in reversed(self.entries)]

    def keys_info(self) -> list[dict[str, Any]]:
        """The keys: name, type, algorithm, key file path and permissions (never the private key)."""
        with self._lock:
            return [
                {
                    "name": k.name,
                    "type": k.type,
                    "algorithm": k.algorithm,
                    "key_file": str(k.path) if k.path else None,
                    "permissions": vars(self.permissions[k.name]).copy(),
                }
                for k in self.keys.values()
            ]

    def summary(self) -> dict[str, Any]:
        """Counts and settings, for ``GET /_admin/state``."""
        with self._lock:
            kinds: dict[str, int] = {}
            for e in self.entries:
                kinds[e.trade_type] = kinds.get(e.trade_type, 0) + 1
            runtime = type(self.config).RUNTIME
            settings = {f.name: getattr(self.config, f.name) for f in fields(self.config) if f.name in runtime}
            return {
                "entries": len(self.entries),
                "by_trade_type": kinds,
                "products": {h.spec.id: len(h) for h in self.histories},
                "settings": {k: list(v) if isinstance(v, tuple | list) else v for k, v in settings.items()},
                "seed": self.config.seed,
                "keys": len(self.keys),
                "forced_failures_pending": self.faults.pending(),
            }
