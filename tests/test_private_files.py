"""Private files: 0600, whole or not at all, never through a link, in a folder only the user can write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trade_tracker.errors import InsecurePermissions
from trade_tracker.private_files import (
    check_private,
    check_private_dir,
    ensure_private_dir,
    open_nofollow,
    prepare_store_file,
    private_temp,
    read_private_text,
    remove_stale_temps,
    replace_atomically,
)


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


# -- the data folder: the user's own, written by no one else ------------------------------------------


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777, 0o720])
def test_a_folder_others_can_write_is_refused_with_the_chmod(tmp_path: Path, mode: int) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(InsecurePermissions, match=f"can be written by other users.*chmod 700 {folder}$"):
        check_private_dir(folder)


@pytest.mark.parametrize("mode", [0o700, 0o750, 0o755])
def test_a_folder_only_the_user_can_write_is_accepted(tmp_path: Path, mode: int) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(mode)
    check_private_dir(folder)


def test_a_folder_of_another_user_is_refused_with_the_chown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    if os.geteuid() == 0:  # root's own folders are fine for anyone: give this one to somebody else
        os.chown(folder, 54321, -1)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: folder.stat().st_uid + 1)
    with pytest.raises(InsecurePermissions, match=r"belongs to another user .*chown \d+ .* && chmod 700"):
        check_private_dir(folder)


def test_ensure_private_dir_creates_0700_and_refuses_a_link(tmp_path: Path) -> None:
    made = ensure_private_dir(tmp_path / "exports")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "linked").symlink_to(elsewhere)
    with pytest.raises(InsecurePermissions, match="is a symbolic link"):
        ensure_private_dir(tmp_path / "linked")


# -- nothing opened through a link ----------------------------------------------------------------------


def test_private_reads_never_follow_a_link(tmp_path: Path) -> None:
    target = tmp_path / "someone-elses"
    target.write_text("their key")
    target.chmod(0o600)
    link = tmp_path / "vault.key"
    link.symlink_to(target)
    with pytest.raises(InsecurePermissions, match=f"{link} is a symbolic link"):
        read_private_text(link)
    with pytest.raises(InsecurePermissions, match="is a symbolic link"):
        open_nofollow(link, os.O_RDWR | os.O_CREAT)
    assert target.read_text() == "their key"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InsecurePermissions, match="not a regular file"):  # and no hang on a FIFO
        read_private_text(fifo)


@pytest.mark.parametrize("name", ["trades.db", "trades.db-wal", "trades.db-shm", "trades.db-journal"])
def test_the_store_file_and_its_companions_must_not_be_links(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    (folder / name).symlink_to(target)
    with pytest.raises(InsecurePermissions, match=f"{folder / name} is a symbolic link"):
        prepare_store_file(folder / "trades.db")
    assert target.read_bytes() == b"precious"


# -- temp files a killed writer left behind -------------------------------------------------------------


def test_stale_temps_are_removed_and_a_live_writers_temp_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    stale = folder / ".vault.key.k1ll3d_x.tmp"  # as mkstemp names them; nobody holds its lock
    stale.write_text("new,old")
    others = [folder / ".vault.key.tmp", folder / ".notes.txt.abcdefgh.tmp", folder / "vault.key.abcdefgh.tmp"]
    for other in others:  # not a temp file of ours: never touched
        other.write_text("not ours")
    target = folder / "vault.key"
    with private_temp(target, lambda f: f.write("live")) as (live, _):
        assert remove_stale_temps(folder, ["vault.key"]) == [stale.name]
        assert Path(live).read_text() == "live"  # its writer holds the lock
    assert not Path(live).exists()  # the block removed its own temp name
    assert sorted(p.name for p in folder.iterdir()) == sorted(o.name for o in others)
    assert remove_stale_temps(folder, ["vault.key"]) == []
