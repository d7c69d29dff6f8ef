"""No secret-shaped text is committed: tests generate their keys, and a real one must never land.

A Coinbase Exchange secret is base64 of 64 bytes (88 characters ending in ``==``); a Fernet key is
44 urlsafe-base64 characters ending in ``=``; a CDP key is a PEM private key. gitleaks' built-in
Coinbase rule looks for other shapes, so this check is ours.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SHAPES = {
    "Exchange API secret (base64 of 64 bytes)": re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"),
    "Fernet key": re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"),
    "PEM private key": re.compile("-----BEGIN (?:EC |RSA |OPENSSH )?PRIVATE" + " KEY-----"),
}


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_secret_shaped_text_is_tracked() -> None:
    found = []
    for path in _tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for what, shape in SHAPES.items():
            for match in shape.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "secret-shaped text in tracked files:\n" + "\n".join(found)


@pytest.mark.parametrize("what", sorted(SHAPES))
def test_the_shapes_catch_real_looking_values(what: str) -> None:
    import base64
    import os

    from cryptography.fernet import Fernet

    samples = {
        "Exchange API secret (base64 of 64 bytes)": base64.b64encode(os.urandom(64)).decode(),
        "Fernet key": Fernet.generate_key().decode(),
        "PEM private key": "-----BEGIN EC PRIVATE" + " KEY-----\nMHcCAQEE...",
    }
    assert SHAPES[what].search(f'secret = "{samples[what]}"')
