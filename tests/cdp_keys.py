"""CDP test keys, generated per test run (never committed): both key types in every shape the portal uses."""

from __future__ import annotations

import base64
import json
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ORG_NAME = "organizations/0f1e2d3c-aaaa-bbbb-cccc-000011112222/apiKeys/9a8b7c6d-1111-2222-3333-444455556666"


def ec_pem(curve: ec.EllipticCurve | None = None) -> tuple[str, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(curve or ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    return pem, key


def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def ed_seed(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def ed_public(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed_b64_64(key: ed25519.Ed25519PrivateKey) -> str:
    """The portal's form: base64 of the 32-byte seed then the 32-byte public key."""
    return base64.b64encode(ed_seed(key) + ed_public(key)).decode()


def ed_pkcs8(key: ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def new_uuid() -> str:
    return str(uuid.uuid4())


def key_file(name_field: str, name: str, secret: str) -> str:
    return json.dumps({name_field: name, "privateKey": secret, "nickname": "tracker", "scopes": ["view"]})
