"""``CoinbaseAdvanced``: the Coinbase Advanced Trade adapter behind the :class:`~trade_tracker.venues.base.Venue` seam.

Why a class of its own: the core (``app.py``, the sync engine) knows one small interface; this class
delegates to :class:`~.client.AdvancedTradeClient` (HTTP, JWT, limits), to the fills walk (``walk.py``)
and to the key parsing (``keys.py``, the credential hooks). :data:`ADVANCED` is the venue's facts.

What the live reads return (the faces show these shapes): ``list_products`` ``list[models.Product]``,
``get_ticker`` ``models.Ticker``, ``list_balances`` ``list[models.Account]`` (every page of ``/accounts``),
``list_orders`` ``list[models.Order]`` (one page, newest first), ``fill_page`` ``models.FillPage``
(``fills: list[AdvancedFill]`` and the opaque ``cursor`` of the next page, None at the end).

Sync scopes: ``/orders/historical/fills`` needs no product, so a default sync is ONE walk of the whole
account, scope ``*``. Asked products are still one walk (``product_ids`` repeated), under the scope
``products:A,B`` (the ids checked, de-duplicated and sorted): its cursor is its own, so the mark of a
filtered walk never claims the whole account, and the same set asked again resumes it.

Light at import (dataclasses only): the HTTP stack loads with the first client, not with this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from trade_tracker.errors import InvalidArgument
from trade_tracker.formats import check_product_id

from ...order_statuses import ADVANCED_ORDER_STATUSES
from ..base import ACCOUNT_SCOPE, PRODUCTS_SCOPE, CredentialField, PageSink, VenueInfo
from ..client_venue import ClientVenue
from ..views import LiveViews
from .views import AdvancedViews

if TYPE_CHECKING:
    import httpx

    from trade_tracker.config import Settings
    from trade_tracker.store.connection import TradeStore
    from trade_tracker.sync.results import DiscoveryResult

    from ..ratelimit import RateLimits
    from .client import AdvancedTradeClient
    from .keys import CdpKey
    from .models import FillPage, Order

__all__ = ["ADVANCED", "CoinbaseAdvanced", "products_of_scope"]


#: Coinbase Advanced Trade's facts (``--venue advanced``).
ADVANCED = VenueInfo(
    id="advanced",
    title="Coinbase Advanced Trade",
    default_url="https://api.coinbase.com",
    stored_as="coinbase-advanced",
    key_field=CredentialField(
        "key_name", "CDP API key name (organizations/.../apiKeys/... or the key id)", "AT_API_KEY_NAME"
    ),
    secret_fields=(CredentialField("private_key", "CDP API private key", "AT_API_SECRET", multiline=True),),
    fill_scope="account",
    mutable_fill_columns=(),
    reports_permissions=True,
    max_fill_page=250,
    order_statuses=ADVANCED_ORDER_STATUSES,
    url_env="AT_BASE_URL",
)


def products_of_scope(scope: str) -> list[str] | None:
    """The products a scope walks: None for the account (``*``), else the listed ones."""
    if scope == ACCOUNT_SCOPE:
        return None
    if not scope.startswith(PRODUCTS_SCOPE):
        raise InvalidArgument(f"an Advanced Trade sync scope is '*' or 'products:ID,...' (got {scope[:60]!r})")
    return [check_product_id(p) for p in scope.removeprefix(PRODUCTS_SCOPE).split(",")]


class CoinbaseAdvanced(ClientVenue["AdvancedTradeClient"]):
    """Coinbase Advanced Trade as a :class:`~trade_tracker.venues.base.Venue`; ``client`` is the REST client."""

    info: ClassVar[VenueInfo] = ADVANCED
    views: ClassVar[LiveViews] = AdvancedViews()

    @classmethod
    def open_client(
        cls,
        settings: Settings,
        credential: CdpKey | None,
        *,
        rate_limits: RateLimits | None,
        transport: httpx.AsyncBaseTransport | None = None,
        credential_check: Callable[[], None] | None = None,
    ) -> AdvancedTradeClient:
        """``AdvancedTradeClient.from_settings``: ``AT_BASE_URL``, the timeouts and retries of the settings.

        ``rate_limits`` is used when it holds Advanced Trade's buckets or is disabled (tests); the app's
        Exchange buckets are not Advanced Trade's, so then the client takes its own, shared across
        processes per base URL (so does None: the default)."""
        from .client import AdvancedTradeClient
        from .limits import ADVANCED_LIMITS

        own = rate_limits is not None and (not rate_limits.enabled or rate_limits.specs == ADVANCED_LIMITS)
        return AdvancedTradeClient.from_settings(
            settings,
            credential,
            rate_limits=rate_limits if own else None,
            transport=transport,
            credential_check=credential_check,
        )

    @classmethod
    def wrap(cls, client: AdvancedTradeClient) -> CoinbaseAdvanced:
        return cls(client)

    # -- credential hooks (SPEC-15): credentials/ calls these, never keys.py ---------------------

    @classmethod
    def credential_from_fields(cls, fields: Mapping[str, str]) -> CdpKey:
        """The typed CDP key of the fields ``key_name`` and ``private_key`` (an optional ``label`` field names
        it in its repr); a bad shape is a :class:`~trade_tracker.errors.CredentialError` with a hint, never
        echoing the secret."""
        from .keys import credential_from_fields

        return credential_from_fields(fields, label=fields.get("label", "unnamed"))

    @classmethod
    def fields_from_key_file(cls, text: str) -> dict[str, str]:
        """The fields of a CDP portal key file (JSON with ``name``/``id`` and ``privateKey``)."""
        from .keys import fields_from_key_file

        return fields_from_key_file(text)

    @classmethod
    def fingerprint(cls, fields: Mapping[str, str]) -> str:
        """The public fingerprint, from the key name only."""
        from .keys import KEY_FIELD, cdp_fingerprint

        return cdp_fingerprint(str(fields.get(KEY_FIELD) or "").strip())

    # -- live reads ------------------------------------------------------------------------------

    async def list_orders(self, *, status: Sequence[str] | None, product_id: str | None, limit: int) -> list[Order]:
        """One page of orders, newest first; statuses in any case (``open`` is ``OPEN``)."""
        statuses = [s.upper() for s in status] if status is not None else None
        products = [product_id] if product_id is not None else None
        page = await self.client.list_orders(order_status=statuses, product_ids=products, limit=limit)
        return page.orders

    async def fill_page(
        self, *, product_id: str | None, order_id: str | None, limit: int, cursor: str | None
    ) -> FillPage:
        """One page of fills (of the whole account unless a product or order is given), newest first."""
        return await self.client.fill_page(
            product_ids=[product_id] if product_id is not None else None,
            order_ids=[order_id] if order_id is not None else None,
            limit=limit,
            cursor=cursor,
        )

    async def check_key(self) -> Mapping[str, str]:
        """``GET /key_permissions``: ``can_view`` / ``can_trade`` / ``can_transfer`` as ``"true"``/``"false"``,
        ``portfolio_uuid`` and ``portfolio_type``."""
        permissions = await self.client.key_permissions()
        return permissions.as_check()

    # -- sync ------------------------------------------------------------------------------------

    async def sync_scopes(
        self, store: TradeStore, label: str, asked: Sequence[str] | None, *, full: bool
    ) -> tuple[list[str], DiscoveryResult | None]:
        """One walk: the account (``*``), or the asked products together (``products:A,B``)."""
        if asked is None:
            return [ACCOUNT_SCOPE], None
        products = sorted({check_product_id(p) for p in asked})
        return ([PRODUCTS_SCOPE + ",".join(products)] if products else []), None

    async def sync_scope(self, scope: str, sink: PageSink, *, full: bool, limit: int) -> None:
        from .walk import AccountWalk

        await AccountWalk(sink, self.client, products_of_scope(scope), limit).run(full)
