"""``TradeTracker.client_for`` for Coinbase Advanced Trade credentials (``advanced_wiring.py``).

The venue comes from the credential: ``env-advanced`` (``AT_API_KEY_NAME`` / ``AT_API_SECRET``) or a stored
row whose ``credentials.exchange`` is ``coinbase-advanced`` (key name in ``key_ct``, private key in
``secret_ct``) gets the Advanced Trade client, bound to ``AT_BASE_URL``; every other label keeps Exchange's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim_fixtures import advanced_history_rows
from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.errors import CredentialNotFound, CredentialUrlMismatch
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.store.fills import FILL_COLUMNS
from trade_tracker.sync.engine import sync_fills
from trade_tracker.venues.coinbase_advanced.client import AdvancedTradeClient
from trade_tracker.venues.ratelimit import RateLimits


def store_advanced_row(app: TradeTracker, label: str, sim: RunningAdvanced, base_url: str) -> None:
    """A ``coinbase-advanced`` credential row as SPEC-15 m011 lays it out (the passphrase column, NOT NULL
    before m011, holds an encrypted empty text)."""
    key = sim.ed25519
    vault = app.credentials.vault
    with app.store.write("test") as conn:
        conn.execute(
            "INSERT INTO credentials (label, exchange, base_url, key_fingerprint, key_ct, secret_ct, passphrase_ct,"
            " created_at, verify_status, permissions) VALUES (?, 'coinbase-advanced', ?, 'fp', ?, ?, ?, "
            "'2026-01-01T00:00:00.000000Z', 'verified', '{}')",
            (label, base_url, vault.encrypt(key.name), vault.encrypt(key.secret_text()), vault.encrypt("")),
        )


async def test_a_stored_advanced_credential_gets_the_advanced_client(
    home: Path, sim_advanced: RunningAdvanced, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AT_BASE_URL", sim_advanced.url)
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        store_advanced_row(app, "retail", sim_advanced, sim_advanced.url)
        label, client = app.client_for("retail")
        assert label == "retail" and isinstance(client, AdvancedTradeClient)
        assert client.key is not None and client.key.algorithm == "EdDSA"
        assert app.client_for(None)[1] is client  # the only credential: the default
        fresh = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
        try:
            assert isinstance(fresh.client_for(None)[1], AdvancedTradeClient)  # built, not cached
        finally:
            await fresh.aclose()
        await sync_fills(app.store, client, label)
        with app.store.reading("test") as conn:
            rows = conn.execute(f"SELECT {', '.join(FILL_COLUMNS)} FROM fills ORDER BY fill_key").fetchall()
        assert rows == advanced_history_rows(sim_advanced, "retail")

        with app.store.write("test") as conn:  # another process re-binds the row: the cached client stops
            conn.execute("UPDATE credentials SET base_url = 'https://api.coinbase.com' WHERE label = 'retail'")
        with pytest.raises(CredentialUrlMismatch, match="AT_BASE_URL"):  # as an Exchange key's: before signing
            await client.key_permissions()
        with pytest.raises(CredentialUrlMismatch, match="retail"):
            app.client_for("retail")  # bound to another URL than AT_BASE_URL: the key goes nowhere else
    finally:
        await app.aclose()


async def test_env_advanced_comes_from_at_api_key_name_and_secret(
    home: Path, sim_advanced: RunningAdvanced, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AT_BASE_URL", sim_advanced.url)
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        with pytest.raises(CredentialNotFound, match="AT_API_KEY_NAME and AT_API_SECRET"):
            app.client_for("env-advanced")
    finally:
        await app.aclose()
    key_file = json.loads(Path(str(sim_advanced.ecdsa.path)).read_text())
    monkeypatch.setenv("AT_API_KEY_NAME", key_file["name"])
    monkeypatch.setenv("AT_API_SECRET", key_file["privateKey"])
    app = TradeTracker.open(load_settings(), rate_limits=RateLimits.disabled())
    try:
        label, client = app.client_for(None)  # no other credential: env-advanced is the default
        assert label == "env-advanced" and isinstance(client, AdvancedTradeClient)
        assert app.client_for("env-advanced")[1] is client  # cached while the environment's key is the same
        assert (await client.key_permissions()).can_view
        assert key_file["privateKey"] not in repr(client)
    finally:
        await app.aclose()
