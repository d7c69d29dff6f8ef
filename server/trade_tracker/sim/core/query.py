"""Reading one query parameter of a simulated API request: absent or empty is None, a value the parser
refuses is the venue's 400 naming the parameter, as the real APIs answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request

from .errors import SimError

__all__ = ["parsed_param"]

T = TypeVar("T")


def parsed_param(request: Request, name: str, parse: Callable[[str], T], refused: str) -> T | None:
    """``parse`` of the parameter ``name``, None when absent or empty; a ValueError is ``SimError(400, refused)``."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError:
        raise SimError(400, refused) from None
