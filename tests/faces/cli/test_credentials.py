"""``trade-tracker credentials ...`` through click's CliRunner: JSON out, one-line errors, exit codes."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import respx
from click.testing import CliRunner, Result

from trade_tracker.config import load_settings
from trade_tracker.credentials.key_sources import generate_key
from trade_tracker.credentials.service import CredentialService
from trade_tracker.faces.cli.credentials import credentials
from trade_tracker.store.connection import TradeStore

BASE = "https://exchange.example"
ACCOUNTS = [{"id": "a1", "currency": "USD", "balance": "1", "hold": "0", "available": "1"}]


@pytest.fixture
def home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EX_BASE_URL", BASE)
    monkeypatch.setenv("EX_RETRY_ATTEMPTS", "1")
    return home


@pytest.fixture
def creds() -> tuple[str, str, str]:
    return secrets.token_hex(16), base64.b64encode(os.urandom(64)).decode(), "pp-" + secrets.token_urlsafe(12)


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(credentials, list(args), input=stdin)


def assert_clean(result: Result, creds: tuple[str, str, str]) -> None:
    raw = base64.b64decode(creds[1])
    for text in (*creds, raw.hex(), base64.urlsafe_b64encode(raw).decode()):
        assert text not in result.stdout and text not in result.stderr


def stored(home: Path) -> CredentialService:
    settings = load_settings()
    return CredentialService(TradeStore(settings.db_path), settings)


def test_add_list_remove(home: Path, creds: tuple[str, str, str]) -> None:
    added = run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n")
    assert added.exit_code == 0, added.stderr
    out = json.loads(added.stdout)
    assert out["label"] == "main" and out["verify_status"] == "skipped" and creds[0][-4:] in out["fingerprint"]
    assert "View-only" in added.stderr
    assert_clean(added, creds)
    assert stored(home).get("main").passphrase == creds[2]

    listed = run("list")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [(r["label"], r["fingerprint"]) for r in rows] == [("main", out["fingerprint"])]
    assert {"created", "verified"} <= rows[0].keys()
    assert_clean(listed, creds)

    removed = run("remove", "--label", "main")
    assert removed.exit_code == 0 and json.loads(removed.stdout) == {"removed": "main"}
    again = run("remove", "--label", "main")
    assert again.exit_code == 3 and again.stderr.startswith("error: no credential labelled 'main'")
    assert json.loads(run("list").stdout) == []


def test_add_verifies_with_the_exchange(home: Path, creds: tuple[str, str, str]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{BASE}/accounts").respond(200, json=ACCOUNTS)
        result = run("add", "--label", "main", stdin="\n".join(creds) + "\n")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["verify_status"] == "verified" and out["permissions"]["view"] == "yes"
    assert out["permissions"]["trade"] == "unknown"
    assert_clean(result, creds)


def test_add_rejected_key_exits_3_and_stores_nothing(home: Path, creds: tuple[str, str, str]) -> None:
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(401, json={"message": "Invalid Passphrase"})
        result = run("add", "--label", "main", stdin="\n".join(creds) + "\n")
    assert result.exit_code == 3
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "passphrase is wrong" in result.stderr
    assert_clean(result, creds)
    assert json.loads(run("list").stdout) == []


def test_add_offline_exchange_stores_unverified(home: Path, creds: tuple[str, str, str]) -> None:
    import httpx

    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").mock(side_effect=httpx.ConnectError("refused"))
        result = run("add", "--label", "main", stdin="\n".join(creds) + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verify_status"] == "unverified"
    assert "could not verify" in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin_of", "code", "message"),
    [
        (["--label", "bad label"], lambda c: "\n".join(c) + "\n", 2, "1-64 characters"),
        (["--label", "env"], lambda c: "\n".join(c) + "\n", 2, "reserved"),
        (["--label", "main"], lambda c: f"{c[0]}\n{c[1][:20]}!\n{c[2]}\n", 3, "not valid base64"),
        (["--label", "main"], lambda c: f"{c[0]}\n{c[1][:20]}\n{c[2]}\n", 3, "decodes to 15 bytes"),
        (["--label", "main"], lambda c: f"{c[0]}\n{c[1]}\n\n", 3, "passphrase is empty"),
        (["--label", "main"], lambda c: f"{c[0]}\n{c[1]}\n", 2, "expected three lines"),
        ([], lambda c: "", 2, "Missing option '--label'"),
    ],
)
def test_add_usage_errors(
    home: Path, creds: tuple[str, str, str], args: list[str], stdin_of, code: int, message: str
) -> None:
    result = run("add", "--no-verify", *args, stdin=stdin_of(creds))
    assert result.exit_code == code
    assert message in result.stderr
    assert_clean(result, creds)


def test_rotate_key_with_key_file(home: Path, creds: tuple[str, str, str]) -> None:
    assert run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n").exit_code == 0
    old = (home / "vault.key").read_text()
    result = run("rotate-key")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["rows"] == 1 and out["old_keys_dropped"] is True and out["key_source"].startswith("file:")
    assert (home / "vault.key").read_text() != old
    assert_clean(result, creds)
    assert stored(home).get("main").secret == creds[1]


def test_rotate_key_with_env_keys(home: Path, creds: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = generate_key(), generate_key()
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", old)
    assert run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n").exit_code == 0
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", f"{new},{old}")
    result = run("rotate-key")
    assert result.exit_code == 0 and "remove the older key" in json.loads(result.stdout)["message"]
    assert old not in result.stdout and new not in result.stdout
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", new)
    assert stored(home).get("main").key == creds[0]
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", old)
    wrong = run("list")
    assert wrong.exit_code == 0  # listing needs no key
    failed = run("rotate-key")
    assert failed.exit_code == 5 and "different key" in failed.stderr


def test_insecure_key_file_exits_5(home: Path, creds: tuple[str, str, str]) -> None:
    assert run("add", "--label", "a", "--no-verify", stdin="\n".join(creds) + "\n").exit_code == 0
    (home / "vault.key").chmod(0o644)
    result = run("rotate-key")
    assert result.exit_code == 5 and "chmod 600" in result.stderr and result.stderr.count("\n") == 1


def test_env_credential_listed(home: Path, creds: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in zip(("EX_API_KEY_READ", "EX_API_SECRET_READ", "EX_API_PASSPHRASE_READ"), creds, strict=True):
        monkeypatch.setenv(name, value)
    result = run("list")
    rows = json.loads(result.stdout)
    assert [(r["label"], r["source"]) for r in rows] == [("env", "env")]
    assert_clean(result, creds)


def test_verify_command(home: Path, creds: tuple[str, str, str]) -> None:
    assert run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n").exit_code == 0
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(200, json=ACCOUNTS)
        result = run("verify")
    assert result.exit_code == 0 and json.loads(result.stdout)["verify_status"] == "verified"
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(401, json={"message": "invalid signature"})
        rejected = run("verify", "--label", "main")
    assert rejected.exit_code == 3
    assert_clean(rejected, creds)


def test_add_prompts_without_echo_on_a_terminal(
    home: Path, creds: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    from trade_tracker.faces.cli import credentials as cli_credentials

    prompts: list[str] = []
    answers = iter(creds)

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(cli_credentials, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    result = run("add", "--label", "tty", "--no-verify")
    assert result.exit_code == 0, result.stderr
    assert prompts == ["API key: ", "API secret: ", "API passphrase: "]
    assert stored(home).get("tty").secret == creds[1]
    assert_clean(result, creds)


def test_malformed_env_credential_still_listed(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_API_KEY_READ", "abcd1234")
    monkeypatch.setenv("EX_API_SECRET_READ", "not-base64-secret-value")
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", "pp")
    listed = run("list")
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["label"] == "env"
    verify = run("verify", "--label", "env")
    assert verify.exit_code == 3 and "EX_API_SECRET_READ" in verify.stderr
    assert "not-base64-secret-value" not in verify.stderr


# A rotate-key that stops at its n-th key-file write, with the temp file written and fsynced: the parent
# SIGKILLs it there (a kill -9, or a power cut, at the worst moment for leftovers).
ROTATE_CHILD = r"""
import os, sys, time
from pathlib import Path
step, marker = int(sys.argv[1]), Path(sys.argv[2])
real_replace, seen = os.replace, []
def replace(src, dst, *args, **kwargs):
    if Path(dst).name == "vault.key":
        seen.append(src)
        if len(seen) == step:
            marker.write_text(str(src))
            time.sleep(120)
    return real_replace(src, dst, *args, **kwargs)
os.replace = replace
from trade_tracker.faces.cli import main
main(["credentials", "rotate-key"])
"""


@pytest.mark.parametrize("step", [1, 2], ids=["storing-new-and-old", "dropping-old"])
def test_a_rotation_killed_midway_leaves_no_temp_key_file_after_the_next_start(
    home: Path, creds: tuple[str, str, str], tmp_path: Path, step: int
) -> None:
    assert run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n").exit_code == 0
    marker = tmp_path / "at-the-temp-file"
    child = subprocess.Popen(
        [sys.executable, "-c", ROTATE_CHILD, str(step), str(marker)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), child.stderr.read() if child.poll() is not None else "timed out"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    leftovers = [p for p in home.iterdir() if p.name.startswith(".vault.key.")]
    assert [p.name for p in leftovers] == [Path(marker.read_text()).name]  # the kill left a key file behind
    assert leftovers[0].read_text().count(",") == (1 if step == 1 else 0)  # new,old - or new alone

    listed = run("list")  # the next start, any command
    assert listed.exit_code == 0, listed.stderr
    assert [p.name for p in home.iterdir() if p.name.startswith(".")] == []
    assert stored(home).get("main").secret == creds[1]  # and nothing was lost
    again = run("rotate-key")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["old_keys_dropped"] is True


# -- add --replace: a label's key replaced in one step, only by a key that verified ---------------------


def _new_creds() -> tuple[str, str, str]:
    return secrets.token_hex(16), base64.b64encode(os.urandom(64)).decode(), "pp-" + secrets.token_urlsafe(12)


def _stored_main(home: Path, creds: tuple[str, str, str]) -> str:
    added = run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n")
    assert added.exit_code == 0, added.stderr
    return json.loads(added.stdout)["fingerprint"]


def test_add_again_without_replace_says_how_to_replace(home: Path, creds: tuple[str, str, str]) -> None:
    _stored_main(home, creds)
    again = run("add", "--label", "main", "--no-verify", stdin="\n".join(_new_creds()) + "\n")
    assert again.exit_code == 3 and "--label=main --replace" in again.stderr
    assert stored(home).get("main").key == creds[0]


def test_replace_swaps_in_a_verified_key(home: Path, creds: tuple[str, str, str]) -> None:
    old_fingerprint = _stored_main(home, creds)
    new = _new_creds()
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(f"{BASE}/accounts").respond(200, json=ACCOUNTS)
        result = run("add", "--label", "main", "--replace", stdin="\n".join(new) + "\n")
    assert result.exit_code == 0, result.stderr
    assert route.calls.last.request.headers["CB-ACCESS-KEY"] == new[0]  # the NEW key was verified
    out = json.loads(result.stdout)
    assert out["label"] == "main" and out["verify_status"] == "verified" and out["fingerprint"] != old_fingerprint
    assert_clean(result, new)
    service = stored(home)
    assert (service.get("main").key, service.get("main").secret, service.get("main").passphrase) == new
    assert [i.label for i in service.list()] == ["main"]


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        ("401", 3, "passphrase is wrong"),
        ("unreachable", 4, "the stored key for 'main' was kept"),
    ],
)
def test_replace_keeps_the_old_key_when_the_new_one_fails(
    home: Path, creds: tuple[str, str, str], answer: str, code: int, message: str
) -> None:
    import httpx

    old_fingerprint = _stored_main(home, creds)
    with respx.mock() as mock:
        accounts = mock.get(f"{BASE}/accounts")
        if answer == "401":
            accounts.respond(401, json={"message": "Invalid Passphrase"})
        else:
            accounts.mock(side_effect=httpx.ConnectError("refused"))
        result = run("add", "--label", "main", "--replace", stdin="\n".join(_new_creds()) + "\n")
    assert result.exit_code == code, result.stderr
    assert result.stdout == "" and message in result.stderr
    service = stored(home)
    assert service.get("main").key == creds[0] and service.info("main").fingerprint == old_fingerprint


def test_replace_without_verify_and_on_a_new_label(home: Path, creds: tuple[str, str, str]) -> None:
    _stored_main(home, creds)
    new = _new_creds()
    swapped = run("add", "--label", "main", "--replace", "--no-verify", stdin="\n".join(new) + "\n")
    assert swapped.exit_code == 0, swapped.stderr
    assert stored(home).get("main").key == new[0]
    fresh = run("add", "--label", "other", "--replace", "--no-verify", stdin="\n".join(_new_creds()) + "\n")
    assert fresh.exit_code == 0, fresh.stderr  # nothing to replace: it is simply added
    assert sorted(i.label for i in stored(home).list()) == ["main", "other"]
    assert run("add", "--label", "env", "--replace", stdin="\n".join(new) + "\n").exit_code == 2


def test_a_key_goes_only_where_it_was_verified_and_rebind_moves_it(
    home: Path, creds: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "https://other.example"
    assert run("add", "--label", "main", "--no-verify", stdin="\n".join(creds) + "\n").exit_code == 0
    monkeypatch.setenv("EX_BASE_URL", other)
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(f"{other}/accounts").respond(200, json=ACCOUNTS)
        refused = run("verify", "--label", "main")
        assert refused.exit_code == 3
        assert BASE in refused.stderr and other in refused.stderr and "--rebind" in refused.stderr
        assert not route.called
        moved = run("verify", "--label", "main", "--rebind")
    assert moved.exit_code == 0, moved.stderr
    assert json.loads(moved.stdout)["base_url"] == other and route.call_count == 1
    assert stored(home).info("main").base_url == other
    assert_clean(refused, creds)
    assert_clean(moved, creds)


# ---- one label, one account: a key for another exchange or profile never lands on a label's history ----


def _holds_a_fill(home: Path, profile: str = "prof-A") -> None:
    """Give label main one stored fill of ``profile`` and its sync state, as a sync would."""
    store = TradeStore(load_settings().db_path)
    row = (
        "BTC-USD",
        7,
        "o-1",
        "buy",
        "100.00",
        "0.5",
        "0.10",
        "50.00",
        "T",
        1,
        "2026-01-02T10:00:00.000000Z",
        profile,
        "u-1",
        "USD",
        "spot",
        "main",
    )
    store.commit_page("main", "BTC-USD", [row], lambda s: None)
    store.record_run("main", "BTC-USD", inserted=1, updated=0, pages=1, complete=True)


def _accounts(profile: str) -> list[dict[str, str]]:
    return [{**ACCOUNTS[0], "profile_id": profile}]


def test_replace_with_another_exchanges_key_is_refused_before_the_key_is_sent(
    home: Path, creds: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stored_main(home, creds)
    _holds_a_fill(home)
    other = "https://production.example"
    monkeypatch.setenv("EX_BASE_URL", other)
    new = _new_creds()
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(f"{other}/accounts").respond(200, json=_accounts("prof-B"))
        refused = run("add", "--label", "main", "--replace", stdin="\n".join(new) + "\n")
    assert refused.exit_code == 3 and refused.stdout == ""
    assert not route.called  # the new key never went to the new URL
    assert "1 stored fill" in refused.stderr and BASE in refused.stderr and other in refused.stderr
    assert "--label=NEW" in refused.stderr
    assert_clean(refused, new)
    info = stored(home).info("main")
    assert stored(home).get_stamped("main", rebind=True)[0].key == creds[0] and info.base_url == BASE
    with TradeStore(load_settings().db_path).reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM fills WHERE label = 'main'").fetchone()[0] == 1


def test_replace_with_another_profiles_key_is_refused_and_a_rotation_still_works(
    home: Path, creds: tuple[str, str, str]
) -> None:
    _stored_main(home, creds)
    _holds_a_fill(home, "prof-A")
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(200, json=_accounts("prof-B"))
        refused = run("add", "--label", "main", "--replace", stdin="\n".join(_new_creds()) + "\n")
    assert refused.exit_code == 3 and "prof-A" in refused.stderr and "prof-B" in refused.stderr
    assert stored(home).get("main").key == creds[0]

    rotated = _new_creds()
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(200, json=_accounts("prof-A"))
        result = run("add", "--label", "main", "--replace", stdin="\n".join(rotated) + "\n")
    assert result.exit_code == 0, result.stderr
    assert stored(home).get("main").key == rotated[0]


def test_removed_then_added_with_another_profiles_key_is_refused(home: Path, creds: tuple[str, str, str]) -> None:
    _stored_main(home, creds)
    _holds_a_fill(home, "prof-A")
    assert run("remove", "--label", "main").exit_code == 0
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(200, json=_accounts("prof-B"))
        refused = run("add", "--label", "main", stdin="\n".join(_new_creds()) + "\n")
    assert refused.exit_code == 3 and "prof-B" in refused.stderr
    assert [i.label for i in stored(home).list()] == []


def test_rebind_of_a_label_with_history_is_refused(
    home: Path, creds: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stored_main(home, creds)
    _holds_a_fill(home)
    other = "https://production.example"
    monkeypatch.setenv("EX_BASE_URL", other)
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(f"{other}/accounts").respond(200, json=_accounts("prof-A"))
        refused = run("verify", "--label", "main", "--rebind")
    assert refused.exit_code == 3 and "re-bind" in refused.stderr and "1 stored fill" in refused.stderr
    assert not route.called
    assert stored(home).info("main").base_url == BASE


def test_list_table_leaves_out_the_permissions_basis_and_json_keeps_it(home: Path, creds: tuple[str, str, str]) -> None:
    with respx.mock() as mock:
        mock.get(f"{BASE}/accounts").respond(200, json=ACCOUNTS)
        assert run("add", "--label", "main", stdin="\n".join(creds) + "\n").exit_code == 0
    table = run("list", "--format", "table")
    assert table.exit_code == 0, table.stderr
    assert "view=yes" in table.stdout and "basis" not in table.stdout and "GET /accounts" not in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) < 210  # ~420 with the basis in it
    rows = json.loads(run("list", "--format", "json").stdout)
    assert rows[0]["permissions"]["basis"].startswith("GET /accounts answered 200")
