"""``trade-tracker credentials ...``: the CLI face of :mod:`trade_tracker.credentials`.

Every command prints JSON on stdout (indented on a terminal, one line when piped, or
as the main group's ``--pretty/--compact`` says) and never a secret. Errors are one
line on stderr, ``error: ...``, with the same exit codes as the rest of the CLI:

    2  usage: a bad option or label, three lines expected on stdin, a bad setting
    3  auth or credential: the exchange rejected (401) or refused (403) the key; a malformed
       key/secret/passphrase; an unknown or already used label
    4  network: the exchange could not be reached or failed
    5  data: the vault key, the key file's permissions, the trade store, an unexpected answer

``cli.py`` loads this group lazily (its imports would slow ``trade-tracker --help``).
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from trade_tracker.config import load_settings
from trade_tracker.credentials.models import CredentialInfo
from trade_tracker.credentials.service import CredentialService
from trade_tracker.errors import (
    InvalidArgument,
)
from trade_tracker.store.connection import TradeStore

from .options import check_label_option, format_option
from .output import TrackerGroup, emit

__all__ = ["credentials"]


@contextmanager
def _service() -> Iterator[CredentialService]:
    """Settings, store and service for one command (errors go to the CLI's one boundary)."""
    settings = load_settings()
    with TradeStore(settings.db_path) as store:
        yield CredentialService(store, settings)


def _run(coro_fn: Callable[[], Any]) -> Any:
    return asyncio.run(coro_fn())


def _public(info: CredentialInfo) -> dict[str, Any]:
    return {
        "label": info.label,
        "source": info.source,
        "exchange": info.exchange,
        "fingerprint": info.fingerprint,
        "created": info.created_at,
        "verified": info.last_verified_at,
        "verify_status": info.verify_status,
        "permissions": info.permissions,
        "base_url": info.base_url,
    }


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _read_secrets() -> tuple[str, str, str]:
    """Prompt without echo on a terminal; otherwise read three lines: key, secret, passphrase."""
    stdin = sys.stdin
    if _stdin_is_tty():
        return (
            getpass.getpass("API key: "),
            getpass.getpass("API secret: "),
            getpass.getpass("API passphrase: "),
        )
    lines = [stdin.readline() for _ in range(3)]
    if not all(lines):
        raise InvalidArgument("expected three lines on stdin: the API key, the API secret, the passphrase")
    key, secret, passphrase = (line.rstrip("\r\n") for line in lines)
    return key, secret, passphrase


@click.group("credentials", cls=TrackerGroup)
def credentials() -> None:
    """Store, list, verify and remove encrypted Coinbase Exchange API keys, and re-key the vault."""


@credentials.command("add")
@click.option(
    "--label", required=True, callback=check_label_option, help="A name for the key: 1-64 of A-Z a-z 0-9 . _ -"
)
@click.option("--no-verify", is_flag=True, help="Store without checking the key with the exchange (offline).")
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the key stored under LABEL in one step: the new key is verified first and swapped in "
    "one transaction; the old one stays if verification fails.",
)
def add_cmd(label: str, no_verify: bool, replace: bool) -> None:
    """Add a key. Prompts without echo; from a pipe, reads key, secret and passphrase, one per line."""
    with _service() as service:
        if not replace:
            service.check_new_label(label)
        key, secret, passphrase = _read_secrets()
        result = _run(lambda: service.add(label, key, secret, passphrase, verify=not no_verify, replace=replace))
        for warning in result.warnings:
            click.echo("warning: " + warning, err=True)
        emit({**_public(result.info), "warnings": result.warnings})


@credentials.command("list")
@format_option
def list_cmd() -> None:
    """List labels and fingerprints (never a secret)."""
    with _service() as service:
        rows = [_public(info) for info in service.list()]
    # the table leaves out the permissions' basis (a paragraph that made rows ~260 chars wide); JSON keeps it
    terse = [
        {**row, "permissions": {k: v for k, v in (row["permissions"] or {}).items() if k != "basis"}} for row in rows
    ]
    emit(rows, table=True, table_data=terse)


@credentials.command("verify")
@click.option(
    "--label",
    default=None,
    callback=check_label_option,
    help="The credential to check (default: the only one, or env).",
)
@click.option(
    "--rebind",
    is_flag=True,
    help="Send the key to EX_BASE_URL even though it was verified with another URL, and bind it there "
    "if the exchange accepts it. Only for a URL you trust with this key.",
)
def verify_cmd(label: str | None, rebind: bool) -> None:
    """Check a key with an authenticated GET /accounts and record the result.

    A stored key is only sent to the base URL it was verified with; --rebind moves it to EX_BASE_URL.
    """
    with _service() as service:
        resolved = service.resolve_label(label)
        emit(_public(_run(lambda: service.verify(resolved, rebind=rebind))))


@credentials.command("remove")
@click.option("--label", required=True, callback=check_label_option)
def remove_cmd(label: str) -> None:
    """Delete a stored key."""
    with _service() as service:
        if not service.remove(label):
            service.resolve_label(label)  # raises CredentialNotFound naming the known labels
        emit({"removed": label})


@credentials.command("rotate-key")
def rotate_key_cmd() -> None:
    """Re-encrypt every credential under the newest vault key, then drop the old key.

    \b
    Key file or keyring: a new key is generated; nothing else to do.
    FIELD_ENCRYPTION_KEY: put a new key first (NEW,OLD), run this, then set it to NEW.
    """
    with _service() as service:
        emit(service.rotate_key().model_dump())
