"""Child process for the sync end-to-end tests: one ``sync_fills`` run, then its result as JSON.

    python tests/sync_kill_child.py DB URL KEY SECRET PASSPHRASE [PRODUCT ...]

Prints ``SYNCING`` (flushed) once the store is open and the sync is about to start, so a
parent can time a SIGKILL into the sync itself rather than into interpreter start-up;
then one JSON line, the ``SyncResult``. Rate limiting is off (the simulator's too).
"""

from __future__ import annotations

import asyncio
import sys

from trade_tracker.store.connection import TradeStore
from trade_tracker.sync.engine import sync_fills
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits

LABEL = "sim"


async def main(db: str, url: str, key: str, secret: str, passphrase: str, products: list[str]) -> None:
    credential = ApiCredential(key, secret, passphrase, label=LABEL)
    with TradeStore(db) as store:
        async with CoinbaseClient(url, credential, rate_limits=RateLimits.disabled()) as client:
            print("SYNCING", flush=True)
            result = await sync_fills(store, client, LABEL, products or None)
    print(result.model_dump_json(), flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    asyncio.run(main(*sys.argv[1:6], products=sys.argv[6:]))
