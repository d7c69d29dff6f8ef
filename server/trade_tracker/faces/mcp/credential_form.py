"""The one-time credential page's form, built from the venue's ``info.fields``, and the fields it sends back.

Why apart from ``credential_page.py`` (the server, its checks, its lifecycle): what the user types differs
per venue. Coinbase Exchange: key, secret, passphrase, each one line. A venue with a multi-line field
(Advanced Trade's PEM private key) gets a textarea for it and, because its portal downloads the key as a
JSON file, a "paste the JSON" textarea and a file picker that reads the file in the browser and puts its
text in that textarea (one small inline script, allowed by a per-page nonce; nothing is uploaded
anywhere but this page's own POST). Every shown value is HTML-escaped.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from trade_tracker.credentials.models import VIEW_ONLY_WARNING

if TYPE_CHECKING:
    from trade_tracker.venues.base import CredentialField, Venue, VenueInfo

__all__ = ["KEY_FILE_FIELD", "POLICY_NOTE", "FormPage", "fields_from_form", "form_page", "has_key_files"]

#: The form field holding a pasted (or picked) key file's JSON text.
KEY_FILE_FIELD = "key_file"
POLICY_NOTE = (
    "trade-tracker needs only View. It checks what this key may do: a key that can transfer funds is refused "
    "(create a View-only key), and one that can trade is stored with a warning."
)
_PICK_SCRIPT = """
document.getElementById("pick").addEventListener("change", function (event) {
  var file = event.target.files[0];
  if (!file) { return; }
  file.text().then(function (text) { document.getElementById("key_file").value = text; });
});"""


class FormPage:
    """What the page serves for the form: its title, body, and the CSP when it carries a script."""

    def __init__(self, title: str, body: str, csp: str | None = None) -> None:
        self.title = title
        self.body = body
        self.csp = csp


def has_key_files(info: VenueInfo) -> bool:
    """Whether the venue's keys come as a downloaded file: those with a multi-line (PEM) field do."""
    return any(f.multiline for f in info.fields)


def _input(field: CredentialField, first: bool, required: bool) -> str:
    """One field's control: the key as text, a secret as a password input, a multi-line one as a textarea."""
    name, need = _e(field.name), " required" if required else ""
    if field.multiline:
        return (
            f'<label>{_e(field.prompt)} <textarea name="{name}" rows="6"{need} autocomplete="off" '
            'spellcheck="false"></textarea></label>'
        )
    if first:
        return f'<label>{_e(field.prompt)} <input name="{name}"{need} autocomplete="off" spellcheck="false"></label>'
    return f'<label>{_e(field.prompt)} <input name="{name}" type="password"{need} autocomplete="off"></label>'


def form_page(venue: type[Venue], label: str, base_url: str, action: str, minutes: int, base_csp: str) -> FormPage:
    """The form for ``venue``'s key: one input per field (a textarea for a multi-line one), and for a venue
    with key files the JSON paste / file picker, with a nonce'd script added to ``base_csp``."""
    info = venue.info
    warning = POLICY_NOTE if info.reports_permissions else VIEW_ONLY_WARNING
    # with key files, the typed fields are optional: the JSON may hold them instead
    required = not has_key_files(info)
    inputs = "\n  ".join(_input(f, i == 0, required) for i, f in enumerate(info.fields))
    script, csp = "", None
    if has_key_files(info):
        nonce = secrets.token_urlsafe(16)
        inputs += (
            '\n  <p class="small">Or paste the key file (JSON) the portal downloaded, or pick it: it is read here, '
            "in your browser, and sent only with this form.</p>"
            f'\n  <label>Key file (JSON) <textarea name="{KEY_FILE_FIELD}" id="{KEY_FILE_FIELD}" rows="6" '
            'autocomplete="off" spellcheck="false"></textarea></label>'
            '\n  <label>Key file <input type="file" id="pick" accept=".json,application/json"></label>'
        )
        script = f'\n<script nonce="{nonce}">{_PICK_SCRIPT}\n</script>'
        csp = f"{base_csp}; script-src 'nonce-{nonce}'"
    body = f"""
<p>Label <code>{_e(label)}</code> &middot; exchange <code>{_e(base_url)}</code></p>
<p class="warn">{_e(warning)}</p>
<form method="post" action="{_e(action)}" autocomplete="off">
  {inputs}
  <button type="submit">Store encrypted</button>
</form>
<p class="small">This link works once and expires in about {minutes} minute(s). What you type goes only to
trade-tracker on this computer, which encrypts it before storing it and shows only the key's fingerprint.</p>{script}"""
    return FormPage(f"Store a {info.title} API key", body, csp)


def fields_from_form(venue: type[Venue], form: Mapping[str, list[str]]) -> dict[str, str]:
    """The key's fields from the submitted form: from the key file's JSON when one was pasted or picked
    (through the venue's ``fields_from_key_file``), else each of ``info.fields`` as typed."""
    pasted = form.get(KEY_FILE_FIELD, [""])[0]
    if has_key_files(venue.info) and pasted.strip():
        return venue.fields_from_key_file(pasted)
    return {f.name: form.get(f.name, [""])[0] for f in venue.info.fields}


def _e(text: str) -> str:
    return html.escape(text, quote=True)
