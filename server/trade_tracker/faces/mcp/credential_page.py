"""A one-time local web page that takes a Coinbase Exchange API key out of band.

The MCP ``store_credential`` tool must never see a secret (security promise P7): it
starts this page and sends the user its URL through URL-mode elicitation. The user
types key, secret and passphrase into their browser; the page hands them straight to
:class:`~trade_tracker.credentials.service.CredentialService` and shows only the fingerprint.

How the page protects itself:

- it listens on 127.0.0.1 only, on a random port, at ``/credential/<token>`` where the
  token is 256 random bits (compared in constant time; any other path is a 404);
- the ``Host`` header must be exactly ``127.0.0.1:<port>`` (421 otherwise: DNS rebinding);
- the submission is a POST of an urlencoded form (GET only serves the form, and a GET
  carrying a query string is refused so no secret ever travels in a URL); the POST must
  come from the page itself: ``Origin``, when sent, must be the page's own origin, and
  ``Sec-Fetch-Site``, when sent, must be ``same-origin`` (403 otherwise);
- one submission spends the link, whatever its outcome; it expires after ``ttl``
  seconds (10 minutes by default) and the server then stops itself;
- nothing is logged, at any level: uvicorn's access log is off for this server (see
  ``page_server.py``), so is its TRACE-level ASGI message log, and uvicorn's logging config
  is left untouched; the handler logs nothing about requests;
  every shown value is HTML-escaped;
- at most 16 connections, idle ones closed (``listener_limits.PAGE_LIMITS``): the page shares
  the MCP server's process and its file descriptors.

Usage (what the MCP tool does)::

    page = OneTimeCredentialPage(service)
    url, elicitation_id = await page.start("main")       # raises if the label is bad or taken
    ... ctx.elicit_url(message, url, elicitation_id) ...
    outcome = await page.wait(timeout=600)               # PageOutcome: stored / failed / expired / cancelled
    await page.stop()
"""

from __future__ import annotations

import asyncio
import hmac
import html
import inspect
import logging
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

import uvicorn
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from trade_tracker.credentials.models import VIEW_ONLY_WARNING, CredentialInfo
from trade_tracker.credentials.service import CredentialService
from trade_tracker.errors import TradeTrackerError

from .page_server import quiet_server
from .venue_text import VENUE

__all__ = ["DEFAULT_TTL", "OneTimeCredentialPage", "PageOutcome"]

log = logging.getLogger("trade_tracker.credential_page")

DEFAULT_TTL = 600.0
MAX_BODY = 16 * 1024
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class PageOutcome:
    """How a one-time page ended. ``error`` is a secret-free message for the user."""

    status: Literal["stored", "failed", "expired", "cancelled"]
    label: str
    info: CredentialInfo | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None
    error_type: str | None = None


OnComplete = Callable[[PageOutcome], Awaitable[None] | None]


class OneTimeCredentialPage:
    """One page, one label, one submission.

    Args:
        service: stores (and verifies) the credential.
        verify: verify with the exchange before storing (``GET /accounts``).
        ttl: seconds until the link expires and the server stops.
        linger: seconds the server keeps answering "already used" after the submission.
        clock: monotonic seconds (tests inject one to expire the link).
        on_complete: called once with the outcome (e.g. to send ``notifications/elicitation/complete``).
    """

    host = "127.0.0.1"

    def __init__(
        self,
        service: CredentialService,
        *,
        verify: bool = True,
        ttl: float = DEFAULT_TTL,
        linger: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_complete: OnComplete | None = None,
    ) -> None:
        self._service = service
        self._verify = verify
        self._ttl = ttl
        self._linger = linger
        self._clock = clock
        self._on_complete = on_complete
        self._token = secrets.token_urlsafe(32)
        self.elicitation_id = secrets.token_hex(16)
        self.label: str | None = None
        self.port: int | None = None
        self._started_at = 0.0
        self._spent = False
        self._outcome: PageOutcome | None = None
        self._done = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._serve_task: asyncio.Task[None] | None = None
        self._timers: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:  # the token stays out of repr
        return f"OneTimeCredentialPage(label={self.label!r}, port={self.port}, done={self.done})"

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def path(self) -> str:
        return f"/credential/{self._token}"

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The one-time URL (holds the token: hand it to the user, never log it)."""
        if self.port is None:
            raise RuntimeError("the page is not started")
        return self.origin + self.path

    @property
    def done(self) -> bool:
        return self._outcome is not None

    @property
    def outcome(self) -> PageOutcome | None:
        return self._outcome

    async def start(self, label: str) -> tuple[str, str]:
        """Check the label, serve the page; return ``(url, elicitation_id)``.

        Raises ``InvalidArgument`` / ``CredentialExists`` before anything listens. A page stopped while
        it starts returns at once, already ``done`` (``cancelled``), and serves nothing.
        """
        if self._serve_task is not None:
            raise RuntimeError("a one-time page can be started once")
        self.label = self._service.check_new_label(label)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        self._server = quiet_server(self._asgi)
        self._started_at = self._clock()
        self._serve_task = asyncio.create_task(self._server.serve(sockets=[sock]))
        self._serve_task.add_done_callback(lambda _t: sock.close())
        while not self._server.started and not self.done:  # done: stopped (replaced) while starting
            if self._serve_task.done():
                self._serve_task.result()  # re-raise why it could not start
                raise RuntimeError("the credential page server stopped before it started")
            await asyncio.sleep(0.005)
        if not self.done:
            self._later(self._ttl, self._expire)
        return self.url, self.elicitation_id

    async def wait(self, timeout: float | None = None) -> PageOutcome:
        """The outcome, once the page is submitted, expires or is stopped (``TimeoutError`` after ``timeout``)."""
        await asyncio.wait_for(self._done.wait(), timeout)
        assert self._outcome is not None
        return self._outcome

    async def stop(self) -> None:
        """Stop serving (idempotent). An unfinished page ends as ``cancelled``."""
        await self._finish(PageOutcome(status="cancelled", label=self.label or ""))
        me = asyncio.current_task()
        for timer in list(self._timers):
            if timer is not me:
                timer.cancel()
        if self._server is not None and self._serve_task is not None:
            self._server.should_exit = True
            try:
                await asyncio.wait_for(asyncio.shield(self._serve_task), 5)
            except (TimeoutError, asyncio.CancelledError):
                self._server.force_exit = True
                self._serve_task.cancel()

    async def __aenter__(self) -> OneTimeCredentialPage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _later(self, delay: float, fn: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            await fn()

        task = asyncio.create_task(run())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def _expire(self) -> None:
        await self._finish(PageOutcome(status="expired", label=self.label or ""))
        await self.stop()

    async def _finish(self, outcome: PageOutcome) -> None:
        if self._outcome is not None:
            return
        self._outcome = outcome
        self._spent = True
        self._done.set()
        if self._on_complete is not None:
            try:
                result = self._on_complete(outcome)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # a failing callback must not break the page
                log.warning("credential page: on_complete failed (%s)", type(exc).__name__)

    def _expired(self) -> bool:
        return self._clock() - self._started_at >= self._ttl

    # -- HTTP ----------------------------------------------------------------------------

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self._handle(request)
        except Exception as exc:  # never let uvicorn log a traceback with request data
            log.error("credential page: internal error (%s)", type(exc).__name__)
            response = self._page(500, "Something went wrong", "<p>The page failed. Run store_credential again.</p>")
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        if request.headers.get("host") != f"{self.host}:{self.port}":
            return self._page(421, "Wrong host", "<p>This page answers only at 127.0.0.1.</p>")
        if not hmac.compare_digest(request.url.path.encode(), self.path.encode()):
            return self._page(404, "Not found", "<p>There is nothing here.</p>")
        if request.method not in ("GET", "POST"):
            return self._page(405, "Method not allowed", "<p>Use the form.</p>", {"Allow": "GET, POST"})
        if self._expired() and not self._spent:
            await self._finish(PageOutcome(status="expired", label=self.label or ""))
            self._later(0, self.stop)
        if self._spent:
            return self._page(
                410,
                "Link used or expired",
                "<p>This link has already been used or has expired. Ask for a new one (store_credential), or run "
                f"<code>{_e(_cli_hint(self.label))}</code>.</p>",
            )
        if request.method == "GET":
            if request.url.query:
                return self._page(
                    405, "Use the form", "<p>Submit the form; never put a secret in a URL.</p>", {"Allow": "POST"}
                )
            return self._form()
        return await self._submit(request)

    async def _submit(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin != self.origin:
            return self._page(403, "Forbidden", "<p>The form must be sent from this page.</p>")
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site != "same-origin":
            return self._page(403, "Forbidden", "<p>The form must be sent from this page.</p>")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return self._page(415, "Unsupported form", "<p>Send the form from this page.</p>")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return self._page(413, "Too large", "<p>The form is too large.</p>")
        if self._spent:  # another submission won the race while this body arrived
            return self._page(410, "Link used", "<p>This link has already been used.</p>")
        self._spent = True
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            fields = {}
        key, secret, passphrase = (fields.get(name, [""])[0] for name in ("key", "secret", "passphrase"))
        assert self.label is not None
        try:
            result = await self._service.add(self.label, key, secret, passphrase, verify=self._verify)
        except Exception as exc:
            if not isinstance(exc, TradeTrackerError):  # a bug: say nothing of it but its type
                log.error("credential page: storing failed (%s)", type(exc).__name__)
                exc = TradeTrackerError("trade-tracker failed while storing the credential; nothing was stored")
            await self._finish(
                PageOutcome(status="failed", label=self.label, error=str(exc), error_type=type(exc).__name__)
            )
            return self._page(
                400,
                "Not stored",
                f"<p>Nothing was stored: {_e(str(exc))}</p><p>This link is now used up: ask for a new one "
                f"(store_credential), or run <code>{_e(_cli_hint(self.label))}</code>.</p>",
                background=self._linger_task(),
            )
        info = result.info
        await self._finish(PageOutcome(status="stored", label=self.label, info=info, warnings=tuple(result.warnings)))
        notes = "".join(f"<li>{_e(w)}</li>" for w in result.warnings)
        return self._page(
            200,
            "Credential stored",
            f"<p>Stored <code>{_e(info.label)}</code>, key fingerprint <code>{_e(info.fingerprint)}</code>, "
            f"status <code>{_e(info.verify_status or '')}</code>. Only its encrypted form is kept.</p>"
            f"<ul>{notes}</ul><p>You can close this tab and go back to your editor.</p>",
            background=self._linger_task(),
        )

    def _linger_task(self) -> BackgroundTask:
        async def linger() -> None:
            self._later(self._linger, self.stop)

        return BackgroundTask(linger)

    # -- HTML ----------------------------------------------------------------------------

    def _form(self) -> Response:
        minutes = max(1, round((self._ttl - (self._clock() - self._started_at)) / 60))
        body = f"""
<p>Label <code>{_e(self.label or "")}</code> &middot; exchange <code>{_e(self._service.settings.ex_base_url)}</code></p>
<p class="warn">{_e(VIEW_ONLY_WARNING)}</p>
<form method="post" action="{_e(self.path)}" autocomplete="off">
  <label>API key <input name="key" required autocomplete="off" spellcheck="false"></label>
  <label>API secret <input name="secret" type="password" required autocomplete="off"></label>
  <label>Passphrase <input name="passphrase" type="password" required autocomplete="off"></label>
  <button type="submit">Store encrypted</button>
</form>
<p class="small">This link works once and expires in about {minutes} minute(s). What you type goes only to
trade-tracker on this computer, which encrypts it before storing it and shows only the key's fingerprint.</p>"""
        return self._page(200, f"Store a {VENUE.title} API key", body)

    @staticmethod
    def _page(
        status: int,
        title: str,
        body: str,
        headers: dict[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> Response:
        document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>trade-tracker: {_e(title)}</title>
<style>body{{font:16px system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}
label{{display:block;margin:.8em 0}}input{{display:block;width:100%;padding:.4em;font:inherit}}
button{{padding:.5em 1.2em;font:inherit}}.warn{{background:#fff4d6;padding:.6em}}.small{{color:#555;font-size:.9em}}
</style></head><body><main><h1>{_e(title)}</h1>{body}</main></body></html>"""
        return HTMLResponse(
            document, status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})}, background=background
        )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _cli_hint(label: str | None) -> str:
    return f"trade-tracker credentials add --label={label or 'NAME'}"
