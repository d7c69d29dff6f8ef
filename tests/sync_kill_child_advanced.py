"""Child process for the Advanced Trade sync end-to-end tests: one sync of ``env-advanced``, then its result.

    python tests/sync_kill_child_advanced.py
    (environment: AT_BASE_URL, AT_API_KEY_NAME, AT_API_SECRET, TRADE_TRACKER_HOME)

The app's own path: settings from the environment, ``TradeTracker.client_for("env-advanced")`` (the
Advanced Trade client the app builds for that credential), then the sync engine on the app's store.
Prints ``SYNCING`` (flushed) once the store is open and the sync is about to start, so a parent can time
a SIGKILL into the sync itself; then one JSON line, the ``SyncResult``. Rate limiting is off (the
simulator's too).
"""

from __future__ import annotations

import asyncio

from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.sync.engine import sync_fills
from trade_tracker.venues.ratelimit import RateLimits

LABEL = "env-advanced"


async def main() -> None:
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        label, client = app.client_for(LABEL)
        print("SYNCING", flush=True)
        result = await sync_fills(app.store, client, label)
    finally:
        await app.aclose()
    print(result.model_dump_json(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
