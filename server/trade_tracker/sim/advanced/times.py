"""Advanced Trade timestamps: RFC 3339 with 6 or 9 fractional digits, held as integer nanoseconds.

Why nanoseconds: fills carry ``trade_time``/``sequence_timestamp`` with both 6 and 9 fractional digits
(``2023-01-18T01:37:38.091377090Z`` beside ``2023-01-18T01:37:38.092520Z``), so the simulator orders and
filters by exact integers and renders each value with the precision it was given. Query parameters
(``start_sequence_timestamp``…) may carry any number of fractional digits; digits beyond 9 are cut.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["iso_ns", "parse_rfc3339_ns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


def iso_ns(ns: int, digits: int = 9) -> str:
    """Nanoseconds since the epoch as ``2024-02-27T03:37:14.123456789Z`` (``digits``: 0, 6 or 9)."""
    seconds, rest = divmod(ns, 1_000_000_000)
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return text + "Z"
    return f"{text}.{rest:09d}"[: len(text) + 1 + digits] + "Z"


def parse_rfc3339_ns(text: str) -> int:
    """An RFC 3339 date-time (any fractional digits, ``Z`` or an offset) as nanoseconds since the epoch.

    Raises ``ValueError`` for anything else.
    """
    match = _RFC3339.match(text.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    day, clock, fraction, zone = match.groups()
    moment = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in 'Zz' else zone}")
    whole = (moment - _EPOCH) // timedelta(seconds=1)
    return whole * 1_000_000_000 + int((fraction or "0")[:9].ljust(9, "0"))
