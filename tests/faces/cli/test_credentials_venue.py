"""``credentials add --venue/--key-file/--allow-transfer-key`` with the test-only ``PemVenue`` (a key name plus a
multi-line PEM private key): the paste, the key file, the policy, and no secret anywhere (canary)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pem_venue import PemKey, PemVenue, new_pem
from trade_tracker.config import load_settings
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.cli.credentials import credentials
from trade_tracker.store.connection import TradeStore

NAME = "organizations/org-1/apiKeys/key-0001"


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(credentials, list(args), input=stdin)


def stored(label: str) -> object:
    settings = load_settings()
    return CredentialService(TradeStore(settings.db_path), settings).get(label)


def pem_body(pem: str) -> list[str]:
    """The secret lines of a PEM (not its BEGIN/END armour), each a canary."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def assert_nowhere(pem: str, home: Path, result: Result, caplog: pytest.LogCaptureFixture) -> None:
    """No line of the private key in stdout, stderr, any log record, or the store's files on disk."""
    on_disk = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for line in pem_body(pem):
        assert line not in result.stdout and line not in result.stderr and line not in logs
        assert line.encode() not in on_disk


def test_a_pem_paste_on_stdin_is_read_to_its_end_line(
    home: Path, pem_venue: type[PemVenue], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pem = new_pem()
    result = run("add", "--label", "at", "--venue", "advanced", stdin=f"{NAME}\n{pem}trailing line\n")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["exchange"] == "pem-test" and out["portfolio"] == "port-1" and out["warnings"] == []
    assert out["permissions"] == {"can_view": "true", "can_trade": "false", "can_transfer": "false"}
    assert stored("at") == PemKey(NAME, pem, "at")
    assert_nowhere(pem, home, result, caplog)


def test_a_pem_with_literal_backslash_n_or_ending_at_an_empty_line(home: Path, pem_venue: type[PemVenue]) -> None:
    pem = new_pem()
    one_line = pem.strip().replace("\n", "\\n")
    assert run("add", "--label", "a1", "--venue", "advanced", stdin=f"{NAME}\n{one_line}\n").exit_code == 0
    assert stored("a1") == PemKey(NAME, pem, "a1")
    no_end = "\n".join(pem.splitlines()[:-1])  # cut short: the empty line ends it, the venue refuses it
    cut = run("add", "--label", "a2", "--venue", "advanced", stdin=f"{NAME}\n{no_end}\n\nmore\n")
    assert cut.exit_code == 3 and "whole PEM" in cut.stderr


def test_a_pem_paste_on_a_terminal_is_not_echoed(
    home: Path, pem_venue: type[PemVenue], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import getpass

    caplog.set_level(logging.DEBUG)
    from trade_tracker.faces.cli import credentials as cli_credentials

    pem = new_pem()
    answers = iter([NAME, "", *pem.splitlines()])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(cli_credentials, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    result = run("add", "--label", "tty", "--venue", "advanced")
    assert result.exit_code == 0, result.stderr
    assert prompts[0] == "API key name: " and set(prompts[1:]) == {""}
    assert "Private key (PEM): paste it" in result.stderr
    assert stored("tty") == PemKey(NAME, pem, "tty")
    assert_nowhere(pem, home, result, caplog)


def test_a_key_file_is_imported_and_its_plaintext_named_for_deletion(
    home: Path, pem_venue: type[PemVenue], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pem = new_pem()
    key_file = tmp_path / "cdp_api_key.json"
    key_file.write_text(json.dumps({"name": NAME, "privateKey": pem, "extra": 1}))
    result = run("add", "--label", "kf", "--venue", "advanced", "--key-file", str(key_file))
    assert result.exit_code == 0, result.stderr
    assert stored("kf") == PemKey(NAME, pem, "kf")
    assert f"plaintext key file {key_file} still exists" in result.stderr and f"rm {key_file}" in result.stderr
    assert_nowhere(pem, home, result, caplog)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"privateKey": pem}))
    refused = run("add", "--label", "kf2", "--venue", "advanced", "--key-file", str(bad))
    assert refused.exit_code == 3 and "not a CDP key JSON" in refused.stderr
    assert not any(line in refused.stderr for line in pem_body(pem))


def test_a_transfer_key_is_refused_unless_allowed_and_a_trade_key_warns(home: Path, pem_venue: type[PemVenue]) -> None:
    pem_venue.answer = {**pem_venue.answer, "can_transfer": "true", "can_trade": "true"}
    refused = run("add", "--label", "at", "--venue", "advanced", stdin=f"{NAME}\n{new_pem()}")
    assert refused.exit_code == 3 and "--allow-transfer-key" in refused.stderr
    assert json.loads(run("list").stdout) == []
    allowed = run("add", "--label", "at", "--venue", "advanced", "--allow-transfer-key", stdin=f"{NAME}\n{new_pem()}")
    assert allowed.exit_code == 0, allowed.stderr
    assert "warning: this key can trade" in allowed.stderr and "warning: this key can transfer" in allowed.stderr
    listed = json.loads(run("list").stdout)
    assert listed[0]["exchange"] == "pem-test" and listed[0]["permissions"]["can_transfer"] == "true"


def test_venue_choice_and_an_exchange_key_file(home: Path, tmp_path: Path) -> None:
    garbled = run("add", "--label", "at", "--venue", "advanced", stdin="x\ny\n")  # the venue is there: its key check
    assert garbled.exit_code == 3 and "neither a PEM block" in garbled.stderr
    from trade_tracker.errors import ConfigError
    from trade_tracker.venues.registry import venue_named

    with pytest.raises(ConfigError, match="'kraken' is not available in this release"):  # both venues ship now
        venue_named("kraken")
    assert run("add", "--label", "at", "--venue", "kraken").exit_code == 2  # not a choice
    key_file = tmp_path / "k.json"
    key_file.write_text("{}")
    refused = run("add", "--label", "ex", "--key-file", str(key_file))
    assert refused.exit_code == 3 and "Coinbase Exchange keys have no key file" in refused.stderr
