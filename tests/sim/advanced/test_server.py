"""``python -m trade_tracker.sim --venue advanced``: the ready line names key files (never a private key),
the files sign requests the simulator accepts, ``--key-dir`` keeps keys and port, and a clean stop."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from sim_fixtures import advanced_jwt
from trade_tracker.sim.advanced import SimKey

Spawn = Callable[..., tuple[subprocess.Popen[str], dict[str, Any]]]


def _key_from_file(path: str) -> SimKey:
    """Load a key file the way a client would (by the portal JSON's fields)."""
    data = json.loads(Path(path).read_text())
    if "name" in data:
        private: Any = serialization.load_pem_private_key(data["privateKey"].encode(), password=None)
        return SimKey(data["name"], "ecdsa", private)
    seed = base64.b64decode(data["privateKey"])[:32]
    return SimKey(data["id"], "ed25519", ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out


def test_ready_line_and_key_files(sim_process: Spawn, tmp_path: Path) -> None:
    proc, ready = sim_process("--venue", "advanced", "--fills", "120", "--seed", "5", "--key-dir", str(tmp_path))
    assert set(ready) == {"venue", "url", "key_dir", "key_files", "key_names"} and ready["venue"] == "advanced"
    assert ready["key_dir"] == str(tmp_path) and "PRIVATE" not in json.dumps(ready)
    host = ready["url"].split("://", 1)[1]
    for key_type, path in ready["key_files"].items():
        key = _key_from_file(path)
        assert key.name == ready["key_names"][key_type] and key.type == key_type
        target = "/api/v3/brokerage/orders/historical/fills"
        token = advanced_jwt(key, "GET", host, target)
        assert jwt.get_unverified_header(token)["alg"] == key.algorithm
        answer = httpx.get(ready["url"] + target, params={"limit": "3"}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and len(answer.json()["fills"]) == 3
    state = httpx.get(ready["url"] + "/_admin/state").json()
    assert state["seed"] == 5 and state["by_trade_type"]["FILL"] == 120
    assert _stop(proc) == ""
    again, second = sim_process("--venue", "advanced", "--fills", "120", "--key-dir", str(tmp_path))
    assert second["url"] == ready["url"] and second["key_names"] == ready["key_names"]
    assert httpx.get(second["url"] + "/api/v3/brokerage/time").status_code == 200  # serving: signals handled
    _stop(again)


def test_without_a_key_dir_each_run_gets_a_private_folder(sim_process: Spawn) -> None:
    proc, ready = sim_process("--venue", "advanced", "--fills", "30")
    folder = Path(ready["key_dir"])
    assert httpx.get(ready["url"] + "/api/v3/brokerage/time").status_code == 200
    try:
        assert folder.stat().st_mode & 0o777 == 0o700
        assert all((Path(p).stat().st_mode & 0o777) == 0o600 for p in ready["key_files"].values())
    finally:
        _stop(proc)
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def test_the_default_venue_is_still_the_exchange(sim_process: Spawn) -> None:
    proc, ready = sim_process("--fills", "20")
    assert set(ready) == {"url", "key", "secret", "passphrase"}
    assert httpx.get(ready["url"] + "/time").status_code == 200
    _stop(proc)


@pytest.mark.parametrize("args", [["--key-file", "x"], ["--key-dir", "/nonexistent/folder"]])
def test_bad_options_are_usage_errors(args: list[str]) -> None:
    import sys

    from sim_fixtures import sim_env

    done = subprocess.run(
        [sys.executable, "-m", "trade_tracker.sim", "--venue", "advanced", "--fills", "10", *args],
        capture_output=True,
        text=True,
        env=sim_env(),
        timeout=60,
    )
    assert done.returncode == 2 and ("--key-dir" in done.stderr), done.stderr
