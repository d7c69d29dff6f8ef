"""Wire formats of Coinbase Exchange values: timestamps and decimal strings.

Kept apart so every endpoint renders the same way the documented samples do:
timestamps are ISO 8601 with microseconds and ``Z``; money is a decimal string with a
fixed number of places (never a float).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

__all__ = [
    "Q16",
    "fixed",
    "iso_us",
    "parse_date_us",
    "places_of",
    "units_to_decimal",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ONE_DAY_US = 86_400_000_000

#: 16 decimal places, the precision of ``fee`` and ``usd_volume`` in fills.
Q16 = Decimal("1e-16")


def iso_us(us: int) -> str:
    """Microseconds since the epoch as ``2019-11-21T01:38:23.878000Z``."""
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_date_us(text: str, *, end_of_day: bool = False) -> int:
    """Parse an RFC 3339 date or date-time into microseconds since the epoch.

    A bare date means midnight UTC, or the last microsecond of that day when
    ``end_of_day`` (inclusive ``end_date`` filters). A time without an offset is UTC.
    Raises ``ValueError`` for anything else, including plain numbers.
    """
    text = text.strip()
    if _DATE_ONLY.match(text):
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        us = (day - _EPOCH) // timedelta(microseconds=1)
        return us + _ONE_DAY_US - 1 if end_of_day else us
    if "T" not in text and " " not in text:
        raise ValueError(f"not a date or date-time: {text!r}")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def places_of(increment: Decimal) -> int:
    """Decimal places of an increment such as ``Decimal("0.01")`` (2)."""
    exponent = increment.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def units_to_decimal(units: int, places: int) -> Decimal:
    """An integer count of ``10**-places`` steps as an exact Decimal."""
    return Decimal(units).scaleb(-places)


def fixed(value: Decimal, places: int) -> str:
    """A Decimal as a string with exactly ``places`` decimals (``8087.38000000``)."""
    return f"{value:.{places}f}"
