"""The fill queries' arguments: inclusive time bounds, the WHERE clause of the filters, keyset cursors.

Pure functions and one frozen :class:`Filters`, no connection: a face builds one ``Filters`` per call from
the shared argument vocabulary and passes it through the app to ``TradeStore.query_fills``/``count_fills``
(``fills.py``), the export and ``analytics``, so all of them read a window the same way. Only fixed SQL
text is formatted in; every value travels as a parameter.
"""

# pyright: reportUnnecessaryIsInstance=false
# (the type checks below are the argument checks for values from outside: tool arguments, cursors)

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from ..errors import InvalidArgument
from ..formats import check_product_id, iso_utc, parse_timestamp

__all__ = ["NO_FILTERS", "Filters", "decode_cursor", "encode_cursor", "time_bound", "time_window"]

_SIDES = frozenset({"buy", "sell"})
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def time_bound(value: str | date | datetime | None, name: str, *, upper: bool) -> str | None:
    """A ``since``/``until`` filter as fixed-width ISO UTC text, the form ``created_at`` is stored in.

    A bare date means that whole UTC day: its start for a lower bound, its last microsecond for an
    upper one, so both bounds are inclusive. A time without a zone is UTC. Shared by the store's
    fill queries and by ``analytics``, so the two read a window the same way.
    """
    if value is None:
        return None
    try:
        if not isinstance(value, str | date):  # datetime is a date; numbers are not times here
            raise TypeError(name)
        if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
            value = date.fromisoformat(value.strip())
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat() + ("T23:59:59.999999Z" if upper else "T00:00:00.000000Z")
        return iso_utc(parse_timestamp(value))
    except (ValueError, TypeError, OverflowError):
        raise InvalidArgument(
            f"{name} must be an ISO date (2024-05-01) or a UTC date-time (2024-05-01T12:00:00Z); "
            f"got {str(value)[:40]!r}"
        ) from None


def time_window(
    since: str | date | datetime | None, until: str | date | datetime | None
) -> tuple[str | None, str | None]:
    """Both bounds of a window as stored-form text (see :func:`time_bound`), checked to be in order."""
    lower = time_bound(since, "since", upper=False)
    upper = time_bound(until, "until", upper=True)
    if lower is not None and upper is not None and lower > upper:
        raise InvalidArgument(f"since ({lower}) is after until ({upper})")
    return lower, upper


@dataclass(frozen=True, slots=True)
class Filters:
    """Which stored fills a query, count, summary or export reads: built once per call by the face.

    The fields hold checked, stored-form values (product id upper-cased, side lower-case, since/until
    fixed-width ISO UTC text with both bounds inclusive, ``label`` None for every label); build one
    with :meth:`of`, which checks what came from outside. ``where`` turns it into SQL, so every reader
    selects the same rows.
    """

    product_id: str | None = None
    side: str | None = None
    since: str | None = None
    until: str | None = None
    label: str | None = None

    @classmethod
    def of(
        cls,
        *,
        product_id: str | None = None,
        side: str | None = None,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        label: str | None = None,
    ) -> Filters:
        """The filters from the shared argument vocabulary; InvalidArgument names what is malformed.

        A bare date means that whole UTC day (see :func:`time_bound`); since after until is refused.
        """
        product = check_product_id(product_id) if product_id is not None else None
        if side is not None and (not isinstance(side, str) or side.lower() not in _SIDES):
            raise InvalidArgument(f"side must be 'buy' or 'sell' (got {str(side)[:20]!r})")
        lower, upper = time_window(since, until)
        return cls(product, side.lower() if side is not None else None, lower, upper, label or None)

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause (fixed SQL text, empty when nothing is filtered) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, op, value in (
            ("product_id", "=", self.product_id),
            ("side", "=", self.side),
            ("created_at", ">=", self.since),
            ("created_at", "<=", self.until),
            ("label", "=", self.label),
        ):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


#: The filters that select every stored fill (the default of the readers).
NO_FILTERS = Filters()


def encode_cursor(
    created_at: str, product_id: str, trade_id: int | str, label: str, fill_key: str | None = None
) -> str:
    """The opaque ``query_fills`` cursor for the row with this key (``fill_key`` None: an Exchange row's).

    An Exchange row's cursor (integer trade_id, ``fill_key`` = ``product_id:trade_id``) stays the four-part
    cursor issued before the second venue, byte for byte; any other row's names its ``fill_key`` too.
    """
    if fill_key is None or (isinstance(trade_id, int) and fill_key == f"{product_id}:{trade_id}"):
        return _encode([created_at, product_id, trade_id, label])
    return _encode([created_at, product_id, trade_id, label, fill_key])


def _encode(key: Sequence[object]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _is_trade_id(value: object) -> bool:
    """An Exchange trade_id (an int, not a bool) or a venue's string trade id."""
    if isinstance(value, str):
        return 0 < len(value) <= 100
    return isinstance(value, int) and not isinstance(value, bool)


def decode_cursor(cursor: str) -> tuple[str, str, int | str, str, str]:
    """The key ``(created_at, product_id, trade_id, label, fill_key)`` inside a cursor from
    :func:`encode_cursor`; InvalidArgument for anything else. The trade_id comes back exactly as it
    went in: an int stays an int, a string a string (SQLite orders the two differently).

    A four-part cursor is an Exchange row's: its ``fill_key`` is ``product_id:trade_id``. A cursor issued
    before fills were keyed by label (three parts, no label) still works: its label and fill_key are
    ``""``, which sort below every label, so it resumes exactly where it stopped.
    """
    bad = InvalidArgument(
        "cursor is not one this store issued: pass back next_cursor unchanged, or omit it to start from the newest fill"
    )
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 600:
        raise bad
    try:
        decoded: object = json.loads(base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True))
    except ValueError:
        raise bad from None
    if not isinstance(decoded, list):
        raise bad
    value = cast("list[object]", decoded)
    if not (
        len(value) in (3, 4, 5)
        and isinstance(value[0], str)
        and _ISO_UTC.match(value[0])
        and isinstance(value[1], str)
        and _is_trade_id(value[2])
        and (len(value) < 5 or isinstance(value[2], str) or value[4] != f"{value[1]}:{value[2]}")
        and all(isinstance(v, str) for v in value[3:])
        and _encode(value) == cursor  # canonical: nothing appended or altered
    ):
        raise bad
    created_at, product_id, trade_id = value[0], value[1], cast("int | str", value[2])
    label = cast(str, value[3]) if len(value) >= 4 else ""  # checked to be a str above
    if len(value) == 5:
        fill_key = cast(str, value[4])
    else:
        fill_key = f"{product_id}:{trade_id}" if len(value) == 4 else ""
    return created_at, product_id, trade_id, label, fill_key
