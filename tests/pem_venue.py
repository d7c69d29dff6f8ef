"""``PemVenue``: a test-only venue whose key is a ``key_name`` plus a multi-line PEM ``private_key``.

Why: the credential entry flow (CLI prompts and ``--key-file``, the one-time page, the permission policy)
must work for any venue's ``info.fields``, not only Coinbase Exchange's three one-line fields, before the
real Advanced Trade venue lands. ``pem_venue`` registers it in ``VENUES`` as ``advanced`` for one test
(the name the CLI's ``--venue`` accepts); its ``check_key()`` answers ``PemVenue.answer``. Keys are
generated in the test (``new_pem``), never committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from trade_tracker.errors import AuthenticationError, InvalidCredential
from trade_tracker.venues import registry
from trade_tracker.venues.base import CredentialField, VenueInfo

PEM_INFO = VenueInfo(
    id="advanced",
    title="PEM Test Venue",
    default_url="https://pem.example",
    stored_as="pem-test",
    key_field=CredentialField("key_name", "API key name", "PEM_KEY_NAME"),
    secret_fields=(CredentialField("private_key", "Private key (PEM)", "PEM_PRIVATE_KEY", multiline=True),),
    fill_scope="account",
    mutable_fill_columns=(),
    reports_permissions=True,
)


def new_pem() -> str:
    """A fresh EC P-256 private key as PEM text (SEC1, like the CDP portal's)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")


@dataclass(frozen=True, repr=False)
class PemKey:
    key_name: str
    private_key: str
    label: str = "unnamed"

    def __repr__(self) -> str:
        return f"PemKey(label={self.label!r})"


class PemClient:
    """What ``open_client`` returns: remembers the key it was given, closes."""

    venue_id: ClassVar[str] = "advanced"

    def __init__(self, credential: PemKey) -> None:
        self.credential = credential
        self.requests_sent = 0

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> PemClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class PemVenue:
    info: ClassVar[VenueInfo] = PEM_INFO
    #: What ``check_key()`` answers (a test changes it); ``reject`` makes it a 401.
    answer: ClassVar[dict[str, str]] = {}
    reject: ClassVar[bool] = False
    checked: ClassVar[list[PemKey]] = []

    def __init__(self, client: PemClient) -> None:
        self.client = client

    @classmethod
    def open_client(cls, settings: Any, credential: Any, **kwargs: Any) -> PemClient:
        return PemClient(credential)

    @classmethod
    def wrap(cls, client: PemClient) -> PemVenue:
        return cls(client)

    @classmethod
    def credential_from_fields(cls, fields: Mapping[str, str]) -> PemKey:
        name = fields.get("key_name", "").strip()
        pem = fields.get("private_key", "").replace("\\n", "\n").strip()
        if not name.startswith("organizations/"):
            raise InvalidCredential("the key name should look like organizations/{org}/apiKeys/{id}")
        if not (pem.startswith("-----BEGIN") and pem.endswith("PRIVATE KEY-----")):
            raise InvalidCredential("the private key is not a whole PEM block")
        serialization.load_pem_private_key(pem.encode(), password=None)
        return PemKey(name, pem + "\n", fields.get("label") or "unnamed")

    @classmethod
    def fields_from_key_file(cls, text: str) -> dict[str, str]:
        try:
            data = json.loads(text)
            return {"key_name": str(data["name"]), "private_key": str(data["privateKey"])}
        except (ValueError, KeyError, TypeError):
            raise InvalidCredential("the key file is not a CDP key JSON (name, privateKey)") from None

    @classmethod
    def fingerprint(cls, fields: Mapping[str, str]) -> str:
        return "…" + fields.get("key_name", "").strip()[-4:]

    @property
    def requests_sent(self) -> int:
        return 0

    async def check_key(self) -> Mapping[str, str]:
        if type(self).reject:
            raise AuthenticationError("the venue rejected the key (401)", status_code=401)
        type(self).checked.append(self.client.credential)
        return dict(type(self).answer)

    async def aclose(self) -> None:
        await self.client.aclose()


VIEW_ONLY = {
    "can_view": "true",
    "can_trade": "false",
    "can_transfer": "false",
    "portfolio_uuid": "port-1",
    "portfolio_type": "DEFAULT",
}

TRADE_ANSWER = {**VIEW_ONLY, "can_trade": "true"}


@pytest.fixture
def pem_venue(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[PemVenue]]:
    """``PemVenue`` registered as ``advanced`` for one test, answering as a View-only key."""
    monkeypatch.setitem(registry.VENUES, "advanced", PemVenue)  # pyright: ignore[reportArgumentType]
    monkeypatch.setattr(PemVenue, "answer", dict(VIEW_ONLY))
    monkeypatch.setattr(PemVenue, "reject", False)
    monkeypatch.setattr(PemVenue, "checked", [])
    yield PemVenue
