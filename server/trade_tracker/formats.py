"""The venue-neutral text formats and checks: decimal strings, ISO timestamps, product and order ids.

Plain functions with no pydantic, so the store, the sync and the analytics can use them
without building the exchange's models (the MCP server starts faster that way; the models
load with the HTTP client, on the first exchange call).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .errors import InvalidArgument

__all__ = [
    "MAX_DECIMAL_EXPONENT",
    "MAX_TRADE_ID",
    "ORDER_ID_PATTERN",
    "PRODUCT_ID_PATTERN",
    "bounded_decimal",
    "check_limit",
    "check_order_id",
    "check_product_id",
    "decimal_text",
    "iso_utc",
    "parse_timestamp",
    "utc_now",
]

#: The largest trade_id SQLite's INTEGER (and so the store's key) can hold: 2**63 - 1.
MAX_TRADE_ID = 2**63 - 1
#: A money or quantity field's leading digit must lie between 10**-40 and 10**40 (its adjusted
#: exponent within ±40); Coinbase's run from 16 decimal places to prices of a few million. The bound
#: keeps a value such as ``1E+50000000`` from ever being expanded: its fixed-point text is then at most
#: 42 characters longer than the digits that were sent.
MAX_DECIMAL_EXPONENT = 40


def bounded_decimal(value: Decimal) -> Decimal:
    """``value`` itself if its magnitude is within ``MAX_DECIMAL_EXPONENT``; ValueError if not.

    One C call (``adjusted()``); zero counts too, since ``0E-50000000`` would print 50 million zeros.
    """
    if -MAX_DECIMAL_EXPONENT <= value.adjusted() <= MAX_DECIMAL_EXPONENT:
        return value
    raise ValueError(
        f"a number with exponent {value.adjusted()} is outside what any price, size or fee can be "
        f"(10^-{MAX_DECIMAL_EXPONENT} to 10^{MAX_DECIMAL_EXPONENT}); refusing to expand it"
    )


def decimal_text(value: Decimal) -> str:
    """The exact fixed-point text of a Decimal (no exponent), e.g. ``0.00000010``."""
    return format(value, "f")


_TS = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2})(?::(?P<sec>\d{2}))?"
    r"(?:\.(?P<frac>\d+))?\s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_timestamp(value: Any) -> datetime:
    """Parse Coinbase's timestamps into an aware UTC datetime.

    Accepts ``2019-11-21T01:38:23.878Z``, any number of fractional digits (truncated
    to microseconds), a space instead of ``T``, no seconds (``01:38``), and offsets ``Z``,
    ``+00``, ``+00:00``.
    A value with no zone is taken as UTC, which is what the API documents.
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:  # epoch seconds (a JSON number arrives as Decimal: the client never parses floats)
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"epoch seconds out of range: {str(value)[:40]}") from None
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 timestamp")
    match = _TS.match(value.strip())
    if not match:
        raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}")
    frac = (match["frac"] or "")[:6].ljust(6, "0")
    tz = match["tz"] or "Z"
    if tz in ("Z", "z"):
        tz = "+00:00"
    elif len(tz) == 3:
        tz += ":00"
    elif ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}:{match['sec'] or '00'}.{frac}{tz}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC instant Python has
        raise ValueError(f"timestamp out of range: {value[:40]!r}") from None


def iso_utc(value: datetime) -> str:
    """Fixed-width ISO UTC text with microseconds, so that text order is time order.

    The year is always 4 digits, zero-padded (``0999-01-01T...``): ``strftime("%Y")`` writes
    ``999`` on glibc, which would sort after ``2024`` and turn a ``since`` into "nothing".
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


#: What a product id and an order id look like (the MCP tools' input schemas use the same text).
PRODUCT_ID_PATTERN = r"[A-Za-z0-9]{1,20}-[A-Za-z0-9]{1,20}"
ORDER_ID_PATTERN = r"[0-9A-Fa-f-]{32,36}"
_PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)
_ORDER_ID = re.compile(ORDER_ID_PATTERN)


def check_limit(value: object, maximum: int, name: str = "limit") -> int:
    """A page size or row count from outside (a tool, the CLI, a caller): a whole number from 1 to ``maximum``.

    ``bool`` is refused although it is an ``int``: ``limit=True`` is a mistake, not one row.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidArgument(f"{name} must be a whole number from 1 to {maximum}")
    return value


def check_product_id(product_id: str) -> str:
    """Validate a ``BASE-QUOTE`` product id before it goes into a URL; return it upper-cased."""
    if not isinstance(product_id, str) or not _PRODUCT_ID.fullmatch(product_id):
        raise InvalidArgument(f"product_id must look like BASE-QUOTE, e.g. BTC-USD (got {str(product_id)[:40]!r})")
    return product_id.upper()


def check_order_id(order_id: str) -> str:
    """Validate an order UUID before it goes into a query string."""
    if not isinstance(order_id, str) or not _ORDER_ID.fullmatch(order_id):
        raise InvalidArgument(f"order_id must be a UUID (got {str(order_id)[:40]!r})")
    return order_id


def utc_now() -> str:
    """Now as fixed-width ISO UTC text (sorts as time), the form the store keeps its own stamps in."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
