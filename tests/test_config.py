"""Settings: sandbox by default, URL validation, secrets masked, TRADE_TRACKER_HOME honoured."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from trade_tracker.config import (
    PRODUCTION_URL,
    SANDBOX_URL,
    Settings,
    canonical_base_url,
    http_token,
    is_loopback_host,
    load_settings,
)
from trade_tracker.errors import ConfigError


def test_default_base_url_is_the_sandbox() -> None:
    settings = load_settings()
    assert settings.ex_base_url == SANDBOX_URL == "https://api-public.sandbox.exchange.coinbase.com"
    assert settings.is_sandbox


def test_production_url_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_BASE_URL", PRODUCTION_URL)
    settings = load_settings()
    assert settings.ex_base_url == "https://api.exchange.coinbase.com"
    assert not settings.is_sandbox


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (SANDBOX_URL + "/", SANDBOX_URL),
        (SANDBOX_URL + "//", SANDBOX_URL),
        ("  http://127.0.0.1:8765/ ", "http://127.0.0.1:8765"),
        ("https://example.test/api/", "https://example.test/api"),
    ],
)
def test_trailing_slash_is_trimmed(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("EX_BASE_URL", given)
    assert load_settings().ex_base_url == expected
    assert load_settings(ex_base_url=given).ex_base_url == expected


def test_trimmed_sandbox_url_still_counts_as_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_BASE_URL", SANDBOX_URL + "/")
    assert load_settings().is_sandbox


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("ftp://x", "absolute http(s) URL"),
        ("not a url", "absolute http(s) URL"),
        ("api.exchange.coinbase.com", "absolute http(s) URL"),
        ("https://", "absolute http(s) URL"),
        ("https://host?x=1", "query string"),
        ("https://host/#frag", "fragment"),
    ],
)
def test_malformed_base_url_is_config_error(monkeypatch: pytest.MonkeyPatch, bad: str, needle: str) -> None:
    monkeypatch.setenv("EX_BASE_URL", bad)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "EX_BASE_URL" in message
    assert needle in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_malformed_base_url_override_is_config_error() -> None:
    with pytest.raises(ConfigError, match="EX_BASE_URL"):
        load_settings(ex_base_url="ftp://x")


def test_bad_numbers_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_HTTP_TIMEOUT", "-1")
    monkeypatch.setenv("EX_RETRY_ATTEMPTS", "0")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "EX_HTTP_TIMEOUT" in str(info.value)
    assert "EX_RETRY_ATTEMPTS" in str(info.value)


def test_secrets_are_secretstr_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_API_KEY_READ", "key-canary-1f2e3d")
    monkeypatch.setenv("EX_API_SECRET_READ", "secret-canary-9a8b7c")
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", "pass-canary-4d5e6f")
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "fernet-canary-0a0b0c")
    monkeypatch.setenv("TRADE_TRACKER_HTTP_TOKEN", "token-canary-777-" + "k" * 20)
    settings = load_settings()
    for field in (
        settings.ex_api_key_read,
        settings.ex_api_secret_read,
        settings.ex_api_passphrase_read,
        settings.field_encryption_key,
        settings.mcp_http_token,
    ):
        assert isinstance(field, SecretStr)
    assert settings.ex_api_secret_read is not None
    assert settings.ex_api_secret_read.get_secret_value() == "secret-canary-9a8b7c"
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for canary in ("key-canary", "secret-canary", "pass-canary", "fernet-canary", "token-canary"):
        assert canary not in shown


def test_validation_error_does_not_echo_secret_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_API_SECRET_READ", "secret-canary-9a8b7c")
    monkeypatch.setenv("EX_RETRY_ATTEMPTS", "many")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "secret-canary" not in str(info.value)
    assert "many" not in str(info.value)


def test_trade_tracker_home_is_respected(isolated_env: Path) -> None:
    settings = load_settings()
    assert settings.trade_tracker_home == isolated_env
    assert settings.db_path == isolated_env / "trades.db"
    assert settings.key_file == isolated_env / "vault.key"


def test_trade_tracker_home_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TRADE_TRACKER_HOME", "~/tt-data")
    assert load_settings().trade_tracker_home == tmp_path / "tt-data"


@pytest.mark.parametrize("mode", [0o770, 0o777, 0o1777, 0o702])
def test_a_home_others_can_write_is_a_settings_error_naming_the_chmod(isolated_env: Path, mode: int) -> None:
    isolated_env.chmod(mode)
    with pytest.raises(ConfigError, match=f"TRADE_TRACKER_HOME: .*chmod 700 {isolated_env}$"):
        load_settings()


def test_a_home_of_another_user_is_a_settings_error(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() == 0:  # root's own folders are fine for anyone
        os.chown(isolated_env, 54321, -1)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: isolated_env.stat().st_uid + 1)
    with pytest.raises(ConfigError, match="belongs to another user.*chown"):
        load_settings()


def test_a_private_or_missing_home_is_fine(isolated_env: Path, tmp_path: Path) -> None:
    isolated_env.chmod(0o755)  # others may look, not write
    assert load_settings().trade_tracker_home == isolated_env
    assert load_settings(trade_tracker_home=tmp_path / "not-yet").trade_tracker_home == tmp_path / "not-yet"


def test_env_credential_present_needs_all_three(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_settings().env_credential_present
    monkeypatch.setenv("EX_API_KEY_READ", "k")
    monkeypatch.setenv("EX_API_SECRET_READ", "s")
    assert not load_settings().env_credential_present
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", "")
    assert not load_settings().env_credential_present
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", "p")
    assert load_settings().env_credential_present


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        settings.ex_base_url = PRODUCTION_URL  # type: ignore[misc]
    assert isinstance(settings, Settings)


def test_env_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ex_base_url", "http://localhost:9999")
    assert load_settings().ex_base_url == "http://localhost:9999"


@pytest.mark.parametrize("token", ["", "s3cr3t-tok", "x" * 31, " " * 40, "has space " + "x" * 30])
def test_a_short_or_blank_http_token_is_refused_with_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("TRADE_TRACKER_HTTP_TOKEN", token)
    settings = load_settings()  # only the HTTP transport uses (and checks) the token
    with pytest.raises(ConfigError) as info:
        http_token(settings)
    message = str(info.value)
    assert "TRADE_TRACKER_HTTP_TOKEN" in message and "at least 32" in message
    assert "secrets.token_urlsafe(32)" in message
    if token.strip():
        assert token not in message


def test_a_32_character_http_token_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_TRACKER_HTTP_TOKEN", "t" * 32)
    token = http_token(load_settings())
    assert token is not None and token.get_secret_value() == "t" * 32


# -- plain http only to this machine (the key travels in headers) ------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://api.exchange.coinbase.com",
        "http://10.0.0.5:8080",
        "http://192.0.2.1",
        "http://[2001:db8::1]:80",
        "http://localhost.example.com",
        "http://128.0.0.1",
        "HTTP://Example.COM/api",
    ],
)
def test_plain_http_to_another_host_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("EX_BASE_URL", url)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "EX_BASE_URL" in message and "unencrypted" in message and "https://" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.4.5.6:1", "http://127.4.5.6:1"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://LOCALHOST:9/", "http://localhost:9"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://example.test", "https://example.test"),
    ],
)
def test_plain_http_to_loopback_is_allowed(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("EX_BASE_URL", url)
    assert load_settings().ex_base_url == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://API.Exchange.Coinbase.com:443/", PRODUCTION_URL),
        ("https://host:8443/x/", "https://host:8443/x"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://[::1]:443", "https://[::1]"),
    ],
)
def test_base_url_has_one_spelling(given: str, expected: str) -> None:
    assert canonical_base_url(given) == expected
    assert load_settings(ex_base_url=given).ex_base_url == expected


def test_bad_port_is_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid port"):
        load_settings(ex_base_url="https://host:99999")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("localhost.evil.test", False),
        ("10.0.0.1", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# -- Coinbase Advanced Trade (AT_*) ---------------------------------------------------------------


def test_at_base_url_defaults_to_production_and_is_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().at_base_url == "https://api.coinbase.com"
    monkeypatch.setenv("AT_BASE_URL", "HTTP://LOCALHOST:8124/")
    assert load_settings().at_base_url == "http://localhost:8124"


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("api.coinbase.com", "absolute http(s) URL"),
        ("https://h?x=1", "query string"),
        ("https://h:99999", "invalid port"),
        ("http://api.coinbase.com", "unencrypted"),
    ],
)
def test_malformed_at_base_url_is_config_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, bad: str, needle: str
) -> None:
    monkeypatch.setenv("AT_BASE_URL", bad)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "AT_BASE_URL" in str(info.value) and needle in str(info.value)
    assert "EX_BASE_URL" not in str(info.value)


def test_at_credential_settings_never_show_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "-----BEGIN EC PRIVATE" + " KEY-----\\nCANARYCANARYCANARY\\n-----END EC PRIVATE KEY-----"
    monkeypatch.setenv("AT_API_KEY_NAME", "organizations/o/apiKeys/k")
    assert not load_settings().at_env_credential_present
    monkeypatch.setenv("AT_API_SECRET", canary)
    settings = load_settings()
    assert settings.at_env_credential_present
    assert settings.at_api_secret is not None and settings.at_api_secret.get_secret_value() == canary
    assert "CANARY" not in repr(settings) and "CANARY" not in str(settings)
    assert settings.ex_base_url == SANDBOX_URL  # the Exchange settings keep their names and defaults
