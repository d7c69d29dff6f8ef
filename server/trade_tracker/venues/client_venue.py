"""What every venue does the same way with its REST client: hold it, count its requests, pass the plain
reads through, and close it.

Why a base class: both venues (``coinbase_exchange``, ``coinbase_advanced``) wrap one REST client and
answer products, a ticker and balances by asking it directly; only the orders, the fills, the key check
and the sync walk differ, and those stay in each venue. Nothing here does I/O of its own.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, Self, TypeVar

__all__ = ["ClientVenue", "RestClient"]


class RestClient(Protocol):
    """The part of a venue's REST client this base calls."""

    @property
    def requests_sent(self) -> int: ...
    async def list_products(self) -> Any: ...
    async def get_ticker(self, product_id: str) -> Any: ...
    async def list_accounts(self) -> Any: ...
    async def aclose(self) -> None: ...


C = TypeVar("C", bound=RestClient)


class ClientVenue(Generic[C]):
    """A venue driving ``client``: the reads both venues answer the same way, and closing."""

    def __init__(self, client: C) -> None:
        self.client: C = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.client!r})"

    @property
    def requests_sent(self) -> int:
        """Requests sent so far (for a sync's ``requests`` count)."""
        return self.client.requests_sent

    async def list_products(self) -> list[Any]:
        return await self.client.list_products()

    async def get_ticker(self, product_id: str) -> Any:
        return await self.client.get_ticker(product_id)

    async def list_balances(self) -> list[Any]:
        return await self.client.list_accounts()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
