"""The simulated product catalog: what each product looks like and where its price lives.

A product's JSON follows the Coinbase Exchange ``GET /products`` sample; the price band
is only used to generate a plausible random walk. Unknown ``BASE-QUOTE`` ids get a
generic spec so any product list works.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .formats import places_of

__all__ = ["DEFAULT_CLOSED", "DEFAULT_DELISTED", "DEFAULT_PRODUCTS", "ProductSpec", "spec_for", "usd_rate"]

DEFAULT_PRODUCTS: tuple[str, ...] = ("BTC-USD", "ETH-USD", "SOL-USD")
DEFAULT_DELISTED: tuple[str, ...] = ("MATIC-USD",)
#: Products the default account closed: their history ends selling the whole position, to exactly 0.
DEFAULT_CLOSED: tuple[str, ...] = ("SOL-USD",)

#: Fixed conversion of quote currencies to USD, for ``usd_volume`` (exact decimals).
_USD_RATES: dict[str, Decimal] = {
    "USD": Decimal(1),
    "USDC": Decimal(1),
    "USDT": Decimal(1),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "BTC": Decimal(50000),
    "ETH": Decimal(2500),
}


@dataclass(frozen=True)
class ProductSpec:
    """Static facts about one product; ``low``/``high`` bound its synthetic price walk."""

    id: str
    quote_increment: Decimal
    base_increment: Decimal
    low: float
    high: float
    weight: float
    min_market_funds: str = "1"
    delisted: bool = False

    @property
    def base_currency(self) -> str:
        return self.id.split("-")[0]

    @property
    def quote_currency(self) -> str:
        return self.id.split("-")[1]

    @property
    def quote_places(self) -> int:
        return places_of(self.quote_increment)

    @property
    def base_places(self) -> int:
        return places_of(self.base_increment)

    @property
    def price_places(self) -> int:
        """Places shown for prices: 8, as in the docs' fill sample, or more if the increment needs it."""
        return max(8, self.quote_places)

    @property
    def size_places(self) -> int:
        return max(8, self.base_places)

    def to_json(self) -> dict[str, Any]:
        """The ``GET /products`` object for this product."""
        return {
            "id": self.id,
            "base_currency": self.base_currency,
            "quote_currency": self.quote_currency,
            "quote_increment": f"{self.quote_increment:.{max(8, self.quote_places)}f}",
            "base_increment": f"{self.base_increment:.{max(8, self.base_places)}f}",
            "display_name": f"{self.base_currency}/{self.quote_currency}",
            "min_market_funds": self.min_market_funds,
            "margin_enabled": False,
            "post_only": False,
            "limit_only": False,
            "cancel_only": False,
            "status": "delisted" if self.delisted else "online",
            "status_message": f"{self.id} has been delisted" if self.delisted else "",
            "auction_mode": False,
            "trading_disabled": self.delisted,
            "fx_stablecoin": False,
            "max_slippage_percentage": "0.02000000",
        }


_C = Decimal("0.01")
_SAT = Decimal("0.00000001")

_CATALOG: dict[str, ProductSpec] = {
    spec.id: spec
    for spec in (
        ProductSpec("BTC-USD", _C, _SAT, 30_000, 70_000, 0.40),
        ProductSpec("ETH-USD", _C, _SAT, 1_500, 4_000, 0.30),
        ProductSpec("SOL-USD", _C, _SAT, 20, 250, 0.15),
        ProductSpec("LTC-USD", _C, _SAT, 50, 250, 0.08),
        ProductSpec("AVAX-USD", _C, _SAT, 10, 90, 0.08),
        ProductSpec("DOGE-USD", Decimal("0.00001"), Decimal("0.1"), 0.05, 0.45, 0.08),
        ProductSpec("ADA-USD", Decimal("0.0001"), Decimal("0.01"), 0.25, 1.2, 0.08),
        ProductSpec("MATIC-USD", Decimal("0.0001"), Decimal("0.1"), 0.3, 2.5, 0.08),
        ProductSpec("ETH-BTC", Decimal("0.00001"), _SAT, 0.03, 0.08, 0.05, min_market_funds="0.0001"),
        ProductSpec("BTC-EUR", _C, _SAT, 28_000, 65_000, 0.05),
    )
}


def spec_for(product_id: str, *, delisted: bool = False) -> ProductSpec:
    """The spec of a ``BASE-QUOTE`` product id (upper-cased), generic when not in the catalog."""
    pid = product_id.strip().upper()
    base, sep, quote = pid.partition("-")
    if not (base and sep and quote) or "-" in quote:
        raise ValueError(f"product ids look like BASE-QUOTE, got {product_id!r}")
    known = _CATALOG.get(pid)
    spec = known or ProductSpec(pid, _C, _SAT, 1.0, 100.0, 0.05)
    if delisted != spec.delisted:
        spec = replace(spec, delisted=delisted)
    return spec


def usd_rate(quote_currency: str) -> Decimal:
    """USD value of one unit of the quote currency (1 for unknown quotes)."""
    return _USD_RATES.get(quote_currency, Decimal(1))
