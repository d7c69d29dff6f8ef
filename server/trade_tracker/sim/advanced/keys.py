"""The simulator's CDP API keys: one ECDSA P-256 and one Ed25519 key, as the CDP portal's JSON key files.

Why files: a user imports a key with ``trade-tracker credentials add --venue advanced --key-file PATH``,
so the simulator writes exactly what the portal downloads (SPEC-15 "Key files"):

- ECDSA: ``{"name": "organizations/{org}/apiKeys/{id}",
  "privateKey": "<SEC1 PEM: an EC PRIVATE KEY block>"}``
- Ed25519: ``{"id": "<uuid>", "privateKey": "<base64 of seed + public key, 64 bytes>"}``

Each file is created 0600 (whole, under a temporary name, then linked into place). Without a key
folder, the CLI makes a fresh private folder (0700) per run (``fresh_key_dir``); with ``--key-dir``
the files there are reused (a file others can read, a symlink, or one of another shape is refused),
so stored credentials keep working across restarts. The port bound is kept in ``sim-port.json`` in the same folder.
The private keys are never printed: the ready line names only the files and the key names.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..core.keyfile import read_private_json

__all__ = [
    "KEY_FILES",
    "SimKey",
    "fresh_key_dir",
    "load_or_create_keys",
    "new_key",
    "remember_port_in",
    "stored_port_in",
]

KeyType = Literal["ecdsa", "ed25519"]
#: The file each key type lives in, inside the key folder.
KEY_FILES: dict[str, str] = {"ecdsa": "cdp_api_key_ecdsa.json", "ed25519": "cdp_api_key_ed25519.json"}
_PORT_FILE = "sim-port.json"
_ALGORITHMS: dict[str, str] = {"ecdsa": "ES256", "ed25519": "EdDSA"}


@dataclass(frozen=True, repr=False)
class SimKey:
    """One CDP key the simulator accepts: its name (``kid``), type, private key and key file."""

    name: str
    type: KeyType
    private_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = field(compare=False)
    path: Path | None = None

    @property
    def algorithm(self) -> str:
        """The JWT ``alg`` this key signs with: ES256 or EdDSA."""
        return _ALGORITHMS[self.type]

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey:
        return self.private_key.public_key()

    def secret_text(self) -> str:
        """The ``privateKey`` field of the key file (SEC1 PEM, or base64 seed + public key)."""
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            raw = self.private_key.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            public = self.private_key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            return base64.b64encode(raw + public).decode("ascii")
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode("ascii")

    def key_file_json(self) -> dict[str, Any]:
        """The portal's JSON for this key (extra portal fields included; clients ignore them)."""
        ident = {"name": self.name} if self.type == "ecdsa" else {"id": self.name}
        return {**ident, "privateKey": self.secret_text(), "nickname": f"trade-tracker simulator ({self.type})"}

    def __repr__(self) -> str:
        return f"SimKey(name={self.name!r}, type={self.type!r})"


def new_key(key_type: KeyType) -> SimKey:
    """A fresh key: ECDSA named ``organizations/{uuid}/apiKeys/{uuid}``, Ed25519 named by a bare UUID."""
    if key_type == "ecdsa":
        name = f"organizations/{uuid.uuid4()}/apiKeys/{uuid.uuid4()}"
        return SimKey(name, "ecdsa", ec.generate_private_key(ec.SECP256R1()))
    if key_type == "ed25519":
        return SimKey(str(uuid.uuid4()), "ed25519", ed25519.Ed25519PrivateKey.generate())
    raise ValueError(f"unknown key type {key_type!r}; use ecdsa or ed25519")


def fresh_key_dir() -> Path:
    """A new private folder (0700) for one run's key files."""
    return Path(tempfile.mkdtemp(prefix="trade-tracker-sim-advanced-"))


def load_or_create_keys(key_dir: str | os.PathLike[str]) -> list[SimKey]:
    """The ECDSA and Ed25519 keys of ``key_dir``, created there (0600) on first use.

    Raises ``ValueError`` (a usage error) for a folder or file the simulator will not use.
    """
    folder = Path(key_dir)
    if not folder.is_dir():
        raise ValueError(f"--key-dir {folder}: not a folder; create it first (mkdir -m 700 {folder})")
    keys: list[SimKey] = []
    for key_type in ("ecdsa", "ed25519"):
        path = folder / KEY_FILES[key_type]
        try:
            keys.append(_load(path, key_type))
        except FileNotFoundError:
            keys.append(_create(path, key_type))
    return keys


def _write_whole(target: Path, data: dict[str, Any], *, replace: bool) -> bool:
    """Write ``data`` as JSON to ``target`` (0600). Without ``replace``, False when the file appeared meanwhile."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, target)
            return True
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _create(path: Path, key_type: KeyType) -> SimKey:
    key = new_key(key_type)
    if not _write_whole(path, key.key_file_json(), replace=False):
        return _load(path, key_type)  # another start wrote it first: use theirs
    return SimKey(key.name, key.type, key.private_key, path)


def _load(path: Path, key_type: KeyType) -> SimKey:
    data = read_private_json(path, "--key-dir:")
    name = data.get("name" if key_type == "ecdsa" else "id") if isinstance(data, dict) else None
    secret = data.get("privateKey") if isinstance(data, dict) else None
    private: Any = None
    if isinstance(name, str) and isinstance(secret, str):
        try:
            if key_type == "ecdsa":
                private = serialization.load_pem_private_key(secret.encode("ascii"), password=None)
            else:
                private = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(secret, validate=True)[:32])
        except ValueError:
            private = None
    wanted = ec.EllipticCurvePrivateKey if key_type == "ecdsa" else ed25519.Ed25519PrivateKey
    if not isinstance(private, wanted):
        raise ValueError(
            f"--key-dir: {path} is not a simulator {key_type} key file; remove it to have a new key written there"
        )
    assert isinstance(name, str)
    return SimKey(name, key_type, private, path)


def stored_port_in(key_dir: str | os.PathLike[str]) -> int | None:
    """The port kept in ``key_dir`` by an earlier start, if any."""
    try:
        data = read_private_json(Path(key_dir) / _PORT_FILE, "--key-dir:")
    except FileNotFoundError:
        return None
    port = data.get("port") if isinstance(data, dict) else None
    return port if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 else None


def remember_port_in(key_dir: str | os.PathLike[str], port: int) -> None:
    """Keep ``port`` in ``key_dir`` so the next start (without ``--port``) serves the same URL."""
    _write_whole(Path(key_dir) / _PORT_FILE, {"port": port}, replace=True)
