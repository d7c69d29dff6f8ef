"""``--key-file``: the simulator's demo key survives restarts (issue 13, item 6)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim_fixtures import SignedHttp, sim_env
from trade_tracker.sim import SimCredential
from trade_tracker.sim.core.keyfile import load_or_create_key

Spawn = Callable[..., tuple[subprocess.Popen[str], dict[str, Any]]]


def test_the_key_is_created_0600_then_reused_across_restarts(sim_process: Spawn, tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    path = folder / "sim-key.json"
    first, ready = sim_process("--fills", "50", "--key-file", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    port = int(ready["url"].rsplit(":", 1)[1])
    assert json.loads(path.read_text()) == {**{k: ready[k] for k in ("key", "secret", "passphrase")}, "port": port}
    first.terminate()
    first.communicate(timeout=15)
    second, again = sim_process("--fills", "50", "--key-file", str(path))
    fields = ("key", "secret", "passphrase")
    assert {k: again[k] for k in fields} == {k: ready[k] for k in fields}
    http = SignedHttp(again["url"], SimCredential(ready["key"], ready["secret"], ready["passphrase"]))
    try:
        assert http.get("/accounts").status_code == 200  # the key stored after the first run still works
    finally:
        http.close()
    assert list(folder.iterdir()) == [path]  # no temporary file left behind


def test_the_cli_command_takes_the_flag_too(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text("{}")
    path.chmod(0o600)
    done = subprocess.run(
        [sys.executable, "-m", "trade_tracker", "sim", "--key-file", str(path)],
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "not a simulator key file" in done.stderr and done.stdout == ""


def test_unsafe_or_foreign_key_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    made = load_or_create_key(path)
    assert load_or_create_key(path) == made
    path.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        load_or_create_key(path)
    path.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    with pytest.raises(ValueError, match="symlink"):
        load_or_create_key(link)
    with pytest.raises(ValueError, match="does not exist"):
        load_or_create_key(tmp_path / "no" / "key.json")
    for message in (str(exc) for exc in _errors(path)):
        assert made.secret not in message and made.passphrase not in message


def _errors(path: Path) -> list[ValueError]:
    found = []
    os.chmod(path, 0o640)
    try:
        load_or_create_key(path)
    except ValueError as exc:
        found.append(exc)
    os.chmod(path, 0o600)
    return found


def test_module_exits_2_on_a_bad_key_file(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text("not json")
    path.chmod(0o600)
    done = subprocess.run(
        [sys.executable, "-m", "trade_tracker.sim", "--key-file", str(path)],
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "remove it" in done.stderr


def _cli(home: Path, url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADE_TRACKER_HOME": str(home), "EX_BASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "trade_tracker", "--compact", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_credential_stored_for_the_simulator_stays_valid_after_a_restart(
    sim_process: Spawn, tmp_path: Path, home: Path
) -> None:
    """Without --port the restart reuses the port kept in the key file: the key's URL binding still holds."""
    path = tmp_path / "sim-key.json"
    first, ready = sim_process("--fills", "50", "--key-file", str(path))
    lines = f"{ready['key']}\n{ready['secret']}\n{ready['passphrase']}\n"
    added = _cli(home, ready["url"], "credentials", "add", "--label", "sim", stdin=lines)
    assert added.returncode == 0, added.stderr
    first.terminate()
    first.communicate(timeout=15)
    second, again = sim_process("--fills", "50", "--key-file", str(path))
    assert again["url"] == ready["url"]
    listed = _cli(home, again["url"], "accounts", "--label", "sim")
    assert listed.returncode == 0, listed.stderr
    # The kept port taken: a clear refusal that says to pass --port, not a silent new port.
    third = subprocess.run(
        [sys.executable, "-m", "trade_tracker", "sim", "--fills", "5", "--key-file", str(path)],
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert third.returncode == 2 and "pass --port" in third.stderr and third.stdout == ""
    second.terminate()
    second.communicate(timeout=15)
