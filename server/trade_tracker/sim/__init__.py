"""A faithful local stand-in for the Coinbase Exchange REST API, for tests, demos and benches.

The Advanced Trade stand-in lives in ``trade_tracker.sim.advanced`` (``running_advanced``, ``SimAdvanced``,
``serve_advanced_main``); it is not imported here, so the Exchange simulator does not load PyJWT.

Public API::

    SimExchange(config=None, **SimConfig fields)   state + settings; in-process control methods
    SimConfig                                      fills, products, delisted, seed, rate_limits, ...
    SimCredential                                  key, secret, passphrase
    running_sim(exchange=None, host=, port=0, **config) -> RunningSim   (with / async with)
    RunningSim                                     .url .credential .exchange .start() .stop()
    build_app(exchange)                            the ASGI app
    serve_main(host=, port=0, fills=, products=, seed=, ...) -> int    the CLI entry point

Layout: ``catalog`` products, ``data`` compact synthetic fills, ``market`` ticker/stats,
``orders`` /orders, ``account`` accounts, profiles and open orders, ``ledger`` balances that
follow from the fills and each account's ledger, ``paging`` cursors, ``auth`` signature
checks, ``ratelimit`` buckets, ``faults`` injected failures, ``exchange`` the state,
``control`` what tests change while it runs, ``errors`` API error answers, ``app`` /
``admin`` routes, ``server`` uvicorn runners, ``keyfile`` a demo key kept across restarts.
"""

from __future__ import annotations

from .core.errors import SimError
from .core.server import RunningSim, running_sim, serve_main
from .exchange.app import build_app
from .exchange.auth import SimCredential
from .exchange.state import FillPage, SimConfig, SimExchange

__all__ = [
    "FillPage",
    "RunningSim",
    "SimConfig",
    "SimCredential",
    "SimError",
    "SimExchange",
    "build_app",
    "running_sim",
    "serve_main",
]
