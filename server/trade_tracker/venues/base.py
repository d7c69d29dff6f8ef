"""The seam between the venue-neutral core and each trading venue: ``VenueInfo``, ``Venue`` and ``PageSink``.

Why: a second venue (Coinbase Advanced Trade, issue 15) must land as a sibling package of
``coinbase_exchange/``, not as branches spread over the core. So the core talks to a venue only through
this one small interface, the way httpx's client talks to any ``AsyncBaseTransport``:

- :class:`VenueInfo`: a venue's facts as data (title, default URL, credential fields, env names, what one
  sync walk covers, which stored fill columns may change, its order-status words), so messages and
  prompts are built from it;
- :class:`Venue`: live reads (products, ticker, balances, orders, a page of fills, the key check) and the
  two calls the sync engine makes (:meth:`Venue.sync_scopes`, :meth:`Venue.sync_scope`);
- :class:`LiveVenue`: a registered :class:`Venue` with its ``views`` (``venues.views.LiveViews``): its
  live answers as the one venue-neutral shape the faces show;
- :class:`PageSink`: what the engine hands a walk. The venue keeps its own paging and cursor
  transitions; the sink commits each page with its cursor change in ONE transaction, gives the cursor as
  stored, and is the progress and cancellation checkpoint. The engine knows nothing of a venue's ids or
  cursor headers.

Nothing here does I/O; ``VENUES`` (``venues/__init__.py``) maps a venue id to its class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

    from trade_tracker.config import Settings
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.store.fills import FillRow, PageCounts, UnsettledSummary
    from trade_tracker.store.sync_state import SyncState
    from trade_tracker.sync.results import DiscoveryResult, Phase

    from .views import LiveViews

__all__ = [
    "ACCOUNT_SCOPE",
    "PRODUCTS_SCOPE",
    "scope_products",
    "CredentialField",
    "FillScope",
    "LiveVenue",
    "PageSink",
    "Venue",
    "VenueClient",
    "VenueId",
    "VenueInfo",
]

#: The public venue names (``--venue exchange|advanced``).
VenueId = Literal["exchange", "advanced"]
#: What one sync walk covers: one product (Exchange ``/fills`` needs a product_id) or the whole account.
FillScope = Literal["product", "account"]
#: The sync scope of a walk of a whole account (a venue whose ``fill_scope`` is "account").
ACCOUNT_SCOPE = "*"
#: The prefix of an account-wide venue's walk of some products only: ``products:BTC-USD,ETH-USD``.
PRODUCTS_SCOPE = "products:"


def scope_products(scope: str) -> list[str] | None:
    """The products a stored sync scope covers: None for the whole account, the listed ones for a
    ``products:`` walk, else the scope itself (a product scope, as Exchange's)."""
    if scope == ACCOUNT_SCOPE:
        return None
    if scope.startswith(PRODUCTS_SCOPE):
        return [p for p in scope.removeprefix(PRODUCTS_SCOPE).split(",") if p]
    return [scope]


@dataclass(frozen=True)
class CredentialField:
    """One field of a venue's API key, as the user types it."""

    name: str  #: "key" | "secret" | "passphrase" | "private_key"
    prompt: str  #: shown by the CLI and the one-time page
    env: str  #: the environment variable of the ``env`` credential
    multiline: bool = False  #: a PEM key: read from a file or JSON, never as "one line"


@dataclass(frozen=True)
class VenueInfo:
    """A venue's facts, as data: what messages, prompts and the store's upsert rule are built from."""

    id: VenueId
    title: str  #: "Coinbase Exchange"
    default_url: str  #: the sandbox, where one exists
    stored_as: str  #: the value of ``credentials.exchange`` for this venue
    key_field: CredentialField  #: the public id; the fingerprint is taken from it
    secret_fields: tuple[CredentialField, ...]  #: (secret, passphrase) | (private_key,)
    fill_scope: FillScope
    mutable_fill_columns: tuple[str, ...]  #: stored columns a later read may change: ("settled", "fee")
    reports_permissions: bool  #: whether the key check can name the key's permissions
    max_fill_page: int = 100  #: fills per request at most
    url_env: str = ""  #: the base-URL setting, e.g. EX_BASE_URL
    #: the lower-case status words ``list_orders`` takes (its view's ``order_filter`` says what each asks)
    order_statuses: tuple[str, ...] = ()
    env_names: Mapping[str, str] = field(default_factory=dict[str, str])  #: field name -> env variable (derived)

    def __post_init__(self) -> None:
        if not self.env_names:
            names = {f.name: f.env for f in (self.key_field, *self.secret_fields)}
            object.__setattr__(self, "env_names", names)

    @property
    def fields(self) -> tuple[CredentialField, ...]:
        """Every credential field, the key first."""
        return (self.key_field, *self.secret_fields)

    def env_list(self, sep: str = " / ") -> str:
        """The ``env`` credential's variables in one phrase: "EX_API_KEY_READ / EX_API_SECRET_READ / ..."."""
        return sep.join(f.env for f in self.fields)

    def env_and(self) -> str:
        """The same as a sentence's list: "EX_API_KEY_READ, EX_API_SECRET_READ and EX_API_PASSPHRASE_READ"."""
        *head, last = (f.env for f in self.fields)
        return f"{', '.join(head)} and {last}" if head else last


class PageSink(Protocol):
    """What the sync engine hands a venue's walk of one scope (one ``sync_scope`` call).

    ``commit`` is the crash-safety contract: the page's rows and the cursor change it justifies land in ONE
    transaction, ``advance`` being a pure function of the cursor *as stored now* (another process may have
    moved it) that returns the new cursor, or None to leave it. No ``await`` happens inside it.
    """

    label: str
    scope: str
    venue: str  #: the venue id the scope's cursor is stored under

    def cursor(self) -> SyncState | None:
        """This scope's cursor as committed (None before the first page)."""
        ...

    def commit(self, rows: Sequence[FillRow], advance: Callable[[SyncState], SyncState | None]) -> PageCounts:
        """Store ``rows`` and ``advance`` the cursor, in one transaction; the page's counts."""
        ...

    def not_final(self) -> UnsettledSummary | None:
        """The stored fills of this scope that may still change (unsettled), or None."""
        ...

    def stored_account(self) -> str | None:
        """The account (profile) the label's stored fills belong to, None when none is stored: a walk refuses
        a page of another account's fills."""
        ...

    def resumed_from(self, where: str) -> None:
        """Record where this run began (``start``, ``after=…``, ``before=…``), for the result."""
        ...

    def completed(self) -> None:
        """Record that the walk reached the newest fill (the scope's whole history is stored)."""
        ...

    async def page_done(self, phase: Phase, fills: int) -> None:
        """After each page (stored or empty): counts, progress, and the cancellation checkpoint (raises the
        engine's stop signal when a cancel was asked; the walk must let it pass)."""
        ...


class VenueClient(Protocol):
    """A venue's REST client as the app caches it per credential: it names its venue (``venue_id``, a
    ``VENUES`` key), counts requests and closes; ``registry.venue_of_client`` wraps it as its :class:`Venue`."""

    venue_id: ClassVar[str]

    @property
    def requests_sent(self) -> int: ...
    async def aclose(self) -> None: ...


@runtime_checkable
class Venue(Protocol):
    """One trading venue, as the core uses it. Implementations: ``coinbase_exchange.CoinbaseExchange``,
    ``coinbase_advanced.CoinbaseAdvanced``."""

    info: ClassVar[VenueInfo]

    @classmethod
    def open_client(
        cls,
        settings: Settings,
        credential: Any,
        *,
        rate_limits: Any,
        transport: httpx.AsyncBaseTransport | None = None,
        credential_check: Callable[[], None] | None = None,
    ) -> VenueClient:
        """The venue's client as trade-tracker runs it (its base URL, timeouts and retries from the
        settings); ``credential`` is the venue's own typed key, None for public endpoints only."""
        ...

    @classmethod
    def wrap(cls, client: Any) -> Venue:
        """This venue driving ``client`` (one :meth:`open_client` made)."""
        ...

    @classmethod
    def credential_from_fields(cls, fields: Mapping[str, str]) -> Any:
        """The venue's typed credential from the typed fields (names from ``info.fields``), their shapes
        checked; a bad shape raises :class:`~trade_tracker.errors.CredentialError` with a hint (a key of the
        other venue names its ``--venue``). Never echoes a secret."""
        ...

    @classmethod
    def fields_from_key_file(cls, text: str) -> dict[str, str]:
        """The fields of a downloaded key file (Advanced Trade: the CDP portal JSON); a venue without key
        files raises :class:`~trade_tracker.errors.CredentialError`."""
        ...

    @classmethod
    def fingerprint(cls, fields: Mapping[str, str]) -> str:
        """The key's public fingerprint, from the key field only."""
        ...

    @property
    def requests_sent(self) -> int:
        """Requests sent so far (for a sync's ``requests`` count)."""
        ...

    async def list_products(self) -> list[Any]: ...
    async def get_ticker(self, product_id: str) -> Any: ...
    async def list_balances(self) -> list[Any]: ...
    async def list_orders(self, *, status: Sequence[str] | None, product_id: str | None, limit: int) -> list[Any]: ...
    async def fill_page(
        self, *, product_id: str | None, order_id: str | None, limit: int, cursor: str | None
    ) -> Any: ...
    async def check_key(self) -> Mapping[str, str]:
        """Prove the key works (one cheap private read); what it may do, as far as the venue tells:
        ``can_view`` / ``can_trade`` / ``can_transfer`` ("true"|"false") when ``info.reports_permissions``, and
        ``portfolio_uuid`` (the account the key reads; comma separated when several), when known."""
        ...

    async def sync_scopes(
        self, store: TradeStore, label: str, asked: Sequence[str] | None, *, full: bool
    ) -> tuple[list[str], DiscoveryResult | None]:
        """The scopes a sync of ``label`` walks, in order: ``asked`` checked, or the venue's own choice
        (Exchange: discovery from the orders); and how it chose, when it had to find them."""
        ...

    async def sync_scope(self, scope: str, sink: PageSink, *, full: bool, limit: int) -> None:
        """Walk one scope page by page into ``sink``; ``full`` re-reads the whole history."""
        ...

    async def aclose(self) -> None: ...


class LiveVenue(Venue, Protocol):
    """A :class:`Venue` as ``VENUES`` registers it: with ``views``, its live reads' answers as the
    venue-neutral values (``live_views`` reads them through this, naming no venue). Apart from
    :class:`Venue` so a venue the sync engine alone drives (a test's in-memory one) needs none."""

    views: ClassVar[LiveViews]
