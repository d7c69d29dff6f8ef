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
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trade_tracker.config import load_settings
from trade_tracker.credentials.models import CredentialInfo
from trade_tracker.credentials.service import CredentialService
from trade_tracker.errors import CredentialError, InvalidArgument
from trade_tracker.store.connection import TradeStore
from trade_tracker.venues.registry import PUBLIC_VENUE_IDS, venue_named

from .options import check_label_option, format_option
from .output import TrackerGroup, emit

if TYPE_CHECKING:
    from trade_tracker.credentials.models import AddResult
    from trade_tracker.venues.base import CredentialField, Venue, VenueInfo

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
    from ..shapes import venue_and_permissions

    shown = venue_and_permissions(info)
    out = {
        "label": info.label,
        "venue": shown["venue"],
        "source": info.source,
        "exchange": info.exchange,
        "fingerprint": info.fingerprint,
        "created": info.created_at,
        "verified": info.last_verified_at,
        "verify_status": info.verify_status,
        "permissions": info.permissions,
        "can_view": shown["can_view"],
        "can_trade": shown["can_trade"],
        "can_transfer": shown["can_transfer"],
        "base_url": info.base_url,
    }
    if info.portfolio is not None:  # only a venue that reports the key's portfolio (not Coinbase Exchange)
        out["portfolio"] = info.portfolio
    return out


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


def _read_fields(info: VenueInfo) -> dict[str, str]:
    """The key's fields as typed: Coinbase Exchange's three as today (:func:`_read_secrets`); a venue with a
    multi-line field (a PEM private key) one field after the other (:func:`_read_field`)."""
    if not any(f.multiline for f in info.fields):
        return dict(zip((f.name for f in info.fields), _read_secrets(), strict=False))
    return {f.name: _read_field(f) for f in info.fields}


def _read_field(field: CredentialField) -> str:
    """One field: a line, or for a multi-line field the lines of a paste up to its PEM END line or an
    empty line (a literal ``\\n`` in one line is taken as a line break). No echo on a terminal."""
    tty = _stdin_is_tty()
    if not field.multiline:
        value = getpass.getpass(f"{field.prompt}: ") if tty else sys.stdin.readline()
        if not tty and not value:
            raise InvalidArgument(f"expected the {field.prompt} on stdin, one line")
        return value.rstrip("\r\n")
    if tty:
        click.echo(f"{field.prompt}: paste it (not shown), then press Enter on an empty line", err=True)
    lines: list[str] = []
    while True:
        raw = getpass.getpass("") if tty else sys.stdin.readline()
        if not tty and not raw:  # end of input
            break
        line = raw.rstrip("\r\n")
        if not line.strip():
            if lines:
                break
            continue  # empty lines before the paste
        lines.extend(part for part in line.replace("\\n", "\n").split("\n") if part.strip())
        if lines and lines[-1].strip().startswith("-----END"):
            break
    if not lines:
        raise InvalidArgument(f"expected the {field.prompt} on stdin (a multi-line paste)")
    text = "\n".join(lines)
    return text + "\n" if lines[-1].strip().startswith("-----END") else text


def _read_key_file(venue: type[Venue], path: Path) -> dict[str, str]:
    """The fields of a downloaded key file, through the venue's ``fields_from_key_file``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise CredentialError(f"cannot read the key file {path}: {reason}") from None
    return venue.fields_from_key_file(text)


@click.group("credentials", cls=TrackerGroup)
def credentials() -> None:
    """Store, list, verify and remove encrypted Coinbase API keys, and re-key the vault."""


@credentials.command("add")
@click.option(
    "--label", required=True, callback=check_label_option, help="A name for the key: 1-64 of A-Z a-z 0-9 . _ -"
)
@click.option(
    "--venue",
    type=click.Choice(PUBLIC_VENUE_IDS),
    default="exchange",
    show_default=True,
    help="Whose key: Coinbase Exchange (key, secret, passphrase) or Coinbase Advanced Trade (a CDP key).",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read the key from the JSON file the venue's portal downloaded (Advanced Trade), not from a prompt.",
)
@click.option(
    "--allow-transfer-key",
    is_flag=True,
    help="Store a key that can transfer funds (refused by default: trade-tracker needs only View).",
)
@click.option("--no-verify", is_flag=True, help="Store without checking the key with the exchange (offline).")
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the key stored under LABEL in one step: the new key is verified first and swapped in "
    "one transaction; the old one stays if verification fails.",
)
def add_cmd(
    label: str, venue: str, key_file: Path | None, allow_transfer_key: bool, no_verify: bool, replace: bool
) -> None:
    """Add a key. Prompts without echo; from a pipe, reads key, secret and passphrase, one per line
    (a multi-line private key: pasted whole, up to its END line or an empty line)."""
    with _service() as service:
        if not replace:
            service.check_new_label(label)
        venue_cls = venue_named(venue)
        fields = _read_key_file(venue_cls, key_file) if key_file is not None else _read_fields(venue_cls.info)
        result: AddResult = _run(
            lambda: service.add_fields(
                label, fields, venue=venue, verify=not no_verify, replace=replace, allow_transfer_key=allow_transfer_key
            )
        )
        for warning in result.warnings:
            click.echo("warning: " + warning, err=True)
        emit({**_public(result.info), "warnings": result.warnings})
        if key_file is not None:
            click.echo(
                f"note: the plaintext key file {key_file} still exists; the key is now stored encrypted, so "
                f"delete the file: rm {shlex.quote(str(key_file))}",
                err=True,
            )


@credentials.command("list")
@format_option
def list_cmd() -> None:
    """List labels and fingerprints (never a secret)."""
    with _service() as service:
        rows = [_public(info) for info in service.list()]
    # the table leaves out the permissions' basis (a paragraph that made rows ~260 chars wide); JSON keeps it
    # and the stored venue value (``venue`` names it) and flags the venue does not report (None)
    terse = [
        {
            **{k: v for k, v in row.items() if k != "exchange" and not (k.startswith("can_") and v is None)},
            "permissions": {k: v for k, v in (row["permissions"] or {}).items() if k != "basis"},
        }
        for row in rows
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
    help="Send the key to its venue's base URL (EX_BASE_URL / AT_BASE_URL) even though it was verified with "
    "another URL, and bind it there if the venue accepts it. Only for a URL you trust with this key.",
)
@click.option(
    "--allow-transfer-key",
    is_flag=True,
    help="Keep using a key that can transfer funds (refused otherwise: trade-tracker needs View only).",
)
def verify_cmd(label: str | None, rebind: bool, allow_transfer_key: bool) -> None:
    """Check a key with its venue (an authenticated read; Advanced Trade: GET /key_permissions) and record
    the result; a key that can transfer funds is refused unless --allow-transfer-key.

    A stored key is only sent to the base URL it was verified with; --rebind moves it to the venue's setting.
    """
    with _service() as service:
        resolved = service.resolve_label(label)
        run = lambda: service.verify(resolved, rebind=rebind, allow_transfer_key=allow_transfer_key)  # noqa: E731
        emit(_public(_run(run)))


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
