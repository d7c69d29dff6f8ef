"""Query parameters of the Advanced Trade routes: integers, repeated keys, RFC 3339 instants.

List parameters come as repeated keys (``product_ids=A&product_ids=B``), with the plural names; a
comma inside one value is NOT split (the API does not document that form). A bad value is a 400
``INVALID_ARGUMENT`` naming the parameter.
"""

from __future__ import annotations

from starlette.requests import Request

from ..core.query import parsed_param
from .queries import FillQuery
from .times import parse_rfc3339_ns

__all__ = ["fill_query", "int_param", "many", "ns_param"]


def int_param(request: Request, name: str) -> int | None:
    """An integer parameter, or None when absent or empty."""
    return parsed_param(request, name, int, f"{name} must be an integer")


def many(request: Request, name: str) -> list[str]:
    """Every non-empty value of a repeated-key parameter."""
    return [v for v in request.query_params.getlist(name) if v]


def ns_param(request: Request, name: str) -> int | None:
    """An RFC 3339 instant (any fractional digits) as nanoseconds, or None when absent."""
    return parsed_param(request, name, parse_rfc3339_ns, f"{name} must be an RFC 3339 timestamp")


def fill_query(request: Request) -> FillQuery:
    """The filters of a ``/orders/historical/fills`` request."""
    return FillQuery(
        product_ids=many(request, "product_ids"),
        order_ids=many(request, "order_ids"),
        trade_ids=many(request, "trade_ids"),
        start_ns=ns_param(request, "start_sequence_timestamp"),
        end_ns=ns_param(request, "end_sequence_timestamp"),
    )
