"""The demo's Coinbase Advanced Trade half: its simulator, and its key stored the way a user stores one.

Why apart from ``demo.py``: the Advanced Trade key is entered as the README tells a user to: the
simulator writes CDP key files (the portal's JSON), ``trade-tracker credentials add --venue advanced
--key-file PATH`` imports one (verified with ``/key_permissions``, encrypted with the demo's vault key
file), and the plaintext file is then deleted. The private key is never read or printed here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO, Any

from .demo_children import DemoError, run_cli, start_json_child

__all__ = ["ADVANCED_LABEL", "start_advanced_simulator", "store_advanced_credential"]

#: The label of the demo's Advanced Trade key.
ADVANCED_LABEL = "demo-advanced"


def start_advanced_simulator(
    fills: int, seed: str, log: IO[str], key_dir: Path, *, timeout: float
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """``python -m trade_tracker.sim --venue advanced`` on a free loopback port, its key files in
    ``key_dir``; it and its JSON line ``{venue, url, key_dir, key_files, key_names}`` (never a key)."""
    key_dir.mkdir(mode=0o700, exist_ok=True)
    args = ["-m", "trade_tracker.sim", "--venue", "advanced", "--host", "127.0.0.1", "--port", "0"]
    args += ["--fills", str(fills), "--seed", str(seed), "--key-dir", str(key_dir)]
    proc, info = start_json_child(args, ("url", "key_files"), log, what="Advanced Trade simulator", timeout=timeout)
    if not isinstance(info["key_files"], dict) or "ecdsa" not in info["key_files"]:
        raise DemoError(f"the Advanced Trade simulator named no ECDSA key file; see {log.name}")
    return proc, info


def store_advanced_credential(home: Path, sim: dict[str, Any], log: IO[str], *, timeout: float) -> dict[str, Any]:
    """Import the simulator's ECDSA key file under :data:`ADVANCED_LABEL` with the CLI, check what it
    recorded (venue advanced, verified, View only), then delete the plaintext file as the CLI advises."""
    key_file = Path(sim["key_files"]["ecdsa"])
    args = ["credentials", "add", "--label", ADVANCED_LABEL, "--venue", "advanced", "--key-file", str(key_file)]
    env = {"TRADE_TRACKER_HOME": str(home), "AT_BASE_URL": sim["url"], "TRADE_TRACKER_USE_KEYRING": "0"}
    added = run_cli(args, log, timeout=timeout, **env)
    if added.get("venue") != "advanced" or added.get("verify_status") != "verified":
        raise DemoError(f"credential '{ADVANCED_LABEL}' was not stored as a verified Advanced Trade key")
    if added.get("can_view") is not True or added.get("can_transfer") is not False:
        raise DemoError(f"credential '{ADVANCED_LABEL}' does not read as a View-only key: {added.get('permissions')}")
    key_file.unlink()
    return {**added, "key_file": str(key_file)}
