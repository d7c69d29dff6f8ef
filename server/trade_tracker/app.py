"""The core's one door: settings, store, vault, credentials and exchange clients, opened once.

Both faces (``mcp_server.py`` and ``cli.py``) hold one :class:`TradeTracker` and call
its methods; nothing below this module knows about MCP or the command line. Each
method does the face-independent part of one verb (argument checks, which client,
filtering), so the two faces stay thin and say the same thing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .config import Settings, load_settings
from .errors import CredentialChanged, CredentialNotFound, InvalidArgument
from .faces.shapes import ExportOut
from .live_reads import LiveReads
from .store.connection import TradeStore
from .store.filters import NO_FILTERS, Filters
from .venues.coinbase_exchange.limits import exchange_rate_limits
from .venues.ratelimit import RateLimits

if TYPE_CHECKING:
    import httpx

    from .analytics.models import GroupBy, Method, Summary
    from .credentials.service import CredentialService
    from .faces.mcp.credential_page import OneTimeCredentialPage
    from .sync.results import SyncProgress, SyncResult
    from .venues.coinbase_exchange.auth import ApiCredential
    from .venues.coinbase_exchange.client import CoinbaseClient

__all__ = ["TradeTracker"]


class TradeTracker(LiveReads):
    """Everything a face needs, opened once per process and closed at exit.

    Exchange clients are created on first use, one per credential label (each holds
    one ``httpx.AsyncClient``), and all share one set of rate-limit buckets.

    A cached client is only used while its credential's stored row is the one it was
    built from (``CredentialService.stamp``: checked on every exchange call, and again by
    the client before every signed request). When another process replaces, removes,
    re-binds or re-encrypts the credential, the next call builds a fresh client from the
    row as it is now, and a call in flight stops before signing with a key that was
    replaced or removed (:class:`CredentialChanged`; a mere re-encryption lets it go on).
    A long-running server therefore never signs with a key that is no longer stored.
    """

    def __init__(
        self,
        settings: Settings,
        store: TradeStore,
        *,
        rate_limits: RateLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        # Shared through $TRADE_TRACKER_HOME, so every trade-tracker process on this machine talking to
        # the same exchange stays under its limits together (two editor windows, a cron sync...).
        self.rate_limits = rate_limits or exchange_rate_limits(settings)
        self._transport = transport
        self._clients: dict[str, CoinbaseClient] = {}
        #: The stamp of the credential row each cached client was built from, by label.
        self._stamps: dict[str, str] = {}
        #: Clients whose credential changed: maybe still finishing a call, closed at exit.
        self._retired: list[CoinbaseClient] = []
        self._credentials: CredentialService | None = None
        #: One-time credential pages still open, by label (store_credential's out-of-band flow).
        self.credential_pages: dict[str, OneTimeCredentialPage] = {}

    @classmethod
    def open(cls, settings: Settings | None = None, **kwargs: Any) -> TradeTracker:
        """Read settings (once) and open the store under ``TRADE_TRACKER_HOME``."""
        settings = settings or load_settings()
        return cls(settings, TradeStore(settings.db_path), **kwargs)

    def __repr__(self) -> str:
        return f"TradeTracker(base_url={self.settings.ex_base_url!r}, store={self.store!r})"

    async def aclose(self) -> None:
        pages, self.credential_pages = list(self.credential_pages.values()), {}
        for page in pages:
            await page.stop()
        clients, self._clients, self._stamps = [*self._clients.values(), *self._retired], {}, {}
        self._retired = []
        for client in clients:
            await client.aclose()
        self.store.close()

    # -- credentials and clients ----------------------------------------------------------

    @property
    def credentials(self) -> CredentialService:
        """The encrypted credentials; the vault is opened only when a secret is needed."""
        if self._credentials is None:
            from .credentials.service import CredentialService

            self._credentials = CredentialService(
                self.store, self.settings, rate_limits=self.rate_limits, transport=self._transport
            )
        return self._credentials

    def _new_client(
        self,
        credential: ApiCredential | Any,
        credential_check: Callable[[], None] | None = None,
        venue: str | None = None,
    ) -> CoinbaseClient:
        """The client of ``venue`` (a credential row's ``exchange`` column; None: Coinbase Exchange), through
        ``VENUES``. The HTTP stack is imported on the first exchange call, not at start: an editor launches
        the server often, and offline tools (query_trades, trade_summary) never need it."""
        from .venues.registry import venue_of_stored

        client = venue_of_stored(venue).open_client(
            self.settings,
            credential,
            rate_limits=self.rate_limits,
            transport=self._transport,
            credential_check=credential_check,
        )
        return cast("CoinbaseClient", client)  # the one venue today; issue 15 widens this to any VenueClient

    def public_client(self, venue: str = "exchange") -> CoinbaseClient:
        """The client for ``venue``'s public endpoints (no credential needed); cached apart from every
        label's (a label cannot start with ``:``)."""
        from .venues.registry import venue_named

        key = "" if venue == "exchange" else f":{venue}"
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._new_client(None, venue=venue_named(venue).info.stored_as)
        return client

    def client_for(self, label: str | None) -> tuple[str, CoinbaseClient]:
        """Resolve ``label`` (None → the default credential) and return its client, rebuilt when the
        stored credential changed since the cached one was made (another process may have changed it)."""
        resolved = self.credentials.resolve_label(label)
        client = self._clients.get(resolved)
        if client is not None and self.credentials.stamp(resolved) == self._stamps.get(resolved):
            return resolved, client
        if client is not None:
            self._retire(resolved)
        # the credential, its stamp and its venue in one read: the venue comes from the stored row, never the key
        credential, stamp, venue = self.credentials.open_stored(resolved)
        check = self._still_stored(resolved, credential, stamp)
        client = self._clients[resolved] = self._new_client(credential, check, venue.info.stored_as)
        self._stamps[resolved] = stamp
        return resolved, client

    def _still_stored(self, label: str, credential: ApiCredential, stamp: str) -> Callable[[], None]:
        """The check a client runs before signing: ``credential`` must still be what is stored under ``label``,
        for this base URL. One indexed read when nothing changed; after a change (by another process) the row
        is read again: re-encrypted under a new vault key is still the same key, anything else stops the call."""
        accepted = [stamp]

        def check() -> None:
            now = self.credentials.stamp(label)
            if now == accepted[0]:
                return
            try:
                stored, fresh = self.credentials.get_stamped(label)  # the binding is checked again here
            except CredentialNotFound:
                stored, fresh = None, None
            if stored != credential or fresh is None:
                raise CredentialChanged(
                    f"credential '{label}' was replaced or removed by another process during this call, so it "
                    "stopped before signing with the old key; what was done so far is kept. Run it again to use "
                    "the credential as it is stored now"
                )
            accepted[0] = fresh
            if self._stamps.get(label) == stamp:
                self._stamps[label] = fresh

        return check

    def _retire(self, label: str) -> None:
        """Stop handing out ``label``'s client; it may still be finishing a call, so close it at exit."""
        client = self._clients.pop(label, None)
        self._stamps.pop(label, None)
        if client is not None:
            self._retired.append(client)

    async def forget_client(self, label: str) -> None:
        """Drop a cached client, e.g. after its credential was replaced or removed."""
        client = self._clients.pop(label, None)
        self._stamps.pop(label, None)
        if client is not None:
            await client.aclose()

    # -- sync ----------------------------------------------------------------------------------

    async def sync_fills(
        self,
        label: str | None = None,
        product_ids: Sequence[str] | None = None,
        *,
        full_history: bool = False,
        progress: Callable[[SyncProgress], Awaitable[None] | None] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> SyncResult:
        """Sync the credential's fills into the store, then bring the analytics cache up to date,
        so the next summary answers at once instead of building it on the first call."""
        from .analytics.cache import refresh_cache
        from .store.sync_runs import RunRecorder
        from .sync.engine import sync_fills

        used, client = self.client_for(label)
        # Every sync (either face) leaves a run record, so sync_status can say how the last one ended.
        recorder = RunRecorder(self.store, used, product_ids, full_history)
        result = await recorder.run(
            lambda report: sync_fills(
                self.store, client, used, product_ids, full_history=full_history, progress=report, cancel=cancel
            ),
            progress,
        )
        if result.inserted or result.updated:
            refresh_cache(self.store)
        return result

    # -- analytics and export (local store; tickers only when asked) -----------------------------

    async def summary(
        self,
        filters: Filters = NO_FILTERS,
        *,
        group_by: GroupBy = "product",
        method: Method = "fifo",
        with_unrealized: bool = False,
    ) -> Summary:
        """The trade summary over the store; with live tickers for unrealized PnL only when asked."""
        from .analytics.summary import summarize
        from .analytics.summary import with_unrealized as add_unrealized

        result = summarize(self.store, filters, group_by=group_by, method=method)
        if with_unrealized:
            venues = self.store.fill_venues(filters)
            prices, at = await self.ticker_prices(sorted({p.product_id for p in result.products}), venues)
            result = add_unrealized(result, prices, at=at)
        return result

    def default_export_path(self, kind: str) -> Path:
        """A new file under ``$TRADE_TRACKER_HOME/exports`` (the MCP tool never takes a path from the model)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self.settings.trade_tracker_home / "exports" / f"{kind}-{stamp}.csv"

    async def export_csv(
        self,
        path: Path | None = None,
        *,
        filters: Filters = NO_FILTERS,
        summary: bool = False,
        group_by: GroupBy = "product",
        method: Method = "fifo",
        with_unrealized: bool = False,
    ) -> ExportOut:
        """Write the fills (or the summary) as CSV; return where and how many rows, never the data."""
        from .export import export_fills_csv, write_summary_csv
        from .private_files import ensure_private_dir

        kind = "summary" if summary else "fills"
        target = path
        if target is None:
            target = self.default_export_path(kind)
            try:
                ensure_private_dir(target.parent)  # 0700, and never a link planted in the data folder
            except OSError as exc:
                raise InvalidArgument(f"cannot create the exports folder {target.parent}: {exc.strerror}") from None
        if summary:
            result = await self.summary(filters, group_by=group_by, method=method, with_unrealized=with_unrealized)
            written = write_summary_csv(result, target, self.store.fill_venues(filters))
        else:
            written = export_fills_csv(self.store, target, filters)
        return ExportOut(path=str(written.path), rows=written.rows, kind=kind)
