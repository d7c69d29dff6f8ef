"""The MCP face: the tools (``tools``, ``sync_tools``) that ``server.build_server`` registers, their argument
vocabulary (``params``) and shared results (``results``), the out-of-band credential flow and its page, and
the transports (``serve``, ``listener_limits``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "ARGUMENT_FORMATS": "params",
    "CANCEL_WAIT_SECONDS": "sync_tools",
    "DATE_PATTERN": "params",
    "DEFAULT_TTL": "credential_page",
    "DEFAULT_WAIT_SECONDS": "sync_tools",
    "HTTP_LIMITS": "listener_limits",
    "INSTRUCTIONS": "server",
    "LIVE_TOOLS": "tools",
    "MAX_WAIT_SECONDS": "sync_tools",
    "PAGE_LIMITS": "listener_limits",
    "QUOTE_CURRENCY_PATTERN": "params",
    "STORE_TOOLS": "tools",
    "BearerAndOriginGuard": "serve",
    "CancelLabel": "params",
    "CancelSyncOut": "sync_tools",
    "DateText": "params",
    "HttpTransportProtocol": "listener_limits",
    "Label": "params",
    "LimitedH11Protocol": "listener_limits",
    "ListenerLimits": "listener_limits",
    "NewLabel": "params",
    "StoreVenue": "params",
    "VenueArg": "params",
    "KEY_FILE_FIELD": "credential_form",
    "POLICY_NOTE": "credential_form",
    "FormPage": "credential_form",
    "fields_from_form": "credential_form",
    "form_page": "credential_form",
    "has_key_files": "credential_form",
    "OneTimeCredentialPage": "credential_page",
    "OrderStatus": "params",
    "PageOutcome": "credential_page",
    "PlainArgumentsServer": "argument_errors",
    "ProductId": "params",
    "ServerState": "sync_tools",
    "StatusLabel": "params",
    "StoreLabel": "params",
    "SyncFillsOut": "sync_tools",
    "Tool": "tools",
    "bind_listener": "serve",
    "build_http_app": "serve",
    "build_server": "server",
    "configure_logging": "serve",
    "empty_hint": "results",
    "is_loopback": "serve",
    "open_core": "serve",
    "plain_sentence": "argument_errors",
    "quiet_server": "page_server",
    "read_only": "results",
    "register_sync_tools": "sync_tools",
    "request_credential": "credential_flow",
    "respond": "results",
    "run": "serve",
    "run_http": "serve",
    "run_stdio": "serve",
    "setup_command": "credential_command",
    "setup_notes": "credential_command",
    "state_of": "results",
    "tracker_of": "results",
    "trade_tracker_executable": "credential_command",
    "translate_errors": "results",
    "VENUE": "venue_text",
    "env_label": "venue_text",
    "venue_doc": "venue_text",
    "venue_lines": "venue_text",
    "uvicorn_options": "listener_limits",
    "writes": "results",
}
__all__ = [
    "ARGUMENT_FORMATS",
    "CANCEL_WAIT_SECONDS",
    "DATE_PATTERN",
    "DEFAULT_TTL",
    "DEFAULT_WAIT_SECONDS",
    "HTTP_LIMITS",
    "INSTRUCTIONS",
    "KEY_FILE_FIELD",
    "LIVE_TOOLS",
    "MAX_WAIT_SECONDS",
    "PAGE_LIMITS",
    "POLICY_NOTE",
    "QUOTE_CURRENCY_PATTERN",
    "STORE_TOOLS",
    "BearerAndOriginGuard",
    "CancelLabel",
    "CancelSyncOut",
    "DateText",
    "FormPage",
    "HttpTransportProtocol",
    "Label",
    "LimitedH11Protocol",
    "ListenerLimits",
    "NewLabel",
    "OneTimeCredentialPage",
    "OrderStatus",
    "PageOutcome",
    "PlainArgumentsServer",
    "ProductId",
    "ServerState",
    "StatusLabel",
    "StoreLabel",
    "StoreVenue",
    "VenueArg",
    "SyncFillsOut",
    "Tool",
    "bind_listener",
    "build_http_app",
    "build_server",
    "configure_logging",
    "empty_hint",
    "fields_from_form",
    "form_page",
    "has_key_files",
    "is_loopback",
    "open_core",
    "plain_sentence",
    "quiet_server",
    "read_only",
    "register_sync_tools",
    "request_credential",
    "respond",
    "run",
    "run_http",
    "run_stdio",
    "setup_command",
    "setup_notes",
    "state_of",
    "tracker_of",
    "trade_tracker_executable",
    "translate_errors",
    "VENUE",
    "env_label",
    "venue_doc",
    "venue_lines",
    "uvicorn_options",
    "writes",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .argument_errors import PlainArgumentsServer, plain_sentence
    from .credential_command import setup_command, setup_notes, trade_tracker_executable
    from .credential_flow import request_credential
    from .credential_form import (
        KEY_FILE_FIELD,
        POLICY_NOTE,
        FormPage,
        fields_from_form,
        form_page,
        has_key_files,
    )
    from .credential_page import DEFAULT_TTL, OneTimeCredentialPage, PageOutcome
    from .listener_limits import (
        HTTP_LIMITS,
        PAGE_LIMITS,
        HttpTransportProtocol,
        LimitedH11Protocol,
        ListenerLimits,
        uvicorn_options,
    )
    from .page_server import quiet_server
    from .params import (
        ARGUMENT_FORMATS,
        DATE_PATTERN,
        QUOTE_CURRENCY_PATTERN,
        CancelLabel,
        DateText,
        Label,
        NewLabel,
        OrderStatus,
        ProductId,
        StatusLabel,
        StoreLabel,
        StoreVenue,
        VenueArg,
    )
    from .results import empty_hint, read_only, respond, state_of, tracker_of, translate_errors, writes
    from .serve import (
        BearerAndOriginGuard,
        bind_listener,
        build_http_app,
        configure_logging,
        is_loopback,
        open_core,
        run,
        run_http,
        run_stdio,
    )
    from .server import INSTRUCTIONS, build_server
    from .sync_tools import (
        CANCEL_WAIT_SECONDS,
        DEFAULT_WAIT_SECONDS,
        MAX_WAIT_SECONDS,
        CancelSyncOut,
        ServerState,
        SyncFillsOut,
        register_sync_tools,
    )
    from .tools import LIVE_TOOLS, STORE_TOOLS, Tool
    from .venue_text import VENUE, env_label, venue_doc, venue_lines
