"""Issue 15 bad input, at the face: ``credentials add`` with Coinbase Advanced Trade (CDP) keys against the
Advanced Trade simulator. Each bad key is one clear sentence on stderr, never echoes the secret, and
stores nothing; a key that can transfer is refused unless ``--allow-transfer-key``, and one that can
trade is stored with a warning."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cdp_keys import ORG_NAME, ec_pem, new_uuid
from trade_tracker.faces.cli import main
from trade_tracker.sim.advanced import RunningAdvanced


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--compact", "credentials", *args], input=stdin)


@pytest.fixture
def at(home: Path, sim_advanced: RunningAdvanced, monkeypatch: pytest.MonkeyPatch) -> RunningAdvanced:
    monkeypatch.setenv("AT_BASE_URL", sim_advanced.url)
    return sim_advanced


def assert_refused(result: Result, *words: str, secret: str = "") -> None:
    """Exit 3 (a credential error), one sentence on stderr naming what to fix, no secret, nothing stored."""
    assert result.exit_code == 3, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    for chunk in [c for c in secret.splitlines() if c and not c.startswith("-----")]:
        assert chunk[:24] not in result.stderr + result.stdout
    assert json.loads(run("list").stdout) == []


def _file(tmp_path: Path, content: dict[str, object]) -> str:
    path = tmp_path / "cdp_api_key.json"
    path.write_text(json.dumps(content))
    return str(path)


def test_a_truncated_pem_is_refused(at: RunningAdvanced, tmp_path: Path) -> None:
    pem, _ = ec_pem()
    cut = pem[: len(pem) // 2]
    refused = run(
        "add",
        "--label",
        "at",
        "--venue",
        "advanced",
        "--key-file",
        _file(tmp_path, {"name": ORG_NAME, "privateKey": cut}),
    )
    assert_refused(refused, "PEM", secret=pem)


def test_an_exchange_secret_given_as_a_cdp_key_is_refused(at: RunningAdvanced) -> None:
    secret = base64.b64encode(os.urandom(64)).decode()  # a Coinbase Exchange API secret
    for name in (ORG_NAME, new_uuid()):
        assert_refused(run("add", "--label", "at", "--venue", "advanced", stdin=f"{name}\n{secret}\n"), secret=secret)


def test_a_cdp_key_given_as_an_exchange_key_is_refused(home: Path) -> None:
    pem, _ = ec_pem()
    first = pem.splitlines()[1]
    refused = run("add", "--label", "ex", "--venue", "exchange", stdin=f"{ORG_NAME}\n{first}\npassphrase\n")
    assert_refused(refused, "--venue advanced", secret=pem)


def test_a_key_file_with_the_wrong_fields_is_refused(at: RunningAdvanced, tmp_path: Path) -> None:
    pem, _ = ec_pem()
    for content in ({"key": ORG_NAME, "secret": pem}, {"name": ORG_NAME}, {"privateKey": pem}):
        refused = run("add", "--label", "at", "--venue", "advanced", "--key-file", _file(tmp_path, content))
        assert_refused(refused, "key file", secret=pem)


def test_a_transfer_key_is_refused_unless_allowed_and_a_trade_key_warns(at: RunningAdvanced) -> None:
    key = at.ecdsa
    assert key.path is not None
    at.advanced.set_permissions(key.name, can_transfer=True, can_trade=True)
    args = ["add", "--label", "at", "--venue", "advanced", "--key-file", str(key.path)]
    assert_refused(run(*args), "--allow-transfer-key")
    allowed = run(*args, "--allow-transfer-key")
    assert allowed.exit_code == 0, allowed.stderr
    assert "warning: this key can trade" in allowed.stderr and "warning: this key can transfer" in allowed.stderr
    (listed,) = json.loads(run("list").stdout)
    assert (listed["venue"], listed["can_trade"], listed["can_transfer"]) == ("advanced", True, True)


def test_a_view_only_key_file_is_stored_with_its_permissions(at: RunningAdvanced) -> None:
    for label, key in (("ec", at.ecdsa), ("ed", at.ed25519)):
        assert key.path is not None
        added = run("add", "--label", label, "--venue", "advanced", "--key-file", str(key.path))
        assert added.exit_code == 0, added.stderr
        assert "warning: this key can trade" not in added.stderr
        assert f"plaintext key file {key.path} still exists" in added.stderr
    listed = {c["label"]: c for c in json.loads(run("list").stdout)}
    for label in ("ec", "ed"):
        row = listed[label]
        assert (row["venue"], row["verify_status"], row["can_view"], row["can_trade"], row["can_transfer"]) == (
            "advanced",
            "verified",
            True,
            False,
            False,
        )
        assert row["portfolio"]


def test_a_key_that_gains_transfer_is_refused_at_verify_and_then_never_used(
    at: RunningAdvanced, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review's way round the refusal: --no-verify at entry, then rights granted in the portal. verify
    refuses it (recording what it found) and the app then refuses to use it, until --allow-transfer-key."""
    key = at.ecdsa
    assert key.path is not None
    added = run("add", "--label", "at", "--venue", "advanced", "--no-verify", "--key-file", str(key.path))
    assert added.exit_code == 0 and "cannot transfer funds" in added.stderr, added.stderr
    at.advanced.set_permissions(key.name, can_transfer=True)
    refused = run("verify", "--label", "at")
    assert refused.exit_code == 3 and "can transfer funds" in refused.stderr, refused.stderr
    (listed,) = json.loads(run("list").stdout)
    assert listed["can_transfer"] is True  # what the check found is recorded
    sync = CliRunner().invoke(main, ["--compact", "sync-fills", "--label", "at"])
    assert sync.exit_code == 3 and "can transfer funds" in sync.stderr and "--allow-transfer-key" in sync.stderr
    allowed = run("verify", "--label", "at", "--allow-transfer-key")
    assert allowed.exit_code == 0, allowed.stderr
    synced = CliRunner().invoke(main, ["--compact", "sync-fills", "--label", "at"])
    assert synced.exit_code == 0, synced.stderr


def test_an_env_key_that_can_transfer_is_refused_at_verify(
    at: RunningAdvanced, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = at.ecdsa
    monkeypatch.setenv("AT_API_KEY_NAME", key.name)
    monkeypatch.setenv("AT_API_SECRET", key.secret_text())
    at.advanced.set_permissions(key.name, can_transfer=True)
    refused = run("verify", "--label", "env-advanced")
    assert refused.exit_code == 3 and "unset its variables" in refused.stderr, refused.stderr
