"""CDP API keys (Coinbase Advanced Trade): the key name and private key as pasted, checked once, as a :class:`CdpKey`.

Why one module: a CDP key arrives in several shapes (a portal JSON file, two pasted fields, two env
variables, a ``.env`` line with literal ``\\n``), and a wrong one otherwise surfaces only as the API's bare
``401 Unauthorized``. So the shape is read here, once, and every mistake we can recognise gets its own
:class:`~trade_tracker.errors.InvalidCredential` naming the fix:

- ECDSA P-256: a PEM block (SEC1 ``EC PRIVATE KEY`` or PKCS#8 ``PRIVATE KEY``),
  key name ``organizations/{org}/apiKeys/{id}``, signed ES256;
- Ed25519: base64 of 64 bytes (32-byte seed then its 32-byte public key: the portal's form, the halves must
  match), base64 of a 32-byte seed, or a PKCS#8 PEM; key id a UUID (the SDK README still shows the
  ``organizations/...`` form for it, so both are accepted), signed EdDSA;
- refused with a hint: a truncated or garbled PEM, an RSA or non-P-256 key, a public key, an encrypted
  PEM, a Coinbase Exchange secret or key, the key name and the secret swapped.

No message, repr or str ever holds secret material: only lengths, kinds and field names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from trade_tracker.errors import InvalidCredential

__all__ = [
    "KEY_FIELD",
    "SECRET_FIELD",
    "CdpKey",
    "CdpPrivateKey",
    "JwtAlgorithm",
    "cdp_fingerprint",
    "credential_from_fields",
    "fields_from_key_file",
    "parse_cdp_key",
    "read_key_file",
]

JwtAlgorithm = Literal["ES256", "EdDSA"]
#: The credential fields (SPEC-15 ``VenueInfo``): the key name (public) and the private key (secret).
KEY_FIELD = "key_name"
SECRET_FIELD = "private_key"
CdpPrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_ORG_KEY_NAME = re.compile(r"organizations/[\w-]+/apiKeys/[\w-]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: A Coinbase Exchange API key: 32 hex characters.
_EXCHANGE_KEY = re.compile(r"[0-9a-fA-F]{32}")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_EXCHANGE_HINT = "this looks like a Coinbase Exchange secret; add it with --venue exchange"
_ED_NAME_HINT = (
    "an Ed25519 key id is a UUID such as 1b2c3d4e-...-0a1b2c3d4e5f (some Coinbase pages show the "
    "organizations/{org}/apiKeys/{id} form instead; both are accepted)"
)


def cdp_fingerprint(key_name: str) -> str:
    """A short, stable, non-reversible label for a key name: its last 4 characters and a hash prefix."""
    digest = hashlib.sha256(key_name.encode("utf-8")).hexdigest()[:12]
    return f"…{key_name[-4:]} sha256:{digest}"


@dataclass(frozen=True, repr=False, eq=False)
class CdpKey:
    """One CDP API key in memory: its name (public), its private key and the JWT algorithm it signs with.

    Its repr and str show the label, the name's fingerprint and the algorithm only; it refuses pickling.
    """

    key_name: str
    private_key: CdpPrivateKey
    algorithm: JwtAlgorithm
    label: str = "unnamed"

    @property
    def fingerprint(self) -> str:
        return cdp_fingerprint(self.key_name)

    @property
    def key_type(self) -> str:
        return "ECDSA P-256" if self.algorithm == "ES256" else "Ed25519"

    def __repr__(self) -> str:
        return f"CdpKey(label={self.label!r}, key={self.fingerprint!r}, algorithm={self.algorithm!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # never pickle a private key into a file by accident
        raise TypeError("CdpKey cannot be pickled")


def _unquote(text: str) -> str:
    """Surrounding whitespace and one pair of matching quotes (a ``.env`` value pasted as it is) removed."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _normalised_secret(secret: str) -> str:
    text = _unquote(secret)
    # Literal backslash escapes from a .env file or a JSON string pasted raw become real newlines.
    return text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r\n", "\n").strip()


def _rewrapped_pem(text: str) -> bytes:
    """The PEM block re-wrapped at 64 columns, so a paste whose newlines became spaces still loads."""
    match = _PEM_BLOCK.search(text)
    if match is None:
        raise InvalidCredential(
            "the private key starts like a PEM block but has no matching -----END ...----- line: it was "
            "truncated when copied; copy the whole privateKey value, or import the downloaded key file"
        )
    kind, body = match[1], "".join(match[2].split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]) + "\n").encode("ascii")


def _pem_kind_problem(kind: str) -> str | None:
    if kind == "RSA PRIVATE KEY":
        return "the private key is an RSA key; a CDP key is ECDSA (P-256) or Ed25519: create a new key in the portal"
    if kind in ("PUBLIC KEY", "EC PUBLIC KEY"):
        return "this is a public key; paste the private key (the privateKey field of the key file)"
    if kind == "ENCRYPTED PRIVATE KEY":
        return "the private key PEM is encrypted; use the unencrypted privateKey the CDP portal downloads"
    if kind not in ("EC PRIVATE KEY", "PRIVATE KEY"):
        return f"the PEM block is a {kind[:30]!r}, not a private key; paste the privateKey field of the key file"
    return None


def _load_pem(text: str) -> CdpPrivateKey:
    if not text.isascii():
        raise InvalidCredential("the private key PEM contains non-ASCII characters; copy it again from the key file")
    pem = _rewrapped_pem(text)
    match = _PEM_BLOCK.search(pem.decode("ascii"))
    assert match is not None  # _rewrapped_pem wrote exactly that block
    problem = _pem_kind_problem(match[1])
    if problem:
        raise InvalidCredential(problem)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise InvalidCredential(_pem_kind_problem("ENCRYPTED PRIVATE KEY") or "") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidCredential(
            "the private key PEM is damaged (truncated or garbled while copying) and does not load; copy the "
            "whole privateKey value again, or import the downloaded key file"
        ) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise InvalidCredential(
                f"the private key is an EC key on curve {key.curve.name}, but a CDP ECDSA key uses P-256 "
                "(secp256r1); create a new key in the portal"
            )
        return key
    raise InvalidCredential(
        f"the private key is a {type(key).__name__.removeprefix('_').replace('PrivateKey', '')} key; a CDP key is "
        "ECDSA (P-256) or Ed25519"
    )


def _load_raw_ed25519(text: str) -> ed25519.Ed25519PrivateKey:
    compact = "".join(text.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        words = text.split()
        if len(words) >= 2 and _is_base64(words[0]):
            raise InvalidCredential(
                f"the private key holds a base64 secret and more words (a passphrase?): {_EXCHANGE_HINT}"
            ) from None
        raise InvalidCredential(
            "the private key is neither a PEM block (-----BEGIN ...) nor base64; paste the privateKey value "
            "exactly as the CDP portal showed it"
        ) from None
    if len(raw) not in (32, 64):
        raise InvalidCredential(
            f"the private key decodes to {len(raw)} bytes, but a CDP Ed25519 secret decodes to 32 or 64; "
            "if it is a Coinbase Exchange secret, add it with --venue exchange"
        )
    key = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
    if len(raw) == 64:
        public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if public != raw[32:]:
            raise InvalidCredential(
                f"{_EXCHANGE_HINT} (base64 of 64 bytes whose second half is not the public key of the first, "
                "as a CDP Ed25519 secret's is)"
            )
    return key


def _is_base64(word: str) -> bool:
    try:
        return len(base64.b64decode(word, validate=True)) >= 32
    except (binascii.Error, ValueError):
        return False


def _looks_like_secret(text: str) -> bool:
    if "-----BEGIN" in text:
        return True
    compact = "".join(text.split())
    return len(compact) >= 40 and not _ORG_KEY_NAME.fullmatch(compact) and _is_base64(compact)


def _check_key_name(key_name: str, algorithm: JwtAlgorithm) -> str:
    name = _unquote(key_name)
    if not name:
        raise InvalidCredential("the key name is empty; give the key's name (or id) from the CDP portal")
    if _looks_like_secret(name):
        raise InvalidCredential(
            "the key name looks like a private key: the key name and the private key were swapped; the key name "
            "is the name (or id) field of the key file, the private key its privateKey field"
        )
    if not name.isprintable() or any(c.isspace() for c in name):
        raise InvalidCredential("the key name contains spaces or control characters; copy it again")
    if _EXCHANGE_KEY.fullmatch(name):
        raise InvalidCredential(
            "the key name looks like a Coinbase Exchange API key (32 hex characters); add it with --venue exchange"
        )
    if algorithm == "ES256" and not _ORG_KEY_NAME.fullmatch(name):
        raise InvalidCredential(
            "an ECDSA (EC PEM) CDP key's name looks like organizations/{org}/apiKeys/{id}; this one does not: "
            "give the name field of the key file, or check that name and private key belong to the same key"
        )
    if algorithm == "EdDSA" and not (_UUID.fullmatch(name) or _ORG_KEY_NAME.fullmatch(name)):
        raise InvalidCredential(f"the key id does not fit an Ed25519 key: {_ED_NAME_HINT}")
    return name


def parse_cdp_key(key_name: str, secret: str, *, label: str = "unnamed") -> CdpKey:
    """The key ``key_name`` with private key ``secret`` as pasted, checked: the key type comes from the
    secret's shape (a PEM loads as EC P-256 or Ed25519; bare base64 is an Ed25519 seed). Raises
    :class:`InvalidCredential` naming what to fix; never echoes the secret."""
    text = _normalised_secret(secret)
    if not text:
        raise InvalidCredential("the private key is empty; paste the privateKey value of the key file")
    if _UUID.fullmatch(text) or _ORG_KEY_NAME.fullmatch(text):
        raise InvalidCredential("the private key looks like a key name: the key name and the private key were swapped")
    if "-----BEGIN" in text:
        private_key: CdpPrivateKey = _load_pem(text[text.index("-----BEGIN") :])
    else:
        private_key = _load_raw_ed25519(text)
    algorithm: JwtAlgorithm = "EdDSA" if isinstance(private_key, ed25519.Ed25519PrivateKey) else "ES256"
    return CdpKey(_check_key_name(key_name, algorithm), private_key, algorithm, label)


def _field_names(data: dict[str, object]) -> str:
    names = [str(k)[:40] for k in list(data)[:12]]
    shown = ", ".join(repr(n) for n in names) or "none"
    return shown + (", ..." if len(data) > 12 else "")


def read_key_file(text: str) -> tuple[str, str]:
    """The ``(key_name, private_key)`` of a CDP portal key file: JSON with ``name`` (ECDSA) or ``id``
    (Ed25519) and ``privateKey``; other fields are ignored. Raises :class:`InvalidCredential` naming the
    fields expected and found (names only, never a value)."""
    try:
        data: object = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidCredential(
            'the key file is not JSON; a CDP key file looks like {"name": ..., "privateKey": ...} (without '
            "a key file, enter the key name and the private key instead)"
        ) from None
    if not isinstance(data, dict):
        raise InvalidCredential("the key file holds JSON but not an object with the fields name (or id) and privateKey")
    fields = cast("dict[str, object]", data)
    name = fields.get("name") or fields.get("id")
    secret = fields.get("privateKey")
    if isinstance(name, str) and name.strip() and isinstance(secret, str) and secret.strip():
        return name, secret
    hint = " (publicKey is not the private key)" if "publicKey" in fields and "privateKey" not in fields else ""
    not_text = [n for n in ("name", "id", "privateKey") if n in fields and not isinstance(fields[n], str)]
    if not_text:
        hint += f" ({' and '.join(not_text)} {'is' if len(not_text) == 1 else 'are'} not text)"
    raise InvalidCredential(
        f"the key file needs the text fields name (or id) and privateKey; it has: {_field_names(fields)}{hint}"
    )


def fields_from_key_file(text: str) -> dict[str, str]:
    """A key file's credential fields (``key_name``, ``private_key``): the venue hook's body."""
    key_name, secret = read_key_file(text)
    return {KEY_FIELD: key_name, SECRET_FIELD: secret}


def credential_from_fields(fields: Mapping[str, str], *, label: str = "unnamed") -> CdpKey:
    """The typed key of the credential fields ``key_name`` and ``private_key`` (the venue hook's body);
    a missing field or a bad shape is an :class:`InvalidCredential` naming it, never echoing a value."""
    missing = [name for name in (KEY_FIELD, SECRET_FIELD) if not str(fields.get(name) or "").strip()]
    if missing:
        raise InvalidCredential(f"a Coinbase Advanced Trade key needs {' and '.join(missing)}")
    return parse_cdp_key(fields[KEY_FIELD], fields[SECRET_FIELD], label=label)
