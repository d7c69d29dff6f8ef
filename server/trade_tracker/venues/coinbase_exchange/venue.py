"""``CoinbaseExchange``: the Coinbase Exchange adapter behind the :class:`~trade_tracker.venues.base.Venue` seam.

Why a class of its own: the core (``app.py``, the sync engine) should know one small interface, not the
Exchange client's dozen endpoints nor its ``/fills`` trade-id cursors. This class delegates to the
existing :class:`~.client.CoinbaseClient` (HTTP, signing, rate limits) and to the walk (``walk.py``, the
backfill / resettle / incremental cursor transitions) and discovery (``discovery.py``); it adds no
behaviour of its own. :data:`EXCHANGE` is the venue's facts, which messages are built from.

Light at import (dataclasses only): the HTTP stack loads with the first client, not with this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from trade_tracker.config import SANDBOX_URL
from trade_tracker.errors import CredentialError
from trade_tracker.formats import check_product_id

from ...order_statuses import EXCHANGE_ORDER_STATUSES
from ..base import CredentialField, PageSink, VenueInfo
from ..client_venue import ClientVenue
from ..views import LiveViews
from .params import MAX_FILLS_LIMIT
from .views import ExchangeViews

if TYPE_CHECKING:
    import httpx

    from trade_tracker.config import Settings
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.sync.results import DiscoveryResult

    from ..ratelimit import RateLimits
    from .auth import ApiCredential
    from .client import CoinbaseClient
    from .models import FillPage, Order

__all__ = ["EXCHANGE", "CoinbaseExchange"]

#: Coinbase Exchange's facts (``--venue exchange``).
EXCHANGE = VenueInfo(
    id="exchange",
    title="Coinbase Exchange",
    default_url=SANDBOX_URL,
    stored_as="coinbase-exchange",
    key_field=CredentialField("key", "API key", "EX_API_KEY_READ"),
    secret_fields=(
        CredentialField("secret", "API secret (base64)", "EX_API_SECRET_READ"),
        CredentialField("passphrase", "API passphrase", "EX_API_PASSPHRASE_READ"),
    ),
    fill_scope="product",
    mutable_fill_columns=("settled", "fee"),
    reports_permissions=False,
    max_fill_page=MAX_FILLS_LIMIT,
    order_statuses=EXCHANGE_ORDER_STATUSES,
    url_env="EX_BASE_URL",
)


class CoinbaseExchange(ClientVenue["CoinbaseClient"]):
    """Coinbase Exchange as a :class:`~trade_tracker.venues.base.Venue`; ``client`` is the REST client."""

    info: ClassVar[VenueInfo] = EXCHANGE
    views: ClassVar[LiveViews] = ExchangeViews()

    @classmethod
    def open_client(
        cls,
        settings: Settings,
        credential: ApiCredential | None,
        *,
        rate_limits: RateLimits,
        transport: httpx.AsyncBaseTransport | None = None,
        credential_check: Callable[[], None] | None = None,
    ) -> CoinbaseClient:
        """``CoinbaseClient.from_settings``: ``EX_BASE_URL``, the timeouts and retries of the settings."""
        # The HTTP stack is imported on the first exchange call, not with this class.
        from .client import CoinbaseClient

        return CoinbaseClient.from_settings(
            settings, credential, rate_limits=rate_limits, transport=transport, credential_check=credential_check
        )

    @classmethod
    def wrap(cls, client: CoinbaseClient) -> CoinbaseExchange:
        return cls(client)

    # -- credential hooks (``credentials/`` calls these, never this package) ----------------------

    @classmethod
    def credential_from_fields(cls, fields: Mapping[str, str]) -> ApiCredential:
        """The checked :class:`~.auth.ApiCredential` of ``key`` / ``secret`` / ``passphrase`` (an optional
        ``label`` field names it in its repr); a CDP key gets the ``--venue advanced`` hint."""
        from .keys import credential_of_fields

        return credential_of_fields(fields)

    @classmethod
    def fields_from_key_file(cls, text: str) -> dict[str, str]:
        """Coinbase Exchange hands out no key file: always a :class:`CredentialError`."""
        raise CredentialError(
            "Coinbase Exchange keys have no key file; enter the API key, secret and passphrase instead "
            "(without --key-file), or use --venue advanced for a CDP key file"
        )

    @classmethod
    def fingerprint(cls, fields: Mapping[str, str]) -> str:
        """From the API key alone: its last 4 characters and a SHA-256 prefix."""
        from .keys import fingerprint_of_fields

        return fingerprint_of_fields(fields)

    # -- live reads ------------------------------------------------------------------------------

    async def list_orders(self, *, status: Sequence[str] | None, product_id: str | None, limit: int) -> list[Order]:
        return await self.client.list_orders(status, product_id, limit)

    async def fill_page(
        self, *, product_id: str | None, order_id: str | None, limit: int, cursor: str | None
    ) -> FillPage:
        """One page of fills older than ``cursor`` (a trade id as text; None: the newest page)."""
        return await self.client.list_fills(product_id, order_id, limit, after=cursor)

    async def check_key(self) -> Mapping[str, str]:
        """``GET /accounts``: a 200 proves View; Exchange tells nothing of Trade or Transfer. ``portfolio_uuid``:
        the profile id(s) the accounts belong to, comma separated (a label's history must stay one account's)."""
        accounts = await self.client.list_accounts()
        profiles = sorted({a.profile_id for a in accounts if a.profile_id})
        return {"view": "yes", "trade": "unknown", "transfer": "unknown", "portfolio_uuid": ",".join(profiles)}

    # -- sync ------------------------------------------------------------------------------------

    async def sync_scopes(
        self, store: TradeStore, label: str, asked: Sequence[str] | None, *, full: bool
    ) -> tuple[list[str], DiscoveryResult | None]:
        """Exchange ``/fills`` needs a product, so a scope is a product: the asked ones (checked, once
        each), or discovery's (every product the account ever traded, and every stored one)."""
        if asked is not None:
            return list(dict.fromkeys(check_product_id(p) for p in asked)), None
        from .discovery import discover_products

        return await discover_products(store, self.client, label, full=full)

    async def sync_scope(self, scope: str, sink: PageSink, *, full: bool, limit: int) -> None:
        from .walk import ProductSync

        await ProductSync(sink, self.client, scope, limit).run(full)
