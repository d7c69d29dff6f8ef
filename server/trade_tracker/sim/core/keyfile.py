"""``--key-file PATH``: a simulator demo key that survives restarts.

Without it every start generates a fresh key, so a credential stored for the simulator
(``trade-tracker credentials add --label sim``) stops working at the next start. With it,
the first start writes the key to PATH (JSON ``{"key", "secret", "passphrase"}``, mode
0600, written whole under a temporary name and linked into place, never overwriting a
file another start made first), and every later start reuses it. A file that group or
others can read, a symlink, or a file that is not such a key is refused with what to fix;
no message shows the secret or the passphrase.

The port is kept too (``"port"``, written after the first start binds): trade-tracker binds a
stored key to the base URL it was verified against, so a restart on another port would refuse
the stored credential. A start without ``--port`` reuses the stored one (``stored_port``).

Own code, not the project's ``private_files``: the simulator imports nothing from the project.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ..exchange.auth import SimCredential, new_credential

__all__ = ["load_or_create_key", "read_private_json", "remember_port", "stored_port"]


def load_or_create_key(path: str | os.PathLike[str]) -> SimCredential:
    """The key stored at ``path``, or a new one written there (0600) if there is no file yet.

    Raises ``ValueError`` (a usage error) for a file the simulator will not trust.
    """
    target = Path(path)
    try:
        return _load(target)
    except FileNotFoundError:
        pass
    if not target.parent.is_dir():
        raise ValueError(f"--key-file {target}: the folder {target.parent} does not exist")
    credential = new_credential()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(credential.as_dict(), handle)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, target)  # fails if another start created it meanwhile: use theirs
        except FileExistsError:
            return _load(target)
    finally:
        temporary.unlink(missing_ok=True)
    return credential


def stored_port(path: str | os.PathLike[str]) -> int | None:
    """The port kept in the key file at ``path`` (already checked by ``load_or_create_key``), if any."""
    port = _read(Path(path)).get("port")
    return port if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 else None


def remember_port(path: str | os.PathLike[str], port: int) -> None:
    """Add ``port`` to the key file at ``path``: rewritten whole (0600) under a temporary name, then renamed."""
    target = Path(path)
    data = {**_read(target), "port": port}
    temporary = target.with_name(f".{target.name}.{os.getpid()}.port.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def read_private_json(path: Path, option: str) -> Any:
    """The JSON of a regular, non-symlink file only its owner can read; None if it is not JSON.

    FileNotFoundError if absent; any other refusal is a ValueError that names ``option`` (the command-line
    option that gave the path) and what to fix.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        if path.is_symlink():
            raise ValueError(f"{option} {path} is a symlink; give the real file's path") from None
        raise ValueError(f"{option} {path} cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{option} {path} is not a regular file")
        if mode & 0o077:
            raise ValueError(f"{option} {path} can be read by others: run chmod 600 {path}")
        try:
            return json.loads(handle.read(65_536))
        except (ValueError, UnicodeDecodeError):
            return None


def _read(target: Path) -> dict[str, object]:
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, encoding="utf-8") as handle:
        data = json.loads(handle.read(65_536))
    return data if isinstance(data, dict) else {}


def _load(target: Path) -> SimCredential:
    data = read_private_json(target, "--key-file")
    fields = ("key", "secret", "passphrase")
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) and data[f] for f in fields):
        raise ValueError(
            f"--key-file {target} is not a simulator key file (JSON with key, secret and passphrase); "
            "remove it to have a new key written there"
        )
    return SimCredential(data["key"], data["secret"], data["passphrase"])
