"""The MCP tools' argument vocabulary: the patterns, and the annotated types the schemas are built from.

Defined once and shared by ``tools.py`` and ``sync_tools.py``; ``argument_errors.py`` words a bad
argument's error from :data:`ARGUMENT_FORMATS`.
"""

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, Field

from trade_tracker.errors import InvalidArgument
from trade_tracker.formats import ORDER_ID_PATTERN, PRODUCT_ID_PATTERN
from trade_tracker.labels import LABEL_PATTERN, check_label
from trade_tracker.order_statuses import OrderStatusWord

__all__ = [
    "ARGUMENT_FORMATS",
    "DATE_PATTERN",
    "QUOTE_CURRENCY_PATTERN",
    "CancelLabel",
    "DateText",
    "Label",
    "NewLabel",
    "OrderStatus",
    "ProductId",
    "StatusLabel",
    "StoreLabel",
    "StoreVenue",
    "VenueArg",
]

DATE_PATTERN = r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?"
QUOTE_CURRENCY_PATTERN = r"[A-Za-z0-9]{2,10}"
#: What each argument pattern means, in words: a bad argument's error names this (argument_errors.py).
ARGUMENT_FORMATS = {
    PRODUCT_ID_PATTERN: "a product id BASE-QUOTE such as BTC-USD",
    ORDER_ID_PATTERN: "an order id (a UUID)",
    LABEL_PATTERN.removeprefix("^").removesuffix(
        "$"
    ): "a credential label of 1 to 64 letters, digits, dots, dashes or underscores",
    DATE_PATTERN: "an ISO date such as 2025-01-31 or a date-time such as 2025-01-31T12:00:00Z (UTC if no zone)",
    QUOTE_CURRENCY_PATTERN: "a currency code of 2 to 10 letters or digits, such as USD",
}

ProductId = Annotated[
    str, Field(pattern=f"^{PRODUCT_ID_PATTERN}$", max_length=41, description="a product id BASE-QUOTE, e.g. BTC-USD")
]


def _label(value: str) -> str:
    """The CLI's label check (``labels.check_label``), as pydantic wants it: a ValueError."""
    try:
        return check_label(value, allow_env=True)
    except InvalidArgument as exc:
        raise ValueError(str(exc)) from None


#: Every label argument's schema: the pattern and length are shown to clients; ``check_label`` checks it.
_CHECK_LABEL = AfterValidator(_label)


def _label_field(description: str) -> Any:
    """A label argument's schema: its description; the pattern and length shown to clients."""
    return Field(description=description, json_schema_extra={"pattern": LABEL_PATTERN, "maxLength": 64})


#: Checked by ``check_label`` alone (as in the CLI); the pattern is shown in the schema for clients.
Label = Annotated[str, _label_field("credential label; omit to use the default credential"), _CHECK_LABEL]
#: The store's tools read every label unless one is named: a different description, the same check.
StoreLabel = Annotated[
    str, _label_field("only fills synced with this credential label; omit for all labels"), _CHECK_LABEL
]
#: sync_status reads every label unless one is named.
StatusLabel = Annotated[str, _label_field("only this credential label; omit for every label"), _CHECK_LABEL]
#: cancel_sync: the one running job when there is only one.
CancelLabel = Annotated[
    str,
    _label_field("the label whose sync to stop; omit when only one sync is running (else the default credential's)"),
    _CHECK_LABEL,
]
#: store_credential: the name the new key is stored under (required).
NewLabel = Annotated[str, _label_field("the name to store the credential under, e.g. main (required)"), _CHECK_LABEL]
#: store_credential: whose key (the public venue ids, ``venues.base.VenueId``; tests check they match).
StoreVenue = Annotated[
    Literal["exchange", "advanced"],
    Field(description="whose key: exchange (Coinbase Exchange, the default) or advanced (Coinbase Advanced Trade)"),
]
#: list_products / get_ticker: whose public market data.
VenueArg = Annotated[
    Literal["exchange", "advanced"],
    Field(
        description="whose market data: exchange (Coinbase Exchange, the default) or advanced (Coinbase Advanced Trade)"
    ),
]
DateText = Annotated[
    str,
    Field(
        max_length=40, pattern=f"^{DATE_PATTERN}$", description="ISO date or datetime (UTC if no zone), e.g. 2025-01-31"
    ),
]
#: Both venues' words (each venue checks its own, ``live_views.order_statuses``), as one Literal for the schema.
OrderStatus: TypeAlias = OrderStatusWord
