"""Credential labels: the one rule for what a label may be, checked the same way by both faces.

A label names a stored credential (and the fills synced with it). The CLI's ``--label``
options, the MCP tools' ``label`` arguments and the credential service all call
:func:`check_label`, so a value one face accepts the other accepts too. The rule is a
*full* match: Python's ``$`` would also match before a trailing newline, which let
``"main\\n"`` through the CLI while the MCP schema refused it.

Dependency-free (``re`` and ``errors``), so the CLI and the MCP server can import it at start.
"""

from __future__ import annotations

import re

from .errors import InvalidArgument

__all__ = ["ENV_ADVANCED_LABEL", "ENV_LABEL", "LABEL_PATTERN", "check_label"]

#: The reserved label of the credential read from ``EX_API_*_READ`` (Coinbase Exchange).
ENV_LABEL = "env"
#: The reserved label of the credential read from ``AT_API_KEY_NAME`` / ``AT_API_SECRET`` (Advanced Trade).
ENV_ADVANCED_LABEL = "env-advanced"
#: Each reserved label and the variables its credential comes from (kept here, light: the CLI's --help).
_RESERVED = {
    ENV_LABEL: "EX_API_KEY_READ / EX_API_SECRET_READ / EX_API_PASSPHRASE_READ",
    ENV_ADVANCED_LABEL: "AT_API_KEY_NAME / AT_API_SECRET",
}
#: A label, as a JSON-schema pattern (anchored) for clients; :func:`check_label` is what decides.
LABEL_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
_LABEL = re.compile(r"[A-Za-z0-9._-]{1,64}")


def check_label(label: object, *, allow_env: bool = False) -> str:
    """A label is 1-64 characters of ``[A-Za-z0-9._-]``; ``env`` and ``env-advanced`` are reserved for the
    environment credentials.

    ``allow_env`` accepts ``env`` where a label *selects* a credential (it may be the env one),
    not where it names a new one. Raises :class:`InvalidArgument` saying what a label may be.
    """
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        shown = repr(label[:70]) if isinstance(label, str) else type(label).__name__
        raise InvalidArgument(f"a label must be 1-64 characters of letters, digits, '.', '_' or '-' (got {shown})")
    reserved = _RESERVED.get(label.lower())
    if reserved is not None and not allow_env:
        raise InvalidArgument(
            f"the label {label.lower()!r} is reserved for the credential in {reserved}; choose another label"
        )
    return label
