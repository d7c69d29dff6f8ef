"""Query parameters of the Advanced Trade routes: integers, repeated keys, RFC 3339 instants.

List parameters come as repeated keys (``product_ids=A&product_ids=B``), with the plural names; a
comma inside one value is NOT split (the API does not document that form). A bad value is a 400
``INVALID_ARGUMENT`` naming the parameter.
"""

from __future__ import annotations

from starlette.requests import Request

from ..core.errors import SimError
from .queries import FillQuery
from .times import parse_rfc3339_ns

__all__ = ["fill_query", "int_param", "many", "ns_param"]


def int_param(request: Request, name: str) -> int | None:
    """An integer parameter, or None when absent or empty."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise SimError(400, f"{name} must be an integer") from None


def many(request: Request, name: str) -> list[str]:
    """Every non-empty value of a repeated-key parameter."""
    return [v for v in request.query_params.getlist(name) if v]


def ns_param(request: Request, name: str) -> int | None:
    """An RFC 3339 instant (any fractional digits) as nanoseconds, or None when absent."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_rfc3339_ns(raw)
    except ValueError:
        raise SimError(400, f"{name} must be an RFC 3339 timestamp") from None


def fill_query(request: Request) -> FillQuery:
    """The filters of a ``/orders/historical/fills`` request."""
    return FillQuery(
        product_ids=many(request, "product_ids"),
        order_ids=many(request, "order_ids"),
        trade_ids=many(request, "trade_ids"),
        start_ns=ns_param(request, "start_sequence_timestamp"),
        end_ns=ns_param(request, "end_sequence_timestamp"),
    )
