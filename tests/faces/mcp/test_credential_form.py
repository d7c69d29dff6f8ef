"""The one-time page's form per venue: Exchange's three inputs as before, a PEM venue's textarea, key-file
paste and picker (a nonce'd script), and a key file's JSON stored through the venue's hooks, no secret shown."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import httpx
import pytest

from pem_venue import PemKey, PemVenue, new_pem
from trade_tracker.config import load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.mcp.credential_page import OneTimeCredentialPage
from trade_tracker.store.connection import TradeStore

NAME = "organizations/org-1/apiKeys/key-0001"


@pytest.fixture
def service(home: Path) -> CredentialService:
    settings = load_settings()
    return CredentialService(TradeStore(settings.db_path), settings)


async def test_the_exchange_form_is_three_required_inputs_and_no_script(service: CredentialService) -> None:
    async with OneTimeCredentialPage(service, verify=False) as page, httpx.AsyncClient(trust_env=False) as http:
        await page.start("main")
        shown = await http.get(page.url)
    assert shown.status_code == 200 and "<title>trade-tracker: Store a Coinbase Exchange API key</title>" in shown.text
    assert re.findall(r'<input name="(\w+)"', shown.text) == ["key", "secret", "passphrase"]
    assert shown.text.count(" required ") == 3 and "<textarea" not in shown.text and "<script" not in shown.text
    assert "script-src" not in shown.headers["content-security-policy"]
    assert "Coinbase Exchange does not report a key" in shown.text


async def test_a_pem_venue_form_takes_a_textarea_or_a_key_file(
    service: CredentialService, pem_venue: type[PemVenue], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pem = new_pem()
    async with OneTimeCredentialPage(service, venue="advanced") as page, httpx.AsyncClient(trust_env=False) as http:
        await page.start("at")
        shown = await http.get(page.url)
        nonce = re.search(r'<script nonce="([^"]+)">', shown.text)
        assert nonce is not None and f"script-src 'nonce-{nonce[1]}'" in shown.headers["content-security-policy"]
        assert '<textarea name="private_key"' in shown.text and '<textarea name="key_file"' in shown.text
        assert 'type="file"' in shown.text and "<title>trade-tracker: Store a PEM Test Venue API key" in shown.text
        key_file = json.dumps({"name": NAME, "privateKey": pem})
        done = await http.post(
            page.url, data={"key_name": "", "private_key": "", "key_file": key_file}, headers={"Origin": page.origin}
        )
        outcome = await page.wait(5)
    assert done.status_code == 200, done.text
    assert outcome.status == "stored" and outcome.info is not None and outcome.info.exchange == "pem-test"
    assert service.get("at") == PemKey(NAME, pem, "at")
    body = [line for line in pem.splitlines() if not line.startswith("-----")]
    assert not any(line in done.text or line in caplog.text or line in repr(outcome) for line in body)


async def test_a_pem_venue_form_takes_the_typed_fields(service: CredentialService, pem_venue: type[PemVenue]) -> None:
    pem = new_pem()
    async with OneTimeCredentialPage(service, venue="advanced") as page, httpx.AsyncClient(trust_env=False) as http:
        await page.start("typed")
        done = await http.post(
            page.url, data={"key_name": NAME, "private_key": pem, "key_file": ""}, headers={"Origin": page.origin}
        )
    assert done.status_code == 200, done.text
    assert service.get("typed") == PemKey(NAME, pem, "typed")


def test_the_store_venue_values_are_the_public_venue_ids() -> None:
    from typing import get_args

    from trade_tracker.faces.mcp.params import StoreVenue
    from trade_tracker.venues.registry import PUBLIC_VENUE_IDS

    assert get_args(get_args(StoreVenue)[0]) == PUBLIC_VENUE_IDS == ("exchange", "advanced")


async def test_store_credential_for_another_venue_names_it_in_the_fallback_command(
    home: Path, pem_venue: type[PemVenue]
) -> None:
    from mcp import Client

    from trade_tracker.app import TradeTracker
    from trade_tracker.faces.mcp.server import build_server

    settings = load_settings()
    tracker = TradeTracker.open(settings)
    try:
        async with Client(build_server(settings, tracker=tracker), mode="legacy") as client:
            answer = await client.call_tool("store_credential", {"label": "at", "venue": "advanced"})
            exchange = await client.call_tool("store_credential", {"label": "ex"})
    finally:
        await tracker.aclose()
    out = answer.structured_content
    assert out is not None and out["status"] == "use_cli" and "--venue=advanced" in out["cli_command"]
    assert "API key name and Private key (PEM), or takes --key-file PATH" in out["message"]
    plain = exchange.structured_content
    assert plain is not None and "--venue" not in plain["cli_command"]
    assert "the key, secret and passphrase without echo" in plain["message"]
