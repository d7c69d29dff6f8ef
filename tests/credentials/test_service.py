"""Encrypted credentials: validation, verification, what reaches disk, wrong keys and rotation."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from trade_tracker.config import SANDBOX_URL, load_settings
from trade_tracker.credentials.key_sources import generate_key
from trade_tracker.credentials.models import VIEW_ONLY_WARNING, add_command_hint
from trade_tracker.credentials.service import CredentialService
from trade_tracker.credentials.vault import Vault
from trade_tracker.errors import (
    CredentialError,
    CredentialExists,
    CredentialNotFound,
    CredentialUrlMismatch,
    ExchangeError,
    InsecurePermissions,
    InvalidArgument,
    InvalidCredential,
    InvalidPassphrase,
    InvalidSignature,
    PermissionDenied,
    StoreBusy,
    VaultKeyError,
    WrongVaultKey,
)
from trade_tracker.labels import check_label
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential
from trade_tracker.venues.coinbase_exchange.client import CoinbaseClient
from trade_tracker.venues.ratelimit import RateLimits
from trade_tracker.venues.retries import RetryPolicy

ACCOUNTS = [
    {
        "id": "a1",
        "currency": "USD",
        "balance": "1.00",
        "hold": "0",
        "available": "1.00",
        "profile_id": "p1",
        "trading_enabled": True,
    }
]


@dataclass(frozen=True)
class Canary:
    key: str
    secret: str
    passphrase: str

    def forms(self) -> list[bytes]:
        """Every form a leak could take: the key, the secret (base64, raw, hex), the passphrase."""
        raw = base64.b64decode(self.secret)
        return [
            self.key.encode(),
            self.secret.encode(),
            raw,
            binascii.hexlify(raw),
            self.passphrase.encode(),
            base64.urlsafe_b64encode(raw),
        ]

    def texts(self) -> list[str]:
        raw = base64.b64decode(self.secret)
        return [self.key, self.secret, raw.hex(), self.passphrase, base64.urlsafe_b64encode(raw).decode()]


def new_canary() -> Canary:
    return Canary(secrets.token_hex(16), base64.b64encode(os.urandom(64)).decode(), "pp-" + secrets.token_urlsafe(12))


@pytest.fixture
def canary() -> Canary:
    return new_canary()


def mock_factory(handler: Callable[[httpx.Request], httpx.Response]) -> Callable[[ApiCredential], CoinbaseClient]:
    def factory(credential: ApiCredential) -> CoinbaseClient:
        return CoinbaseClient(
            "https://api.test",
            credential,
            transport=httpx.MockTransport(handler),
            rate_limits=RateLimits.disabled(),
            retry=RetryPolicy.no_wait(1),
        )

    return factory


def answer(status: int, body: object) -> Callable[[ApiCredential], CoinbaseClient]:
    return mock_factory(lambda request: httpx.Response(status, json=body))


OK = answer(200, ACCOUNTS)


def unreachable() -> Callable[[ApiCredential], CoinbaseClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    return mock_factory(handler)


def service(**overrides: object) -> CredentialService:
    settings = load_settings(**overrides)
    return CredentialService(TradeStore(settings.db_path), settings)


def ciphertexts(svc: CredentialService) -> list[tuple[str, ...]]:
    return svc.store.conn.execute(
        "SELECT label, key_ct, secret_ct, passphrase_ct FROM credentials ORDER BY label"
    ).fetchall()


def disk_bytes(home: Path) -> bytes:
    """trades.db and its -wal / -shm / -journal, as they are on disk."""
    return b"".join(p.read_bytes() for p in sorted(home.iterdir()) if p.name.startswith("trades.db"))


# -- add, get, list ---------------------------------------------------------------------------


async def test_add_verified_then_get(home: Path, canary: Canary) -> None:
    svc = service()
    result = await svc.add("main", canary.key, canary.secret, canary.passphrase, client_factory=OK)
    info = result.info
    assert info.label == "main" and info.source == "stored" and info.verify_status == "verified"
    assert canary.key[-4:] in info.fingerprint
    assert canary.key not in info.fingerprint
    assert info.last_verified_at and info.created_at
    assert info.permissions == {
        "view": "yes",
        "trade": "unknown",
        "transfer": "unknown",
        "basis": info.permissions["basis"],
    }
    assert VIEW_ONLY_WARNING in result.warnings
    got = svc.get("main")
    assert (got.key, got.secret, got.passphrase, got.label) == (canary.key, canary.secret, canary.passphrase, "main")
    assert [i.label for i in svc.list()] == ["main"]


async def test_only_ciphertext_reaches_disk(home: Path, canary: Canary) -> None:
    svc = service()
    other = new_canary()
    await svc.add("a", canary.key, canary.secret, canary.passphrase, verify=False)
    await svc.add("b", other.key, other.secret, other.passphrase, client_factory=OK)
    svc.get("a")
    data = disk_bytes(home)
    assert (home / "trades.db-wal").exists()  # the WAL is checked too, before any checkpoint
    for form in canary.forms() + other.forms():
        assert form not in data
    svc.remove("a")
    svc.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = disk_bytes(home)
    for form in canary.forms() + other.forms():
        assert form not in data
    svc.store.close()


async def test_env_credential_listed_first_never_stored(
    home: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EX_API_KEY_READ", canary.key)
    monkeypatch.setenv("EX_API_SECRET_READ", canary.secret)
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", canary.passphrase)
    svc = service()
    other = new_canary()
    await svc.add("zz", other.key, other.secret, other.passphrase, verify=False)
    infos = svc.list()
    assert [(i.label, i.source) for i in infos] == [("env", "env"), ("zz", "stored")]
    assert canary.key[-4:] in infos[0].fingerprint
    assert svc.get("env").passphrase == canary.passphrase
    assert svc.resolve_label(None) == "env"
    with pytest.raises(CredentialError, match="not stored"):
        svc.remove("env")
    for form in canary.forms():
        assert form not in disk_bytes(home)
    with pytest.raises(InvalidArgument, match="reserved"):
        await svc.add("env", other.key, other.secret, other.passphrase, verify=False)


def test_list_decrypts_nothing(home: Path) -> None:
    settings = load_settings()

    def no_vault() -> Vault:
        raise AssertionError("list() must not open the vault")

    svc = CredentialService(TradeStore(settings.db_path), settings, no_vault)
    assert svc.list() == []


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["", "a" * 65, "has space", "semi;colon", "ümlaut", "a/b", None, 7])
def test_bad_labels(label: object) -> None:
    with pytest.raises(InvalidArgument, match="1-64 characters"):
        check_label(label)


@pytest.mark.parametrize("label", ["a", "A.b_c-9", "x" * 64, "-lead"])
def test_good_labels(label: str) -> None:
    assert check_label(label) == label
    assert add_command_hint(label) == f"trade-tracker credentials add --label={label}"


@pytest.mark.parametrize("label", ["env", "ENV", "Env"])
def test_env_label_reserved(label: str) -> None:
    with pytest.raises(InvalidArgument, match="reserved"):
        check_label(label)


def secret_variants(canary: Canary) -> list[tuple[str, str, str, str]]:
    raw = base64.b64decode(canary.secret)
    return [
        ("not base64", canary.secret[:-4] + "!!!!", canary.passphrase, "not valid base64"),
        ("32 bytes", base64.b64encode(raw[:32]).decode(), canary.passphrase, "decodes to 32 bytes"),
        ("empty secret", "", canary.passphrase, "secret is empty"),
        ("PEM", "-----BEGIN EC PRIVATE" + " KEY-----" + canary.secret, canary.passphrase, "CDP"),
        ("empty passphrase", canary.secret, "", "passphrase is empty"),
    ]


async def test_validation_errors_are_clear_and_secret_free(home: Path, canary: Canary) -> None:
    svc = service()
    for _name, secret, passphrase, expected in secret_variants(canary):
        with pytest.raises(InvalidCredential, match=expected) as info:
            await svc.add("main", canary.key, secret, passphrase, client_factory=OK)
        for text in canary.texts() + [secret]:
            if text:
                assert text not in str(info.value) and text not in repr(info.value)
    for key, expected in [("", "key is empty"), ("organizations/x/apiKeys/y", "CDP"), ("a b", "letters and digits")]:
        with pytest.raises(InvalidCredential, match=expected):
            await svc.add("main", key, canary.secret, canary.passphrase, client_factory=OK)
    assert ciphertexts(svc) == []


async def test_duplicate_label(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    other = new_canary()
    with pytest.raises(CredentialExists, match="already stored"):
        await svc.add("main", other.key, other.secret, other.passphrase, verify=False)
    assert svc.get("main").key == canary.key


# -- verification -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "error"),
    [("Invalid Passphrase", InvalidPassphrase), ("invalid signature", InvalidSignature)],
)
async def test_401_stores_nothing_and_names_the_reason(
    home: Path, canary: Canary, message: str, error: type[Exception]
) -> None:
    svc = service()
    with pytest.raises(error) as info:
        await svc.add(
            "main", canary.key, canary.secret, canary.passphrase, client_factory=answer(401, {"message": message})
        )
    assert "main" in str(info.value)
    assert ciphertexts(svc) == []


async def test_403_stores_nothing(home: Path, canary: Canary) -> None:
    svc = service()
    with pytest.raises(PermissionDenied, match="View"):
        await svc.add(
            "main", canary.key, canary.secret, canary.passphrase, client_factory=answer(403, {"message": "Forbidden"})
        )
    assert ciphertexts(svc) == []


async def test_unreachable_exchange_stores_unverified_with_warning(home: Path, canary: Canary) -> None:
    svc = service()
    result = await svc.add("main", canary.key, canary.secret, canary.passphrase, client_factory=unreachable())
    assert result.info.verify_status == "unverified" and result.info.last_verified_at is None
    assert any("could not verify" in w for w in result.warnings)
    assert result.info.permissions and result.info.permissions["view"] == "unknown"


async def test_no_verify_is_recorded_as_skipped(home: Path, canary: Canary) -> None:
    result = await service().add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    assert result.info.verify_status == "skipped"
    assert any("credentials verify --label=main" in w for w in result.warnings)


async def test_verify_later_records_result(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    info = await svc.verify("main", client_factory=OK)
    assert info.verify_status == "verified" and info.last_verified_at
    with pytest.raises(InvalidPassphrase):
        await svc.verify("main", client_factory=answer(401, {"message": "Invalid Passphrase"}))
    assert svc.info("main").verify_status == "rejected"


async def test_default_client_signs_against_settings_base_url(home: Path, canary: Canary) -> None:
    import respx

    svc = service(ex_base_url="https://exchange.example", retry_attempts=1)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get("https://exchange.example/accounts").respond(200, json=ACCOUNTS)
        await svc.add("main", canary.key, canary.secret, canary.passphrase)
    sent = route.calls.last.request
    assert sent.headers["CB-ACCESS-KEY"] == canary.key and "CB-ACCESS-SIGN" in sent.headers
    assert svc.info("main").base_url == "https://exchange.example"


# -- labels ---------------------------------------------------------------------------------------


async def test_resolve_label_and_remove(home: Path, canary: Canary) -> None:
    svc = service()
    with pytest.raises(CredentialError, match="no credential is configured.*credentials add"):
        svc.resolve_label(None)
    await svc.add("one", canary.key, canary.secret, canary.passphrase, verify=False)
    assert svc.resolve_label(None) == "one"
    other = new_canary()
    await svc.add("two", other.key, other.secret, other.passphrase, verify=False)
    with pytest.raises(CredentialError, match="one, two"):
        svc.resolve_label(None)
    assert svc.resolve_label("two") == "two"
    with pytest.raises(CredentialNotFound, match="known labels: one, two"):
        svc.resolve_label("three")
    with pytest.raises(CredentialNotFound):
        svc.get("three")
    assert svc.remove("one") is True
    assert svc.remove("one") is False
    assert [i.label for i in svc.list()] == ["two"]


# -- wrong key, missing key, permissions ---------------------------------------------------------------


async def test_wrong_key_is_specific_and_touches_nothing(
    home: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", generate_key())
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    svc.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    svc.store.close()
    before = disk_bytes(home)

    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", generate_key())
    wrong = service()
    rows = ciphertexts(wrong)
    with pytest.raises(WrongVaultKey, match="different key") as info:
        wrong.get("main")
    assert "main" in str(info.value)
    other = new_canary()
    with pytest.raises(WrongVaultKey):  # no second key mixed into the same table
        await wrong.add("second", other.key, other.secret, other.passphrase, verify=False)
    with pytest.raises(WrongVaultKey):
        wrong.rotate_key()
    assert ciphertexts(wrong) == rows
    assert [i.label for i in wrong.list()] == ["main"]
    wrong.store.close()
    assert disk_bytes(home) == before
    assert not (home / "vault.key").exists()


async def test_lost_key_file_is_not_silently_replaced(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    (home / "vault.key").unlink()
    with pytest.raises(VaultKeyError, match="would not open them"):
        service().get("main")
    assert not (home / "vault.key").exists()


async def test_readable_key_file_or_store_refused(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    svc.store.close()
    (home / "vault.key").chmod(0o644)
    with pytest.raises(InsecurePermissions, match=r"chmod 600 .*vault\.key"):
        service().get("main")
    (home / "vault.key").chmod(0o600)
    (home / "trades.db").chmod(0o644)
    with pytest.raises(InsecurePermissions, match=r"chmod 600 .*trades\.db"):
        service()


# -- rotation -----------------------------------------------------------------------------------------


async def add_two(svc: CredentialService) -> list[Canary]:
    canaries = [new_canary(), new_canary()]
    for label, c in zip(("a", "b"), canaries, strict=True):
        await svc.add(label, c.key, c.secret, c.passphrase, verify=False)
    return canaries


def assert_all_read(svc: CredentialService, canaries: list[Canary]) -> None:
    for label, c in zip(("a", "b"), canaries, strict=True):
        got = svc.get(label)
        assert (got.key, got.secret, got.passphrase) == (c.key, c.secret, c.passphrase)


async def test_rotate_with_env_keys(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = generate_key(), generate_key()
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", old)
    canaries = await add_two(service())

    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", f"{new},{old}")
    result = service().rotate_key()
    assert result.rows == 2 and result.key_source == "env" and not result.old_keys_dropped
    assert "remove the older key" in result.message

    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", new)  # the old key dropped
    assert_all_read(service(), canaries)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", old)
    with pytest.raises(WrongVaultKey):
        service().get("a")


async def test_rotate_with_key_file(home: Path) -> None:
    svc = service()
    canaries = await add_two(svc)
    old = (home / "vault.key").read_text().strip()
    result = svc.rotate_key()
    assert result.rows == 2 and result.old_keys_dropped and result.keys_configured == 1
    new = (home / "vault.key").read_text().strip()
    assert new != old and "," not in new
    assert oct((home / "vault.key").stat().st_mode & 0o777) == "0o600"
    assert_all_read(service(), canaries)
    assert all(Vault([new]).is_current(t) for row in ciphertexts(svc) for t in row[1:])
    assert [p.name for p in home.iterdir() if p.name.startswith(".")] == []


async def test_interrupted_rotation_loses_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = service()
    canaries = await add_two(svc)
    rows = ciphertexts(svc)
    calls = {"n": 0}
    real_rotate = Vault.rotate

    def flaky(self: Vault, token: str) -> str:
        calls["n"] += 1
        if calls["n"] == 4:  # the first field of the second row
            raise RuntimeError("power cut")
        return real_rotate(self, token)

    monkeypatch.setattr(Vault, "rotate", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        svc.rotate_key()
    monkeypatch.setattr(Vault, "rotate", real_rotate)
    assert ciphertexts(svc) == rows  # the transaction rolled back
    assert len((home / "vault.key").read_text().strip().split(",")) == 2  # new,old on disk
    assert_all_read(service(), canaries)
    assert service().rotate_key().old_keys_dropped
    assert_all_read(service(), canaries)


async def test_crash_between_key_file_writes_loses_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = service()
    canaries = await add_two(svc)

    def crash(self: Vault) -> bool:
        raise KeyboardInterrupt  # killed after the rows were committed, before vault.key was trimmed

    real_finish = Vault.finish_rotation
    monkeypatch.setattr(Vault, "finish_rotation", crash)
    with pytest.raises(KeyboardInterrupt):
        svc.rotate_key()
    monkeypatch.setattr(Vault, "finish_rotation", real_finish)
    keys = (home / "vault.key").read_text().strip().split(",")
    assert len(keys) == 2
    assert all(Vault([keys[0]]).is_current(t) for row in ciphertexts(svc) for t in row[1:])
    assert_all_read(service(), canaries)
    service().rotate_key()
    assert_all_read(service(), canaries)


async def test_crash_writing_the_first_key_file_loses_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    svc = service()
    canaries = await add_two(svc)
    before_key, before_rows = (home / "vault.key").read_bytes(), ciphertexts(svc)
    real_replace = os.replace

    def fail(*_a: object) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(VaultKeyError):
        svc.rotate_key()
    monkeypatch.setattr(os, "replace", real_replace)
    assert (home / "vault.key").read_bytes() == before_key and ciphertexts(svc) == before_rows
    assert_all_read(service(), canaries)


async def test_add_during_rotation_by_another_process_uses_the_new_key(home: Path, canary: Canary) -> None:
    writer = service()
    await writer.add("first", canary.key, canary.secret, canary.passphrase, verify=False)
    old_vault = writer.vault  # opened with the old key
    service().rotate_key()  # another process rotates and drops the old key
    other = new_canary()
    await writer.add("second", other.key, other.secret, other.passphrase, verify=False)
    assert old_vault.key_count == 1 and old_vault is writer.vault
    fresh = service()
    assert fresh.get("second").passphrase == other.passphrase
    assert fresh.get("first").passphrase == canary.passphrase


# -- no secret anywhere --------------------------------------------------------------------------------


async def test_no_secret_in_logs_reprs_or_errors(home: Path, canary: Canary, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    svc = service()
    seen: list[str] = []
    for factory in (answer(401, {"message": "Invalid Passphrase"}), answer(500, {"message": "x"}), unreachable()):
        try:
            await svc.add("main", canary.key, canary.secret, canary.passphrase, client_factory=factory)
        except Exception as exc:
            seen += [str(exc), repr(exc)]
        svc.remove("main")
    result = await svc.add("main", canary.key, canary.secret, canary.passphrase, client_factory=OK)
    credential = svc.get("main")
    svc.rotate_key()
    seen += [repr(credential), str(credential), repr(svc), repr(svc.vault), repr(result)]
    seen.append(json.dumps(result.model_dump()))
    seen += [repr(i) for i in svc.list()]
    blob = "\n".join(seen) + caplog.text
    for text in canary.texts():
        assert text not in blob


def test_partial_env_credential_names_the_missing_variables(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_API_KEY_READ", "abc123")
    with TradeStore(home / "trades.db") as store:
        service = CredentialService(store, load_settings())
        with pytest.raises(CredentialError, match="EX_API_SECRET_READ, EX_API_PASSPHRASE_READ are not set"):
            service.resolve_label(None)


async def test_two_rotations_at_once_cannot_strand_the_rows(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rotation B checks the rows, writes its key and re-encrypts under one write lock, so rotation A
    (another process) cannot run in between and leave the rows under a key no longer on disk."""
    rotating, racing = service(), service()  # B and A: two processes on one store and key file
    canaries = await add_two(rotating)
    assert racing.vault.key_count == 1  # A opened its vault before any rotation
    racing.store.conn.execute("PRAGMA busy_timeout = 100")  # so A gives up fast instead of waiting
    tried: list[type[BaseException]] = []
    real_begin = Vault.begin_rotation

    def begin_then_race(self: Vault) -> None:
        if self is rotating.vault and not tried:
            try:
                racing.rotate_key()  # A, while B holds the lock between its check and its new key
            except BaseException as exc:  # noqa: BLE001 - record what A ran into
                tried.append(type(exc))
        real_begin(self)

    monkeypatch.setattr(Vault, "begin_rotation", begin_then_race)
    rotating.rotate_key()
    assert tried == [StoreBusy]
    assert_all_read(service(), canaries)


# -- base URL binding: a key goes only where it was verified -------------------------------------

OTHER_URL = "https://other-exchange.example"


def recording(
    status: int = 200, body: object = ACCOUNTS
) -> tuple[Callable[[ApiCredential], CoinbaseClient], list[str]]:
    """A client factory answering ``status``/``body`` that records the URL of every request sent."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(status, json=body)

    return mock_factory(handler), sent


def bound_url(svc: CredentialService, label: str) -> str | None:
    return svc.store.conn.execute("SELECT base_url FROM credentials WHERE label = ?", (label,)).fetchone()[0]


async def test_a_key_is_refused_for_another_base_url_before_any_request(home: Path, canary: Canary) -> None:
    await service().add("main", canary.key, canary.secret, canary.passphrase, client_factory=OK)
    elsewhere = service(ex_base_url=OTHER_URL)
    with pytest.raises(CredentialUrlMismatch) as info:
        elsewhere.get("main")
    message = str(info.value)
    assert SANDBOX_URL in message and OTHER_URL in message
    assert f"set EX_BASE_URL={SANDBOX_URL} again" in message
    assert "trade-tracker credentials verify --label=main --rebind" in message
    assert not any(text in message for text in canary.texts())
    factory, sent = recording()
    with pytest.raises(CredentialUrlMismatch):
        await elsewhere.verify("main", client_factory=factory)
    assert sent == []  # nothing went to the other URL
    assert service().get("main").key == canary.key  # still fine where it was verified


async def test_the_same_url_spelled_differently_is_the_same_binding(home: Path, canary: Canary) -> None:
    await service().add("main", canary.key, canary.secret, canary.passphrase, client_factory=OK)
    assert service(ex_base_url="HTTPS://API-PUBLIC.sandbox.exchange.coinbase.com:443/").get("main").key == canary.key


async def test_rebind_verifies_at_the_new_url_and_binds_only_on_success(home: Path, canary: Canary) -> None:
    await service().add("main", canary.key, canary.secret, canary.passphrase, client_factory=OK)
    elsewhere = service(ex_base_url=OTHER_URL)

    with pytest.raises(InvalidSignature):
        await elsewhere.verify("main", rebind=True, client_factory=answer(401, {"message": "invalid signature"}))
    assert bound_url(elsewhere, "main") == SANDBOX_URL
    assert elsewhere.info("main").verify_status == "verified"  # a rejection elsewhere says nothing about home

    with pytest.raises(ExchangeError, match="'main' stays bound to its old base URL") as unreached:
        await elsewhere.verify("main", rebind=True, client_factory=unreachable())
    assert "stored as unverified" not in str(unreached.value)
    assert bound_url(elsewhere, "main") == SANDBOX_URL

    factory, sent = recording()
    info = await elsewhere.verify("main", rebind=True, client_factory=factory)
    assert sent == ["https://api.test/accounts"] and info.base_url == OTHER_URL
    assert elsewhere.get("main").key == canary.key
    with pytest.raises(CredentialUrlMismatch):
        service().get("main")  # and no longer to the old one


async def test_rebind_where_already_bound_is_a_plain_verify(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    info = await svc.verify("main", rebind=True, client_factory=OK)
    assert info.verify_status == "verified" and info.base_url == SANDBOX_URL


async def test_a_row_without_a_binding_is_refused(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    with svc.store.write() as conn:
        conn.execute("UPDATE credentials SET base_url = NULL")
    with pytest.raises(CredentialUrlMismatch, match="records no base URL"):
        svc.get("main")
    await svc.verify("main", rebind=True, client_factory=OK)
    assert svc.get("main").key == canary.key


def test_the_env_credential_goes_where_its_environment_says(
    home: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EX_API_KEY_READ", canary.key)
    monkeypatch.setenv("EX_API_SECRET_READ", canary.secret)
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", canary.passphrase)
    svc = service(ex_base_url=OTHER_URL)
    assert svc.get("env").key == canary.key
    assert svc.info("env").base_url == OTHER_URL


async def test_stamp_changes_with_the_row_and_is_none_when_removed(home: Path, canary: Canary) -> None:
    svc = service()
    await svc.add("main", canary.key, canary.secret, canary.passphrase, verify=False)
    credential, first = svc.get_stamped("main")
    assert svc.stamp("main") == first and credential.key == canary.key
    assert not any(text in first for text in canary.texts())
    svc.rotate_key()
    rotated = svc.stamp("main")
    assert rotated not in (None, first)
    await service(ex_base_url=OTHER_URL).verify("main", rebind=True, client_factory=OK)
    assert svc.stamp("main") not in (None, rotated)
    assert svc.remove("main")
    assert svc.stamp("main") is None
