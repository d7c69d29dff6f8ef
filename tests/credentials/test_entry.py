"""Adding a key of any venue through its hooks: the row, the permission policy, re-keying, one read per use.

With Coinbase Exchange and the test-only ``PemVenue`` (``tests/pem_venue.py``: a key name plus a multi-line
PEM private key, a venue that reports permissions).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from pathlib import Path

import pytest

from pem_venue import TRADE_ANSWER, PemKey, PemVenue, new_pem
from trade_tracker.config import load_settings
from trade_tracker.credentials.policy import TRADE_WARNING
from trade_tracker.credentials.service import CredentialService
from trade_tracker.errors import AuthenticationError, ConfigError, CredentialError
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.coinbase_exchange.venue import CoinbaseExchange

NAME = "organizations/org-1/apiKeys/key-0001"


def service() -> CredentialService:
    settings = load_settings()
    return CredentialService(TradeStore(settings.db_path), settings)


def row(home: Path, label: str) -> dict[str, object]:
    conn = sqlite3.connect(home / "trades.db")
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM credentials WHERE label = ?", (label,)).fetchone())
    finally:
        conn.close()


async def test_a_pem_key_is_stored_with_its_permissions_and_portfolio(home: Path, pem_venue: type[PemVenue]) -> None:
    pem = new_pem()
    svc = service()
    result = await svc.add_fields("at", {"key_name": NAME, "private_key": pem}, venue="advanced")
    assert result.warnings == []  # a View-only key of a venue that reports permissions: nothing to warn
    assert result.info.exchange == "pem-test" and result.info.portfolio == "port-1"
    assert result.info.permissions == {"can_view": "true", "can_trade": "false", "can_transfer": "false"}
    stored = row(home, "at")
    assert stored["exchange"] == "pem-test" and stored["passphrase_ct"] is None and stored["portfolio"] == "port-1"
    assert stored["base_url"] == "https://pem.example" and stored["verify_status"] == "verified"
    assert json.loads(str(stored["permissions"]))["can_view"] == "true"
    assert pem_venue.checked == [PemKey(NAME, pem, "at")]
    credential, _stamp, venue = svc.open_stored("at")
    assert venue is PemVenue and credential == PemKey(NAME, pem, "at")


async def test_a_key_that_can_transfer_is_refused_unless_allowed(home: Path, pem_venue: type[PemVenue]) -> None:
    pem_venue.answer = {**pem_venue.answer, "can_transfer": "true"}
    svc = service()
    with pytest.raises(CredentialError, match="--allow-transfer-key") as caught:
        await svc.add_fields("at", {"key_name": NAME, "private_key": new_pem()}, venue="advanced")
    assert str(caught.value).count(". ") == 0  # one plain sentence
    assert svc.list() == []
    result = await svc.add_fields(
        "at", {"key_name": NAME, "private_key": new_pem()}, venue="advanced", allow_transfer_key=True
    )
    assert any("transfer" in w for w in result.warnings)
    assert result.info.permissions is not None and result.info.permissions["can_transfer"] == "true"


async def test_a_key_that_can_trade_is_stored_with_a_warning(home: Path, pem_venue: type[PemVenue]) -> None:
    pem_venue.answer = dict(TRADE_ANSWER)
    result = await service().add_fields("at", {"key_name": NAME, "private_key": new_pem()}, venue="advanced")
    assert result.warnings == [TRADE_WARNING]


async def test_a_rejected_or_malformed_pem_key_stores_nothing(home: Path, pem_venue: type[PemVenue]) -> None:
    svc = service()
    pem = new_pem()
    with pytest.raises(CredentialError, match="whole PEM") as caught:
        await svc.add_fields("at", {"key_name": NAME, "private_key": pem[:-40]}, venue="advanced")
    assert pem[30:60] not in str(caught.value)
    pem_venue.reject = True
    with pytest.raises(AuthenticationError):
        await svc.add_fields("at", {"key_name": NAME, "private_key": pem}, venue="advanced")
    assert svc.list() == []


async def test_rotate_key_re_encrypts_a_key_without_passphrase(home: Path, pem_venue: type[PemVenue]) -> None:
    pem = new_pem()
    svc = service()
    await svc.add_fields("at", {"key_name": NAME, "private_key": pem}, venue="advanced")
    before = row(home, "at")
    assert svc.rotate_key().rows == 1
    after = row(home, "at")
    assert after["key_ct"] != before["key_ct"] and after["passphrase_ct"] is None
    assert service().get("at") == PemKey(NAME, pem, "at")


def test_the_credential_its_stamp_and_venue_come_from_one_read(
    home: Path, pem_venue: type[PemVenue], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    svc = service()
    asyncio.run(svc.add_fields("at", {"key_name": NAME, "private_key": new_pem()}, venue="advanced", verify=False))
    reads: list[str] = []
    real = TradeStore.reading

    def counted(self: TradeStore, doing: str = "reading"):  # type: ignore[no-untyped-def]
        reads.append(doing)
        return real(self, doing)

    monkeypatch.setattr(TradeStore, "reading", counted)
    _credential, stamp, venue = svc.open_stored("at")
    assert reads == ["reading a credential"] and venue is PemVenue and stamp == svc.stamp("at")


async def test_a_stored_venue_this_release_does_not_know_is_a_config_error(home: Path) -> None:
    svc = service()
    secret = base64.b64encode(os.urandom(64)).decode()
    await svc.add_fields("main", {"key": "a" * 32, "secret": secret, "passphrase": "p"}, verify=False)
    with sqlite3.connect(home / "trades.db") as conn:
        conn.execute("UPDATE credentials SET exchange = 'kraken-futures'")
    conn.close()
    with pytest.raises(ConfigError, match="kraken-futures"):
        svc.get("main")


def test_exchange_hooks_keep_the_exchange_checks_and_hint_at_the_other_venue() -> None:
    with pytest.raises(CredentialError, match="--venue advanced"):
        CoinbaseExchange.credential_from_fields({"key": NAME, "secret": "x", "passphrase": "p"})
    with pytest.raises(CredentialError, match="--venue advanced"):
        CoinbaseExchange.credential_from_fields({"key": "a" * 32, "secret": new_pem(), "passphrase": "p"})
    with pytest.raises(CredentialError, match="no key file"):
        CoinbaseExchange.fields_from_key_file(json.dumps({"name": NAME, "privateKey": "x"}))
    assert CoinbaseExchange.fingerprint({"key": " abcd1234 "}).startswith("…1234 sha256:")
