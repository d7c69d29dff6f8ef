"""The simulator's CDP key files: the portal's JSON, mode 0600, loadable as the portal's keys are, reused
from ``--key-dir``, and refused when unsafe or of another shape."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from trade_tracker.sim.advanced import KEY_FILES, load_or_create_keys, remember_port_in, stored_port_in


def test_key_files_are_the_portal_json_and_private(tmp_path: Path) -> None:
    keys = {k.type: k for k in load_or_create_keys(tmp_path)}
    for key_type, name in KEY_FILES.items():
        path = tmp_path / name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert keys[key_type].path == path
    ecdsa = json.loads((tmp_path / KEY_FILES["ecdsa"]).read_text())
    assert re.fullmatch(r"organizations/[0-9a-f-]{36}/apiKeys/[0-9a-f-]{36}", ecdsa["name"])
    assert ecdsa["privateKey"].startswith("-----BEGIN EC PRIVATE" + " KEY-----\n")  # split: no PEM-shaped text
    loaded = serialization.load_pem_private_key(ecdsa["privateKey"].encode(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey) and isinstance(loaded.curve, ec.SECP256R1)
    edkey = json.loads((tmp_path / KEY_FILES["ed25519"]).read_text())
    assert re.fullmatch(r"[0-9a-f-]{36}", edkey["id"]) and "name" not in edkey
    raw = base64.b64decode(edkey["privateKey"], validate=True)
    assert len(raw) == 64
    private = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw[32:] == public


def test_a_key_dir_is_reused(tmp_path: Path) -> None:
    first = {k.name for k in load_or_create_keys(tmp_path)}
    assert {k.name for k in load_or_create_keys(tmp_path)} == first
    assert stored_port_in(tmp_path) is None
    remember_port_in(tmp_path, 8123)
    assert stored_port_in(tmp_path) == 8123


def test_unsafe_or_foreign_files_are_refused(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path)
    path = tmp_path / KEY_FILES["ecdsa"]
    path.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        load_or_create_keys(tmp_path)
    path.write_text(json.dumps({"name": "x", "privateKey": "not a pem"}))
    path.chmod(0o600)
    with pytest.raises(ValueError, match="not a simulator ecdsa key file") as caught:
        load_or_create_keys(tmp_path)
    assert "not a pem" not in str(caught.value)
    with pytest.raises(ValueError, match="not a folder"):
        load_or_create_keys(tmp_path / "missing")


def test_a_symlinked_key_file_is_refused_naming_the_option(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path)
    path = tmp_path / KEY_FILES["ecdsa"]
    real = tmp_path / "real.json"
    path.rename(real)
    path.symlink_to(real)
    with pytest.raises(ValueError, match=r"--key-dir: .* is a symlink; give the real file's path"):
        load_or_create_keys(tmp_path)
