"""CDP key parsing: both key types in every shape, and a clear error (never echoing the secret) for each mistake."""

from __future__ import annotations

import base64
import os
import pickle

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from cdp_keys import ORG_NAME, ec_pem, ed_b64_64, ed_key, ed_pkcs8, ed_public, ed_seed, key_file, new_uuid
from trade_tracker.errors import CredentialError, InvalidCredential
from trade_tracker.venues.coinbase_advanced.keys import (
    CdpKey,
    cdp_fingerprint,
    credential_from_fields,
    fields_from_key_file,
    parse_cdp_key,
    read_key_file,
)


def _same_ed(key: CdpKey, expected: ed25519.Ed25519PrivateKey) -> bool:
    assert isinstance(key.private_key, ed25519.Ed25519PrivateKey)
    return ed_public(key.private_key) == ed_public(expected)


def test_ec_pem_is_es256() -> None:
    pem, private = ec_pem()
    key = parse_cdp_key(ORG_NAME, pem, label="main")
    assert key.algorithm == "ES256" and key.key_name == ORG_NAME and key.label == "main"
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    assert key.private_key.private_numbers() == private.private_numbers()


def test_ec_pem_with_literal_backslash_n_quotes_and_spaces() -> None:
    pem, private = ec_pem()
    pasted = '  "' + pem.strip().replace("\n", "\\n") + '"  \n'
    key = parse_cdp_key(f"  {ORG_NAME}\n", pasted)
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    assert key.private_key.private_numbers() == private.private_numbers()
    assert key.key_name == ORG_NAME


def test_ec_pem_whose_newlines_became_spaces_still_loads() -> None:
    pem, private = ec_pem()
    key = parse_cdp_key(ORG_NAME, pem.replace("\n", " "))
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    assert key.private_key.private_numbers() == private.private_numbers()


def test_pkcs8_ec_pem_is_es256() -> None:
    _, private = ec_pem()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert parse_cdp_key(ORG_NAME, pem).algorithm == "ES256"


@pytest.mark.parametrize("shape", ["b64_64", "b64_32", "pkcs8", "pkcs8_escaped"])
def test_ed25519_shapes_are_eddsa(shape: str) -> None:
    private = ed_key()
    secret = {
        "b64_64": ed_b64_64(private),
        "b64_32": base64.b64encode(ed_seed(private)).decode(),
        "pkcs8": ed_pkcs8(private),
        "pkcs8_escaped": ed_pkcs8(private).replace("\n", "\\n"),
    }[shape]
    key = parse_cdp_key(new_uuid(), secret)
    assert key.algorithm == "EdDSA" and _same_ed(key, private)


def test_ed25519_accepts_the_organizations_name_form_too() -> None:
    assert parse_cdp_key(ORG_NAME, ed_b64_64(ed_key())).algorithm == "EdDSA"


def test_truncated_pem_is_a_clear_error() -> None:
    pem, _ = ec_pem()
    truncated = pem[: len(pem) // 2]
    with pytest.raises(InvalidCredential, match="truncated") as info:
        parse_cdp_key(ORG_NAME, truncated)
    assert truncated.splitlines()[1][:20] not in str(info.value)


def test_garbled_pem_body_is_a_clear_error() -> None:
    pem, _ = ec_pem()
    lines = pem.splitlines()
    lines[1] = lines[1][:10] + lines[1][20:]
    with pytest.raises(InvalidCredential, match="damaged"):
        parse_cdp_key(ORG_NAME, "\n".join(lines))


def test_rsa_and_other_curves_are_refused() -> None:
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(InvalidCredential, match="RSA"):
        parse_cdp_key(ORG_NAME, rsa_pem)
    p384, _ = ec_pem(ec.SECP384R1())
    with pytest.raises(InvalidCredential, match="P-256"):
        parse_cdp_key(ORG_NAME, p384)


def test_public_key_pem_is_refused() -> None:
    _, private = ec_pem()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidCredential, match="public key"):
        parse_cdp_key(ORG_NAME, public.decode())


def test_exchange_secret_given_as_cdp_key_says_use_venue_exchange() -> None:
    exchange_secret = base64.b64encode(os.urandom(64)).decode()
    with pytest.raises(InvalidCredential, match="Coinbase Exchange secret; add it with --venue exchange") as info:
        parse_cdp_key(new_uuid(), exchange_secret)
    assert exchange_secret not in str(info.value)
    with pytest.raises(InvalidCredential, match="--venue exchange"):
        parse_cdp_key(new_uuid(), base64.b64encode(os.urandom(48)).decode())
    with pytest.raises(InvalidCredential, match="--venue exchange"):
        parse_cdp_key(new_uuid(), exchange_secret + " my-passphrase")
    with pytest.raises(InvalidCredential, match="Exchange API key.*--venue exchange"):
        parse_cdp_key(os.urandom(16).hex(), ed_b64_64(ed_key()))


def test_key_name_that_does_not_fit_the_key_type() -> None:
    pem, _ = ec_pem()
    with pytest.raises(InvalidCredential, match="organizations/"):
        parse_cdp_key(new_uuid(), pem)
    with pytest.raises(InvalidCredential, match="UUID.*both are accepted"):
        parse_cdp_key("my-key", ed_b64_64(ed_key()))


def test_key_name_and_secret_swapped() -> None:
    pem, _ = ec_pem()
    with pytest.raises(InvalidCredential, match="swapped") as info:
        parse_cdp_key(pem, ORG_NAME)
    with pytest.raises(InvalidCredential, match="swapped") as info:
        parse_cdp_key(pem, pem)
    assert "BEGIN" not in str(info.value)


def test_empty_and_non_base64_secrets() -> None:
    with pytest.raises(InvalidCredential, match="empty"):
        parse_cdp_key(ORG_NAME, "  ")
    with pytest.raises(InvalidCredential, match="neither a PEM"):
        parse_cdp_key(ORG_NAME, "not*base64!")
    with pytest.raises(InvalidCredential, match="key name is empty"):
        parse_cdp_key("", ed_b64_64(ed_key()))


def test_repr_str_and_pickle_never_show_the_key() -> None:
    private = ed_key()
    secret = ed_b64_64(private)
    key = parse_cdp_key(new_uuid(), secret, label="main")
    for text in (repr(key), str(key), f"{key}"):
        assert secret not in text and secret[:16] not in text and "main" in text and "EdDSA" in text
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_errors_are_credential_errors() -> None:
    assert issubclass(InvalidCredential, CredentialError)


# -- key files ---------------------------------------------------------------------------------


def test_key_file_ecdsa_and_ed25519() -> None:
    pem, _ = ec_pem()
    assert read_key_file(key_file("name", ORG_NAME, pem)) == (ORG_NAME, pem)
    key_id, secret = new_uuid(), ed_b64_64(ed_key())
    name, got = read_key_file(key_file("id", key_id, secret))
    assert (name, got) == (key_id, secret)
    assert parse_cdp_key(name, got).algorithm == "EdDSA"


def test_key_file_with_wrong_fields_names_the_fields_only() -> None:
    secret = ed_b64_64(ed_key())
    text = '{"keyName": "x", "publicKey": "' + secret + '"}'
    with pytest.raises(InvalidCredential) as info:
        read_key_file(text)
    message = str(info.value)
    assert "name (or id) and privateKey" in message and "'keyName'" in message and "'publicKey'" in message
    assert "publicKey is not the private key" in message
    assert secret not in message


@pytest.mark.parametrize("text", ["not json " + "A" * 50, "[1, 2]", '"x"'])
def test_key_file_not_a_json_object(text: str) -> None:
    with pytest.raises(InvalidCredential, match="key file") as info:
        read_key_file(text)
    assert "AAAAAAAA" not in str(info.value)


# -- the venue hooks' bodies ---------------------------------------------------------------------


def test_fields_from_key_file_and_credential_from_fields() -> None:
    pem, _ = ec_pem()
    fields = fields_from_key_file(key_file("name", ORG_NAME, pem))
    assert fields == {"key_name": ORG_NAME, "private_key": pem}
    key = credential_from_fields(fields, label="main")
    assert key.algorithm == "ES256" and key.label == "main"
    assert key.fingerprint == cdp_fingerprint(ORG_NAME) and key.fingerprint.startswith("…6666 sha256:")
    with pytest.raises(InvalidCredential, match="needs private_key$") as info:
        credential_from_fields({"key_name": ORG_NAME, "private_key": "  "})
    with pytest.raises(InvalidCredential, match="needs key_name and private_key"):
        credential_from_fields({})
    assert pem not in str(info.value)


def test_a_key_file_field_that_is_not_text_is_named() -> None:
    from trade_tracker.errors import InvalidCredential
    from trade_tracker.venues.coinbase_advanced.keys import read_key_file

    with pytest.raises(InvalidCredential, match="privateKey is not text"):
        read_key_file('{"name": "organizations/o/apiKeys/k", "privateKey": 5}')
