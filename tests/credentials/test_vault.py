"""The vault: key sources in order, key-file permissions, wrong keys, rotation steps."""

from __future__ import annotations

import logging
import os
import stat
import types
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from trade_tracker.config import load_settings
from trade_tracker.credentials import vault as vault_mod
from trade_tracker.credentials.key_sources import EnvKeys, KeyFile, KeyringKeys, generate_key, parse_keys
from trade_tracker.credentials.vault import Vault, key_holder
from trade_tracker.errors import InsecurePermissions, VaultKeyError, WrongVaultKey


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- encryption ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.text())
def test_round_trip_any_text(text: str) -> None:
    vault = Vault([generate_key()])
    token = vault.encrypt(text)
    assert vault.decrypt(token) == text


def test_repr_and_errors_hold_no_key_material() -> None:
    key = generate_key()
    vault = Vault([key])
    assert key not in repr(vault) and key not in str(vault)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(vault)


def test_wrong_key_is_specific_and_never_echoes_the_token() -> None:
    token = Vault([generate_key()]).encrypt("secret value")
    other_key = generate_key()
    with pytest.raises(WrongVaultKey) as info:
        Vault([other_key], source="test").decrypt(token)
    message = str(info.value)
    assert "different key" in message and "nothing was changed" in message
    assert token not in message and other_key not in message
    with pytest.raises(WrongVaultKey):
        Vault([other_key]).rotate(token)
    with pytest.raises(WrongVaultKey):
        Vault([other_key]).decrypt("not a token at all")


def test_multi_key_decrypts_old_and_rotates_to_newest() -> None:
    old, new = generate_key(), generate_key()
    token = Vault([old]).encrypt("x")
    both = Vault([new, old])
    assert both.decrypt(token) == "x"
    assert not both.is_current(token)
    rotated = both.rotate(token)
    assert both.is_current(rotated)
    assert Vault([new]).decrypt(rotated) == "x"
    assert Fernet(old).extract_timestamp(token.encode()) == Fernet(new).extract_timestamp(rotated.encode())


def test_parse_keys_checks_each_and_never_echoes() -> None:
    a, b = generate_key(), generate_key()
    assert parse_keys(f" {a}, {b},{a}\n", "X") == [a, b]
    with pytest.raises(VaultKeyError, match="key #2 in X is not a Fernet key") as info:
        parse_keys(f"{a},not-a-key-but-secretish", "X")
    assert "secretish" not in str(info.value)
    with pytest.raises(VaultKeyError, match="holds no key"):
        parse_keys(" , ", "X")


# -- key sources ----------------------------------------------------------------------------


def test_env_key_wins_and_is_read_only(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = generate_key(), generate_key()
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", f"{new},{old}")
    vault = Vault.from_settings(load_settings())
    assert vault.key_source == "env" and vault.key_count == 2 and not vault.writable
    assert Vault([new]).decrypt(vault.encrypt("hi")) == "hi"
    assert not (home / "vault.key").exists()
    vault.begin_rotation()  # nothing to write for env
    assert vault.finish_rotation() is False
    with pytest.raises(VaultKeyError, match="never writes"):
        EnvKeys(new).save([new])


def test_malformed_env_key(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "hunter2")
    with pytest.raises(VaultKeyError, match="FIELD_ENCRYPTION_KEY") as info:
        Vault.from_settings(load_settings())
    assert "hunter2" not in str(info.value)


def test_key_file_created_0600_on_first_need_and_reused(home: Path) -> None:
    settings_ = load_settings()
    assert not settings_.key_file.exists()
    first = Vault.from_settings(settings_)
    assert first.key_source == f"file:{home / 'vault.key'}"
    assert mode(home / "vault.key") == 0o600
    token = first.encrypt("kept")
    content = (home / "vault.key").read_bytes()
    second = Vault.from_settings(settings_)
    assert second.decrypt(token) == "kept"
    assert (home / "vault.key").read_bytes() == content
    assert [p.name for p in home.iterdir()] == ["vault.key"]  # no temp file left


def test_key_file_in_missing_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_TRACKER_HOME", str(tmp_path / "a" / "b"))
    Vault.from_settings(load_settings())
    assert mode(tmp_path / "a" / "b" / "vault.key") == 0o600


@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o660])
def test_readable_key_file_is_refused_with_chmod_hint(home: Path, bad_mode: int) -> None:
    path = home / "vault.key"
    path.write_text(generate_key() + "\n")
    path.chmod(bad_mode)
    before = path.read_bytes()
    with pytest.raises(InsecurePermissions) as info:
        Vault.from_settings(load_settings())
    assert f"chmod 600 {path}" in str(info.value)
    assert path.read_bytes() == before and mode(path) == bad_mode


def test_a_linked_key_file_is_never_read_nor_written_through(home: Path, tmp_path: Path) -> None:
    """A link planted as vault.key would hand us a key its planter knows: it is refused, its target untouched."""
    theirs = tmp_path / "planted.key"
    theirs.write_text(generate_key() + "\n")
    theirs.chmod(0o600)
    before = theirs.read_bytes()
    (home / "vault.key").symlink_to(theirs)
    with pytest.raises(VaultKeyError, match="not a regular file"):
        Vault.from_settings(load_settings())
    with pytest.raises(VaultKeyError, match="not a regular file"):
        KeyFile(home / "vault.key").load()
    dangling = tmp_path / "not-yet"
    (home / "vault.key").unlink()
    (home / "vault.key").symlink_to(dangling)
    with pytest.raises(VaultKeyError):
        Vault.from_settings(load_settings())
    assert not dangling.exists()  # no key file was created at the link's target
    KeyFile(home / "vault.key").save([generate_key()])  # a rotation replaces the link itself
    assert not (home / "vault.key").is_symlink() and mode(home / "vault.key") == 0o600
    assert theirs.read_bytes() == before and not dangling.exists()


def test_no_key_and_create_false_refuses(home: Path) -> None:
    with pytest.raises(VaultKeyError, match="would not open them"):
        Vault.from_settings(load_settings(), create=False)
    assert not (home / "vault.key").exists()


def test_create_never_overwrites_an_existing_key_file(home: Path) -> None:
    path = home / "vault.key"
    existing = generate_key()
    path.write_text(existing + "\n")
    path.chmod(0o600)
    assert KeyFile(path).create([generate_key()]) == [existing]
    assert path.read_text().strip() == existing


def test_key_file_save_is_atomic_and_0600(home: Path) -> None:
    keys = [generate_key(), generate_key()]
    holder = KeyFile(home / "vault.key")
    holder.save(keys)
    assert holder.load() == keys and mode(home / "vault.key") == 0o600
    assert (home / "vault.key").read_text() == ",".join(keys) + "\n"


def test_key_file_write_failure_keeps_the_old_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = KeyFile(home / "vault.key")
    old = [generate_key()]
    holder.save(old)

    def boom(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(VaultKeyError, match="No space left"):
        holder.save([generate_key(), *old])
    assert holder.load() == old
    assert [p.name for p in home.iterdir()] == ["vault.key"]


def test_rotation_steps_with_key_file(home: Path) -> None:
    vault = Vault.from_settings(load_settings())
    old = (home / "vault.key").read_text().strip()
    token = vault.encrypt("row")
    vault.begin_rotation()
    on_disk = (home / "vault.key").read_text().strip().split(",")
    assert len(on_disk) == 2 and on_disk[1] == old
    rotated = vault.rotate(token)
    assert vault.finish_rotation() is True
    assert (home / "vault.key").read_text().strip() == on_disk[0]
    assert Vault.from_settings(load_settings()).decrypt(rotated) == "row"
    with pytest.raises(WrongVaultKey):
        Vault.from_settings(load_settings()).decrypt(token)


def test_refresh_picks_up_a_rotation_by_another_process(home: Path) -> None:
    ours = Vault.from_settings(load_settings())
    theirs = Vault.from_settings(load_settings())
    theirs.begin_rotation()
    token = theirs.rotate(ours.encrypt("x"))
    theirs.finish_rotation()
    assert ours.decrypt(token) == "x"  # re-reads vault.key once on InvalidToken


# -- keyring ------------------------------------------------------------------------------


class FakeKeyring(types.ModuleType):
    def __init__(self, *, keep: bool = True) -> None:
        super().__init__("keyring")
        self.keep = keep
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, account: str) -> str | None:
        return self.entries.get((service, account))

    def set_password(self, service: str, account: str, value: str) -> None:
        if self.keep:
            self.entries[(service, account)] = value


def test_keyring_used_only_when_asked(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKeyring()
    monkeypatch.setattr(vault_mod, "_import_keyring", lambda: fake)
    assert isinstance(key_holder(load_settings()), KeyFile)
    monkeypatch.setenv("TRADE_TRACKER_USE_KEYRING", "1")
    vault = Vault.from_settings(load_settings())
    assert vault.key_source == "keyring" and vault.writable
    assert not (home / "vault.key").exists()
    ((service, account),) = fake.entries
    assert service == "trade-tracker" and str(home) in account
    token = vault.encrypt("x")
    vault.begin_rotation()
    assert len(next(iter(fake.entries.values())).split(",")) == 2
    rotated = vault.rotate(token)
    vault.finish_rotation()
    assert Vault.from_settings(load_settings()).decrypt(rotated) == "x"


def test_keyring_that_forgets_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vault_mod, "_import_keyring", lambda: FakeKeyring(keep=False))
    monkeypatch.setenv("TRADE_TRACKER_USE_KEYRING", "true")
    with pytest.raises(VaultKeyError, match="did not keep"):
        Vault.from_settings(load_settings())


def test_keyring_backend_error_is_a_vault_error(home: Path) -> None:
    broken = FakeKeyring()

    def fail(*_a: object) -> None:
        raise RuntimeError("dbus says no")

    broken.get_password = fail  # type: ignore[method-assign]
    with pytest.raises(VaultKeyError, match="OS keyring failed"):
        KeyringKeys(broken, "a").load()


def test_keyring_asked_but_not_installed_falls_back_to_file(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(vault_mod, "_import_keyring", lambda: None)
    monkeypatch.setenv("TRADE_TRACKER_USE_KEYRING", "1")
    with caplog.at_level(logging.WARNING):
        vault = Vault.from_settings(load_settings())
    assert vault.key_source.startswith("file:")
    assert "keyring package is not installed" in caplog.text


def test_no_key_material_in_logs(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        vault = Vault.from_settings(load_settings())
        vault.begin_rotation()
        vault.finish_rotation()
    key = (home / "vault.key").read_text().strip()
    assert key not in caplog.text
    assert os.environ.get("FIELD_ENCRYPTION_KEY") is None


def test_key_file_created_without_hard_links(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_a: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    key = generate_key()
    assert KeyFile(home / "vault.key").create([key]) == [key]
    assert mode(home / "vault.key") == 0o600
    assert KeyFile(home / "vault.key").create([generate_key()]) == [key]
    assert [p.name for p in home.iterdir()] == ["vault.key"]
