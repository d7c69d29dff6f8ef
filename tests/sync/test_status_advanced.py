"""``sync_status`` for an account-wide venue (Advanced Trade): its one walk (scope ``*``) stands for every
product it stored, so each product shows when it was last synced and that its history is complete, and the
scope itself is not listed as a product (the review found ``"*"`` listed with 0 fills and the real products
shown as never synced)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.sync.status import sync_status
from trade_tracker.venues.ratelimit import RateLimits


async def test_each_product_of_an_account_walk_shows_the_walks_state(
    home: Path, sim_advanced: RunningAdvanced, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = json.loads(Path(str(sim_advanced.ecdsa.path)).read_text())
    monkeypatch.setenv("AT_BASE_URL", sim_advanced.url)
    monkeypatch.setenv("AT_API_KEY_NAME", key_file["name"])
    monkeypatch.setenv("AT_API_SECRET", key_file["privateKey"])
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        await app.sync_fills("env-advanced")
        (label,) = sync_status(app.store, known_labels=["env-advanced"]).labels
    finally:
        await app.aclose()
    products = {p.product_id: p for p in label.products}
    assert "*" not in products and len(products) >= 3
    assert all(p.history_complete and p.last_synced_at and p.fills_stored > 0 for p in products.values())
    assert label.history_complete
