"""Base URL binding on its own: where a stored key may go, the message when it may not, row stamps."""

from __future__ import annotations

import pytest

from trade_tracker.credentials.binding import check_binding, is_bound_to
from trade_tracker.errors import CredentialError, CredentialUrlMismatch
from trade_tracker.store.credential_rows import row_stamp

HOME = "https://api-public.sandbox.exchange.coinbase.com"


@pytest.mark.parametrize("url", [HOME, HOME + "/", "HTTPS://API-PUBLIC.SANDBOX.EXCHANGE.COINBASE.COM:443"])
def test_the_same_url_in_any_spelling_is_bound(url: str) -> None:
    assert is_bound_to(HOME, url)
    check_binding("main", HOME, url)


@pytest.mark.parametrize(
    "url", ["https://api.exchange.coinbase.com", HOME + ":8443", HOME + "/v2", "http://127.0.0.1:8765"]
)
def test_any_other_url_is_refused_naming_both_and_the_fixes(url: str) -> None:
    assert not is_bound_to(HOME, url)
    with pytest.raises(CredentialUrlMismatch) as info:
        check_binding("main", HOME, url)
    message = str(info.value)
    assert isinstance(info.value, CredentialError)
    assert f"credential 'main' was verified with {HOME}, but EX_BASE_URL is {url}" in message
    assert f"set EX_BASE_URL={HOME} again" in message
    assert "`trade-tracker credentials verify --label=main --rebind`" in message


def test_the_refusal_names_the_keys_venue_setting() -> None:
    """An Advanced Trade key's binding is to AT_BASE_URL: the sentence names that setting, not EX_BASE_URL."""
    with pytest.raises(CredentialUrlMismatch) as info:
        check_binding("retail", "https://api.coinbase.com", "http://127.0.0.1:9", "AT_BASE_URL")
    message = str(info.value)
    assert "but AT_BASE_URL is http://127.0.0.1:9" in message and "set AT_BASE_URL=https://api.coinbase.com" in message
    assert "EX_BASE_URL" not in message


def test_no_recorded_url_is_refused() -> None:
    assert not is_bound_to(None, HOME)
    with pytest.raises(CredentialUrlMismatch, match="records no base URL"):
        check_binding("main", None, HOME)


def test_row_stamp_changes_with_any_column() -> None:
    row = ("gAAAA-key", "gAAAA-secret", "gAAAA-pass", HOME)
    stamps = {row_stamp(row)} | {row_stamp(row[:i] + ("changed",) + row[i + 1 :]) for i in range(len(row))}
    assert len(stamps) == 1 + len(row)
    assert row_stamp(row) == row_stamp(list(row))
