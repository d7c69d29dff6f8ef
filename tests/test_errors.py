"""The exception tree: one base, drawn in the module docstring, and credential validation errors."""

from __future__ import annotations

import base64
import inspect
import os
import re

import pytest

from trade_tracker import errors
from trade_tracker.errors import InvalidCredential, TradeTrackerError
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential, decode_secret


def _exception_classes() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__
    }


def test_every_exported_class_derives_from_trade_tracker_error() -> None:
    assert errors.__all__, "errors.__all__ is empty"
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert inspect.isclass(cls), name
        assert issubclass(cls, TradeTrackerError), name


def test_all_lists_every_exception_class_defined() -> None:
    assert set(errors.__all__) == set(_exception_classes())
    assert errors.__all__ == sorted(errors.__all__)


def test_docstring_tree_mentions_every_class() -> None:
    doc = errors.__doc__ or ""
    words = set(re.findall(r"\b[A-Z][A-Za-z]+\b", doc))
    missing = [name for name in errors.__all__ if name not in words]
    assert not missing, f"classes missing from the errors.py docstring tree: {missing}"


def test_docstring_tree_matches_the_real_hierarchy() -> None:
    """Each class is drawn one level below its real parent (indentation = depth)."""
    doc = errors.__doc__ or ""
    depth: dict[str, int] = {}
    for line in doc.splitlines():
        m = re.match(r"^(\s*)[*+\-.~]\s+([A-Z][A-Za-z]+)\b", line)
        if m:
            depth[m.group(2)] = len(m.group(1))
    classes = _exception_classes()
    assert set(depth) == set(classes)
    for name, cls in classes.items():
        if cls is TradeTrackerError:
            continue
        parent = cls.__mro__[1].__name__
        assert depth[name] > depth[parent], f"{name} should be drawn under {parent}"


def test_every_class_has_a_docstring() -> None:
    for name, cls in _exception_classes().items():
        assert cls.__doc__ and cls.__doc__.strip(), name


def test_status_error_keeps_status_and_api_message() -> None:
    exc = errors.RateLimited("slow down", status_code=429, api_message="Private rate limit exceeded")
    assert isinstance(exc, errors.ExchangeStatusError)
    assert isinstance(exc, errors.ExchangeError)
    assert exc.status_code == 429
    assert exc.api_message == "Private rate limit exceeded"
    assert str(exc) == "slow down"


# -- ApiCredential validation ------------------------------------------------------------------

_GOOD_SECRET = base64.b64encode(os.urandom(64)).decode()
_PEM = (
    "-----BEGIN EC PRIVATE"
    " KEY-----\nMHcCAQEEIBvFakeFakeFakeFakeFakeFakeFakeFakeFakeoAoGCCqGSM49\n"
    "-----END EC PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("not*base64!!" + "A" * 80, "not valid base64"),
        (base64.b64encode(os.urandom(32)).decode(), "32 bytes"),
        (base64.b64encode(os.urandom(65)).decode(), "65 bytes"),
        (_GOOD_SECRET[:-4], "copied whole"),  # truncated copy-paste
        (_PEM, "PEM"),
        ("", "empty"),
        ("   ", "empty"),
    ],
    ids=["bad-base64", "32-bytes", "65-bytes", "truncated", "pem-cdp-key", "empty", "blank"],
)
def test_bad_secret_is_invalid_credential_without_echo(secret: str, expected: str) -> None:
    with pytest.raises(InvalidCredential) as info:
        ApiCredential(key="abc123", secret=secret, passphrase="pp-canary-123", label="desk")
    message = str(info.value)
    assert expected in message
    if secret.strip():
        assert secret.strip() not in message
        assert secret.strip()[:16] not in message
    assert "pp-canary-123" not in message
    assert isinstance(info.value, TradeTrackerError)


def test_pem_secret_names_cdp_key() -> None:
    with pytest.raises(InvalidCredential, match="CDP"):
        decode_secret(_PEM)


def test_empty_passphrase_is_invalid_credential() -> None:
    with pytest.raises(InvalidCredential, match="passphrase is empty"):
        ApiCredential(key="abc123", secret=_GOOD_SECRET, passphrase="")


def test_empty_key_is_invalid_credential() -> None:
    with pytest.raises(InvalidCredential, match="key is empty"):
        ApiCredential(key="  ", secret=_GOOD_SECRET, passphrase="pp")
    with pytest.raises(InvalidCredential):
        ApiCredential(key="", secret=_GOOD_SECRET, passphrase="pp")


def test_invalid_credential_errors_do_not_chain_the_value() -> None:
    """A base64 failure must not keep binascii's error (which may quote input) as context."""
    with pytest.raises(InvalidCredential) as info:
        decode_secret("####" + _GOOD_SECRET)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


def test_valid_secret_decodes_to_64_bytes() -> None:
    raw = os.urandom(64)
    assert decode_secret(base64.b64encode(raw).decode()) == raw
    assert decode_secret("  " + base64.b64encode(raw).decode() + "\n") == raw
