"""Private files: 0600, whole or not at all, and a clear refusal of files others can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from trade_tracker.errors import InsecurePermissions
from trade_tracker.private_files import check_private, replace_atomically


def test_replace_atomically_writes_a_private_file(tmp_path: Path) -> None:
    folder = tmp_path / "files"  # its own folder: conftest puts a home dir in tmp_path
    folder.mkdir()
    target = folder / "f.txt"
    target.write_text("old")
    target.chmod(0o644)
    assert replace_atomically(target, lambda f: f.write("new")) == 3
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["f.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    folder = tmp_path / "files"  # its own folder: conftest puts a home dir in tmp_path
    folder.mkdir()
    target = folder / "f.txt"
    target.write_text("old")

    def boom(handle: object) -> None:
        raise RuntimeError("disk full, say")

    with pytest.raises(RuntimeError):
        replace_atomically(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in folder.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_files_others_can_read_are_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "trades.db"
    target.write_text("")
    target.chmod(mode)
    with pytest.raises(InsecurePermissions, match=f"chmod 600 {target}"):
        check_private(target)
    target.chmod(0o600)
    check_private(target)
