"""store_credential's fallback command works where the model sends the user: a bare terminal."""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.credentials.key_sources import generate_key
from trade_tracker.faces.mcp.credential_command import setup_command, setup_notes, trade_tracker_executable
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.sim import RunningSim
from trade_tracker.venues.ratelimit import RateLimits


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def _bare_terminal(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A terminal's environment that knows nothing of the editor's MCP config: no venv on PATH, no
    TRADE_TRACKER_HOME, no EX_BASE_URL, no vault key."""
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **(extra or {})}


def test_the_command_names_this_install_home_and_exchange(isolated_env: Path) -> None:
    home = isolated_env / "some home"  # a space: the command quotes it
    settings = load_settings(ex_base_url="http://127.0.0.1:9/x", trade_tracker_home=home)
    command = setup_command(settings, "main")
    argv = shlex.split(command)
    assert argv[0] == "EX_BASE_URL=http://127.0.0.1:9/x"
    exe = trade_tracker_executable()
    assert argv[1 : 1 + len(exe)] == exe and Path(exe[0]).is_absolute()
    assert argv[1 + len(exe) :] == ["--home", str(home), "credentials", "add", "--label=main"]
    assert setup_notes(settings) == ""
    keyring = load_settings(trade_tracker_home=home, use_keyring=True)
    assert "TRADE_TRACKER_USE_KEYRING=true" in setup_command(keyring, "main") and "keyring" in setup_notes(keyring)


@pytest.mark.parametrize("vault", ["key file", "editor env key"])
async def test_a_key_stored_by_the_fallback_command_is_used_by_the_running_server(
    sim: RunningSim, isolated_env: Path, vault: str
) -> None:
    vault_key = generate_key() if vault == "editor env key" else None
    settings = load_settings(
        ex_base_url=sim.url, trade_tracker_home=isolated_env / "data", field_encryption_key=vault_key
    )
    tracker = TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    server = build_server(settings, tracker=tracker)
    try:
        async with Client(server, mode="legacy") as c:  # no elicitation capability: the CLI fallback
            answer = await c.call_tool("store_credential", {"label": "main"})
            out = answer.structured_content
            assert out["status"] == "use_cli", _text(answer)
            if vault_key:
                assert "FIELD_ENCRYPTION_KEY" in out["message"] and vault_key not in _text(answer)
            else:
                assert "FIELD_ENCRYPTION_KEY" not in out["message"]
            # The user pastes the command into a bare terminal (setting the vault key as the note says).
            cred = sim.credential
            done = subprocess.run(
                ["/bin/sh", "-c", out["cli_command"]],
                input=f"{cred.key}\n{cred.secret}\n{cred.passphrase}\n",
                env=_bare_terminal({"FIELD_ENCRYPTION_KEY": vault_key} if vault_key else None),
                capture_output=True,
                text=True,
                timeout=120,
                cwd="/",
            )
            assert done.returncode == 0, done.stderr
            # The same running server (never restarted) uses it at once.
            listed = await c.call_tool("list_credentials", {})
            assert [row["label"] for row in listed.structured_content["credentials"]] == ["main"]
            accounts = await c.call_tool("list_accounts", {"label": "main"})
            assert not accounts.is_error, _text(accounts)
            assert accounts.structured_content["label"] == "main"
    finally:
        await tracker.aclose()


async def test_a_replaced_key_reaches_the_running_server(sim: RunningSim, isolated_env: Path) -> None:
    """`credentials add --replace` in another process: the server's cached client is rebuilt."""
    import asyncio

    from trade_tracker.credentials.service import CredentialService
    from trade_tracker.store.connection import TradeStore

    settings = load_settings(ex_base_url=sim.url, trade_tracker_home=isolated_env)
    cred = sim.credential
    with TradeStore(settings.db_path) as store:
        await CredentialService(store, settings).add("main", "0" * 32, cred.secret, cred.passphrase, verify=False)
    tracker = TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    try:
        with pytest.raises(Exception, match="Invalid API Key|API key"):
            await tracker.list_accounts("main", True)
        env = {**os.environ, "EX_BASE_URL": sim.url, "TRADE_TRACKER_HOME": str(isolated_env)}
        done = await asyncio.to_thread(
            subprocess.run,
            [*trade_tracker_executable(), "credentials", "add", "--label=main", "--replace"],
            input=f"{cred.key}\n{cred.secret}\n{cred.passphrase}\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        label, accounts = await tracker.list_accounts("main", True)
        assert label == "main" and accounts
    finally:
        await tracker.aclose()


def test_python_dash_m_is_the_last_resort(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python3"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert trade_tracker_executable() == [str(tmp_path / "bin" / "python3"), "-m", "trade_tracker"]


def test_the_command_for_a_label_that_holds_a_key_replaces_it(isolated_env: Path) -> None:
    settings = load_settings(ex_base_url="http://127.0.0.1:9", trade_tracker_home=isolated_env)
    argv = shlex.split(setup_command(settings, "main", replace=True))
    assert argv[-3:] == ["add", "--label=main", "--replace"]
    assert "--replace" not in setup_command(settings, "main")


async def test_store_credential_for_a_stored_label_names_the_complete_replace_command(
    isolated_env: Path,
) -> None:
    from trade_tracker.credentials import CredentialService
    from trade_tracker.store import TradeStore

    settings = load_settings(ex_base_url="http://127.0.0.1:9", trade_tracker_home=isolated_env / "data")
    tracker = TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    try:
        with TradeStore(settings.db_path) as store:
            secret = base64.b64encode(os.urandom(64)).decode()
            await CredentialService(store, settings).add("main", "0" * 32, secret, "pp", verify=False)
        server = build_server(settings, tracker=tracker)
        async with Client(server, mode="legacy") as c:
            answer = await c.call_tool("store_credential", {"label": "main"})
        text = _text(answer)
        assert answer.is_error
        assert setup_command(settings, "main", replace=True) in text and "--home" in text
    finally:
        await tracker.aclose()
