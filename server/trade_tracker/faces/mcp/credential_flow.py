"""``store_credential``: collect an API key out of band, never through the chat.

The MCP spec (2025-11-25) forbids collecting API keys by form elicitation and requires
URL mode: the client sends the user to a URL and the secret never transits the client.
So the tool starts a one-time page on 127.0.0.1 (``credential_page.py``) and:

- on a connection with a back-channel (the ``initialize`` handshake), asks the client
  with ``elicitation/create`` (mode ``url``), then waits for the page's outcome;
- on a stateless 2026-07-28 connection (no back-channel), answers with the
  ``URLElicitationRequired`` error carrying the URL; the client shows it and calls
  the tool again, which then reports the page's outcome;
- when the client declares no URL elicitation at all, answers with the exact CLI
  command to run instead, complete for this server's setup (``credential_command``:
  the install's absolute path, ``--home``, ``EX_BASE_URL``, and a note on the vault key).

The tool's arguments and results never hold a secret, nor the one-time page's URL
(its token goes to the client, for the user, never into the model's transcript):
only the label, a status and the key's fingerprint.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mcp.shared.exceptions import NoBackChannelError, UrlElicitationRequiredError
from mcp.types import ElicitRequestURLParams

from trade_tracker.credentials.models import VIEW_ONLY_WARNING
from trade_tracker.errors import CredentialExists
from trade_tracker.labels import check_label

from ..shapes import StoreCredentialOut
from .credential_command import setup_command, setup_notes
from .credential_page import OneTimeCredentialPage, PageOutcome
from .venue_text import VENUE

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from trade_tracker.app import TradeTracker

__all__ = ["request_credential"]

log = logging.getLogger("trade_tracker.mcp")

#: How long the tool call itself waits for the user to submit the page (the page lives 10 minutes).
WAIT_SECONDS = 300.0


def _supports_url_elicitation(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    return bool(caps and caps.elicitation and caps.elicitation.url is not None)


def _message(label: str) -> str:
    return (
        f"Open this one-time local page to enter the {VENUE.title} API key for '{label}'. "
        "The key never passes through the chat. " + VIEW_ONLY_WARNING
    )


async def _close(tracker: TradeTracker, label: str, page: OneTimeCredentialPage) -> None:
    """The page is done with: stop serving it, and drop any client cached for a label it may have replaced."""
    if tracker.credential_pages.get(label) is page:  # not a newer page that replaced it
        del tracker.credential_pages[label]
    await page.stop()
    await tracker.forget_client(label)


async def _open_page(tracker: TradeTracker, label: str) -> OneTimeCredentialPage:
    """A new one-time page for ``label``, replacing the one still open for it (whose URL then stops working).

    At most one page per label is open: the new page takes the label's slot before anything is awaited,
    so of two concurrent calls the later one replaces the earlier one's page, never leaves it running.
    """
    pages: dict[str, OneTimeCredentialPage] = tracker.credential_pages
    old = pages.get(label)
    page = OneTimeCredentialPage(tracker.credentials)
    pages[label] = page
    if old is not None:
        await old.stop()
    try:
        await page.start(label)  # checks the label is valid and free before anything listens
    except BaseException:
        if pages.get(label) is page:
            del pages[label]
        raise
    return page


def _replaced(label: str, cli: str) -> StoreCredentialOut:
    return StoreCredentialOut(
        label=label,
        status="cancelled",
        cli_command=cli,
        message="A newer store_credential call for this label opened a new page; the earlier link no longer works.",
    )


def _from_outcome(label: str, outcome: PageOutcome, cli: str) -> StoreCredentialOut:
    if outcome.status == "stored" and outcome.info is not None:
        note = " ".join(outcome.warnings)
        return StoreCredentialOut(
            label=label,
            status="stored",
            fingerprint=outcome.info.fingerprint,
            message=f"Stored credential '{label}' ({outcome.info.verify_status}). {note}".strip(),
            cli_command=cli,
        )
    if outcome.status == "failed":
        return StoreCredentialOut(
            label=label,
            status="failed",
            cli_command=cli,
            message=f"The key was not stored: {outcome.error}. Call store_credential again.",
        )
    return StoreCredentialOut(
        label=label,
        status=outcome.status,
        cli_command=cli,
        message=f"The one-time page {outcome.status}; call store_credential again to retry, "
        f"or run `{cli}` in a terminal.",
    )


def _refuse_existing(tracker: TradeTracker, label: str) -> None:
    """The page never replaces a key: for a label that holds one, name the complete ``--replace`` command."""
    try:
        tracker.credentials.check_new_label(label)
    except CredentialExists:
        cli = setup_command(tracker.settings, label, replace=True)
        raise CredentialExists(
            f"a credential labelled {label!r} is already stored and store_credential never replaces one; to replace "
            f"its key, ask the user to run `{cli}` in a terminal, or call store_credential with another label. "
            f"{setup_notes(tracker.settings)}".rstrip()
        ) from None


async def request_credential(ctx: Context, tracker: TradeTracker, label: str) -> StoreCredentialOut:
    """Run the out-of-band flow for ``label``; see the module docstring."""
    label = check_label(label)
    cli = setup_command(tracker.settings, label)
    pages: dict[str, OneTimeCredentialPage] = tracker.credential_pages

    page = pages.get(label)
    if page is not None and page.done:
        # The stateless flow's second call: report what the page did, once.
        await _close(tracker, label, page)
        assert page.outcome is not None
        return _from_outcome(label, page.outcome, cli)

    _refuse_existing(tracker, label)
    if not _supports_url_elicitation(ctx):
        return StoreCredentialOut(
            label=label,
            status="use_cli",
            cli_command=cli,
            message=f"This client cannot open a URL for secure entry. Ask the user to run `{cli}` in a terminal "
            "(it prompts for the key, secret and passphrase without echo; the key is usable at once), then "
            f"call list_credentials. {setup_notes(tracker.settings)}".rstrip(),
        )

    page = await _open_page(tracker, label)
    if page.done:  # an even newer call replaced it while it started
        return _replaced(label, cli)
    url, elicitation_id = page.url, page.elicitation_id

    try:
        answer: Any = await ctx.elicit_url(_message(label), url, elicitation_id)
    except NoBackChannelError:
        raise UrlElicitationRequiredError(
            [ElicitRequestURLParams(message=_message(label), url=url, elicitation_id=elicitation_id)],
            message=f"Open the one-time page to enter the key for '{label}', then call store_credential again.",
        ) from None

    return await _after_elicitation(ctx, tracker, label, page, answer.action, cli)


async def _after_elicitation(
    ctx: Context, tracker: TradeTracker, label: str, page: OneTimeCredentialPage, action: str, cli: str
) -> StoreCredentialOut:
    """The user answered the URL elicitation (``action``): wait for the page's outcome and report it."""
    pages = tracker.credential_pages
    elicitation_id = page.elicitation_id
    if action != "accept":
        await _close(tracker, label, page)
        return StoreCredentialOut(
            label=label,
            status="declined" if action == "decline" else "cancelled",
            cli_command=cli,
            message="The user did not open the page; nothing was stored.",
        )
    try:
        outcome = await page.wait(timeout=WAIT_SECONDS)
    except TimeoutError:
        # No URL here: the result reaches the model and the transcript, and the link holds a token.
        return StoreCredentialOut(
            label=label,
            status="waiting",
            cli_command=cli,
            message="The page is still open and waiting for the key; call store_credential "
            "again after the user submits it.",
        )
    replaced = outcome.status == "cancelled" and pages.get(label) not in (None, page)
    await _close(tracker, label, page)
    if replaced:
        return _replaced(label, cli)
    if outcome.status == "stored":
        try:
            await ctx.session.send_elicit_complete(elicitation_id, related_request_id=ctx.request_id)
        except Exception:  # the notification is a courtesy; the credential is stored either way
            log.debug("could not send elicitation/complete", exc_info=True)
    return _from_outcome(label, outcome, cli)
