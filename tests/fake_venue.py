"""``FakeVenue``: an in-memory :class:`~trade_tracker.venues.base.Venue` for the sync engine's own tests.

Why: the engine's promises (a page and its cursor in one transaction, resume after a crash, cancel after
the current page, progress, a scope's error leaving the others syncing, the counts) hold for any venue, so
they are tested without HTTP, Coinbase ids or CB-BEFORE/AFTER, the way httpx tests a client on
``MockTransport``. Its walk is the simplest that keeps an invariant: fills are numbered 1, 2, ... per scope,
read oldest first, ``limit`` per page; the cursor's ``newest_synced`` is "every fill up to it is stored", moved
by each page inside the page's own transaction (the store's cursor columns are still Exchange-shaped until
the JSON cursor migration; the fake uses only that one).

Fault hooks: ``crash_at[scope] = n`` raises :class:`Crash` inside the n-th page's transaction (so that page
must not land at all); ``errors[scope]`` is raised when the scope's walk starts (e.g. ``NotFound``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from trade_tracker.errors import CredentialError
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.fills import FillRow
from trade_tracker.store.sync_state import SyncState
from trade_tracker.sync.results import DiscoveryResult
from trade_tracker.venues.base import CredentialField, PageSink, VenueInfo

FAKE = VenueInfo(
    id="exchange",  # VenueId has the two public names only; the fake stands in for a venue, never registered
    title="Fake Venue",
    default_url="memory://fake",
    stored_as="fake",
    key_field=CredentialField("key", "API key", "FAKE_KEY"),
    secret_fields=(CredentialField("secret", "API secret", "FAKE_SECRET"),),
    fill_scope="product",
    mutable_fill_columns=(),
    reports_permissions=True,
    max_fill_page=50,
)


class Crash(Exception):
    """A fault injected by the test: the process 'died' inside a page's transaction."""


def fake_row(scope: str, n: int, label: str) -> FillRow:
    return FillRow(
        product_id=scope,
        trade_id=n,
        order_id=f"order-{n}",
        side="buy" if n % 2 else "sell",
        price="100.00",
        size="0.5",
        fee="0.01",
        usd_volume=None,
        liquidity="T",
        settled=1,
        created_at=f"2024-01-01T00:00:{n % 60:02d}.{n:06d}Z",
        profile_id="fake-profile",
        user_id=None,
        funding_currency="USD",
        market_type="spot",
        label=label,
    )


class FakeVenue:
    """History in memory: ``fills[scope]`` is how many fills the scope has (numbered from 1)."""

    info: ClassVar[VenueInfo] = FAKE

    def __init__(self, fills: Mapping[str, int]) -> None:
        self.fills = dict(fills)
        self.crash_at: dict[str, int] = {}
        self.errors: dict[str, Exception] = {}
        self.requests_sent = 0
        self.walked: list[str] = []
        self.closed = False

    @classmethod
    def open_client(cls, settings: Any, credential: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the fake is built in memory")

    @classmethod
    def credential_from_fields(cls, fields: Mapping[str, str]) -> Any:
        return dict(fields)

    @classmethod
    def fields_from_key_file(cls, text: str) -> dict[str, str]:
        raise CredentialError("the fake venue has no key file")

    @classmethod
    def fingerprint(cls, fields: Mapping[str, str]) -> str:
        return "fake:" + fields.get("key", "")[-4:]

    @classmethod
    def wrap(cls, client: Any) -> FakeVenue:
        raise NotImplementedError("the fake is built in memory")

    async def list_products(self) -> list[Any]:
        return sorted(self.fills)

    async def get_ticker(self, product_id: str) -> Any:
        return {"product_id": product_id, "price": "100.00"}

    async def list_balances(self) -> list[Any]:
        return []

    async def list_orders(self, *, status: Sequence[str] | None, product_id: str | None, limit: int) -> list[Any]:
        return []

    async def fill_page(self, *, product_id: str | None, order_id: str | None, limit: int, cursor: str | None) -> Any:
        self.requests_sent += 1
        start = int(cursor or 0)
        return list(range(start + 1, min(start + limit, self.fills.get(product_id or "", 0)) + 1))

    async def check_key(self) -> Mapping[str, str]:
        return {"view": "yes"}

    async def sync_scopes(
        self, store: TradeStore, label: str, asked: Sequence[str] | None, *, full: bool
    ) -> tuple[list[str], DiscoveryResult | None]:
        if asked is not None:
            return list(dict.fromkeys(asked)), None
        return sorted(self.fills), DiscoveryResult(mode="full", followed=len(self.fills))

    async def sync_scope(self, scope: str, sink: PageSink, *, full: bool, limit: int) -> None:
        self.walked.append(scope)
        if scope in self.errors:
            raise self.errors[scope]
        state = sink.cursor()
        mark = 0 if full or state is None or state.cursor is None else int(state.cursor["newest_synced"])
        sink.resumed_from(f"after={mark}")
        page = 0
        while True:
            numbers = await self.fill_page(product_id=scope, order_id=None, limit=limit, cursor=str(mark))
            page += 1
            if not numbers:
                await sink.page_done("incremental", 0)
                sink.completed()
                return
            rows = [fake_row(scope, n, sink.label) for n in numbers]
            sink.commit(rows, self._advance(scope, page, mark, numbers[-1]))
            mark = numbers[-1]
            await sink.page_done("backfill", len(rows))

    def _advance(self, scope: str, page: int, asked: int, high: int) -> Any:
        def advance(state: SyncState) -> SyncState | None:
            if self.crash_at.get(scope) == page:
                raise Crash(f"killed inside page {page} of {scope}")
            stored = int((state.cursor or {}).get("newest_synced", 0))
            if stored < asked:
                return None  # not contiguous with the stored mark: keep it
            return state.model_copy(update={"cursor": {"newest_synced": max(stored, high)}})

        return advance

    async def aclose(self) -> None:
        self.closed = True
