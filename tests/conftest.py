"""Shared fixtures: an isolated environment for every test, and a fresh canary credential."""

from __future__ import annotations

import base64
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trade_tracker.venues.coinbase_exchange.auth import ApiCredential

TESTS_DIR = Path(__file__).resolve().parent

# Make sibling helper modules (``sim_fixtures`` and others) importable by name.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

pytest_plugins = ["sim_fixtures", "pem_venue", "mcp_surface"]

_SECRET_ENV = (
    "EX_API_KEY_READ",
    "EX_API_SECRET_READ",
    "EX_API_PASSPHRASE_READ",
    "FIELD_ENCRYPTION_KEY",
    "TRADE_TRACKER_USE_KEYRING",
    "EX_BASE_URL",
    "AT_BASE_URL",
    "AT_API_KEY_NAME",
    "AT_API_SECRET",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point TRADE_TRACKER_HOME at a temp dir and drop any real credentials from the environment."""
    home = tmp_path / "trade-tracker-home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("TRADE_TRACKER_HOME", str(home))
    for name in _SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def home(isolated_env: Path) -> Path:
    """The test's TRADE_TRACKER_HOME (0700, empty, no credentials in the environment)."""
    return isolated_env


@pytest.fixture
def credential() -> ApiCredential:
    """A fresh, random Exchange credential (key, base64 of 64 random bytes, passphrase)."""
    return ApiCredential(
        key=secrets.token_hex(16),
        secret=base64.b64encode(os.urandom(64)).decode("ascii"),
        passphrase=secrets.token_urlsafe(18),
        label="test-key",
    )
