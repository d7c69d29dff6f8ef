"""The core's one door: filtering, label resolution, ticker pricing and exports, face-independent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import respx

from trade_tracker.app import TradeTracker
from trade_tracker.config import SANDBOX_URL, load_settings
from trade_tracker.errors import (
    CredentialChanged,
    CredentialNotFound,
    CredentialUrlMismatch,
    InsecurePermissions,
    InvalidArgument,
)
from trade_tracker.store.filters import Filters
from trade_tracker.venues.coinbase_exchange.auth import key_fingerprint
from trade_tracker.venues.ratelimit import RateLimits

PRODUCTS = [
    {
        "id": "BTC-USD",
        "base_currency": "BTC",
        "quote_currency": "USD",
        "quote_increment": "0.01",
        "base_increment": "0.00000001",
        "display_name": "BTC/USD",
        "status": "online",
    },
    {
        "id": "ETH-EUR",
        "base_currency": "ETH",
        "quote_currency": "EUR",
        "quote_increment": "0.01",
        "base_increment": "0.00000001",
        "display_name": "ETH/EUR",
        "status": "online",
    },
    {
        "id": "MATIC-USD",
        "base_currency": "MATIC",
        "quote_currency": "USD",
        "quote_increment": "0.0001",
        "base_increment": "0.1",
        "display_name": "MATIC/USD",
        "status": "delisted",
    },
]
TICKER = {
    "trade_id": 5,
    "price": "43210.12000000",
    "size": "0.1",
    "time": "2026-11-26T10:00:00.123456Z",
    "bid": "43210.11",
    "ask": "43210.13",
    "volume": "1.5",
}


@pytest.fixture
def tracker(home: Path):
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    yield app
    app.store.close()


async def test_products_filtered_by_quote_status_and_query(tracker: TradeTracker) -> None:
    with respx.mock(base_url=SANDBOX_URL) as router:
        router.get("/products").respond(json=PRODUCTS)
        assert [p.id for p in await tracker.list_products(quote_currency="usd")] == ["BTC-USD", "MATIC-USD"]
        assert [p.id for p in await tracker.list_products(status="delisted")] == ["MATIC-USD"]
        assert [p.id for p in await tracker.list_products(query="eth/")] == ["ETH-EUR"]
    await tracker.aclose()


async def test_ticker_prices_leave_out_products_the_exchange_no_longer_knows(tracker: TradeTracker) -> None:
    with respx.mock(base_url=SANDBOX_URL) as router:
        router.get("/products/BTC-USD/ticker").respond(json=TICKER)
        router.get("/products/GONE-USD/ticker").respond(404, json={"message": "NotFound"})
        prices, at = await tracker.ticker_prices(["BTC-USD", "GONE-USD"])
    assert prices == {"BTC-USD": Decimal("43210.12000000")}
    assert at.isoformat() == "2026-11-26T10:00:00.123456+00:00"
    await tracker.aclose()


async def test_list_fills_needs_an_id_before_any_request(tracker: TradeTracker) -> None:
    with respx.mock(base_url=SANDBOX_URL, assert_all_called=False) as router:
        route = router.get("/fills")
        with pytest.raises(InvalidArgument, match="product_id or order_id"):
            await tracker.list_fills()
        assert not route.called
    await tracker.aclose()


def test_exports_default_to_a_new_file_under_home(tracker: TradeTracker, home: Path) -> None:
    first = tracker.default_export_path("fills")
    assert first.parent == home / "exports" and first.name.startswith("fills-") and first.suffix == ".csv"


async def test_an_exports_folder_planted_as_a_link_is_refused(
    tracker: TradeTracker, home: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (home / "exports").symlink_to(elsewhere)
    with pytest.raises(InsecurePermissions, match=f"{home / 'exports'} is a symbolic link"):
        await tracker.export_csv()
    assert list(elsewhere.iterdir()) == []


async def test_an_export_replaces_a_planted_link_and_never_writes_through_it(
    tracker: TradeTracker, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "fills.csv"
    link.symlink_to(victim)
    out = await tracker.export_csv(link)
    assert out.rows == 0 and not link.is_symlink() and link.read_text().startswith("created_at,")
    assert victim.read_text() == "precious"


def test_rate_limits_are_shared_across_processes_by_default(home: Path) -> None:
    app = TradeTracker.open(load_settings())
    try:
        shared = app.rate_limits._across_processes
        assert set(shared) == {"public", "private", "fills"}
        assert all(bucket.path.parent == home for bucket in shared.values())
    finally:
        app.store.close()


def test_repr_shows_no_secret(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "x" * 43 + "=")
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        assert "x" * 20 not in repr(app)
    finally:
        app.store.close()


def test_http_transport_is_not_imported_for_offline_work() -> None:
    """The server starts without httpx's client stack; it loads on the first exchange call."""
    import subprocess
    import sys

    code = (
        "import sys, trade_tracker.faces.mcp.server; "
        "print('trade_tracker.venues.coinbase_exchange.client' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- credentials changed by another process under a running app -----------------------------------


def cli(home: Path, base_url: str, *args: str, stdin: str = "") -> str:
    """Run the trade-tracker CLI in a separate process on the same home; return its stdout."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRADE_TRACKER_HOME": str(home), "EX_BASE_URL": base_url}
    done = subprocess.run(
        [sys.executable, "-m", "trade_tracker", "--compact", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def key_lines(credential: object) -> str:
    return f"{credential.key}\n{credential.secret}\n{credential.passphrase}\n"  # type: ignore[attr-defined]


async def test_a_key_replaced_by_another_process_is_never_used_again(
    home: Path, sim_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(fills=50)
    old, new = sim.credential, sim.exchange.add_key()
    monkeypatch.setenv("EX_BASE_URL", sim.url)
    cli(home, sim.url, "credentials", "add", "--label", "main", stdin=key_lines(old))
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())  # the running server's core
    try:
        assert (await app.list_accounts("main"))[0] == "main"  # a client for the old key is now cached

        cli(home, sim.url, "credentials", "remove", "--label", "main")
        cli(home, sim.url, "credentials", "add", "--label", "main", stdin=key_lines(new))
        sim.exchange.remove_key(old.key)  # revoked at the exchange: a request signed with it gets a 401
        assert [c.fingerprint for c in app.credentials.list()] == [key_fingerprint(new.key)]

        used, accounts = await app.list_accounts("main")  # before the fix: 401 Invalid API Key (the old key)
        assert used == "main" and accounts
        assert app._clients["main"].credential.key == new.key  # type: ignore[union-attr]

        cli(home, sim.url, "credentials", "rotate-key")  # re-encrypted under a new vault key by another process
        assert (await app.list_accounts("main"))[1] == accounts
        assert app._clients["main"].credential.key == new.key  # type: ignore[union-attr]
    finally:
        await app.aclose()


async def test_a_call_in_flight_stops_before_signing_with_a_replaced_key(
    home: Path, sim_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(fills=1200, products=["BTC-USD"])
    old, new = sim.credential, sim.exchange.add_key()
    monkeypatch.setenv("EX_BASE_URL", sim.url)
    cli(home, sim.url, "credentials", "add", "--label", "main", stdin=key_lines(old))
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    replaced = False

    def replace_after_the_first_page(progress: Any) -> None:
        nonlocal replaced
        if not replaced and progress.pages >= 1:
            replaced = True
            cli(home, sim.url, "credentials", "remove", "--label", "main")
            cli(home, sim.url, "credentials", "add", "--label", "main", "--no-verify", stdin=key_lines(new))
            sim.exchange.remove_key(old.key)

    try:
        with pytest.raises(CredentialChanged, match="replaced or removed by another process"):
            await app.sync_fills("main", ["BTC-USD"], progress=replace_after_the_first_page)
        assert replaced
        kept, total = app.store.count_fills(Filters.of(label="main")), sim.exchange.fill_count("BTC-USD")
        assert 100 <= kept < total  # the pages before the change are kept
        result = await app.sync_fills("main", ["BTC-USD"])  # the next call uses the key as stored now
        assert result.inserted + kept == app.store.count_fills(Filters.of(label="main")) == total
    finally:
        await app.aclose()


async def test_a_key_removed_by_another_process_is_not_found(
    home: Path, sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EX_BASE_URL", sim.url)
    cli(home, sim.url, "credentials", "add", "--label", "main", stdin=key_lines(sim.credential))
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        await app.list_accounts("main")
        cli(home, sim.url, "credentials", "remove", "--label", "main")
        with pytest.raises(CredentialNotFound):
            await app.list_accounts("main")
        with pytest.raises(CredentialChanged):
            app._clients["main"]._auth._check()  # type: ignore[union-attr]  # the cached client's own check
    finally:
        await app.aclose()


async def test_a_key_rebound_elsewhere_by_another_process_is_refused_here(
    home: Path, sim_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = sim_factory(fills=20), sim_factory(fills=20)
    there.exchange.add_key(
        key=here.credential.key, secret=here.credential.secret, passphrase=here.credential.passphrase
    )
    monkeypatch.setenv("EX_BASE_URL", here.url)
    cli(home, here.url, "credentials", "add", "--label", "main", stdin=key_lines(here.credential))
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        await app.list_accounts("main")
        cli(home, there.url, "credentials", "verify", "--label", "main", "--rebind")
        with pytest.raises(CredentialUrlMismatch, match=there.url):
            await app.list_accounts("main")
    finally:
        await app.aclose()


async def test_the_client_comes_from_the_venue_the_credential_row_names(
    home: Path, sim_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``client_for`` dispatches through ``VENUES`` on the stored ``credentials.exchange``, never on the key."""
    from trade_tracker.errors import ConfigError
    from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient

    sim = sim_factory(fills=5)
    monkeypatch.setenv("EX_BASE_URL", sim.url)
    cli(home, sim.url, "credentials", "add", "--label", "main", stdin=key_lines(sim.credential))
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        assert app.credentials.info("main").exchange == "coinbase-exchange"  # every stored row today
        assert isinstance(app.client_for("main")[1], CoinbaseClient)
    finally:
        await app.aclose()
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        with app.store.write() as conn:  # a row written by a newer release, for a venue this one lacks
            conn.execute("UPDATE credentials SET exchange = 'kraken-pro' WHERE label = 'main'")
        with pytest.raises(ConfigError, match="names the venue 'kraken-pro'.*knows advanced, exchange"):
            app.client_for("main")
    finally:
        await app.aclose()
