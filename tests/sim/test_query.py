"""``sim/core/query.py``: one optional query parameter, parsed, or the venue's 400 naming it."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from trade_tracker.sim.core.errors import SimError
from trade_tracker.sim.core.query import parsed_param


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": []})


def test_absent_or_empty_is_none_and_a_value_is_parsed() -> None:
    assert parsed_param(_request(""), "limit", int, "bad") is None
    assert parsed_param(_request("limit="), "limit", int, "bad") is None
    assert parsed_param(_request("limit=7"), "limit", int, "bad") == 7


def test_a_refused_value_is_a_400_with_the_given_words() -> None:
    with pytest.raises(SimError) as caught:
        parsed_param(_request("limit=seven"), "limit", int, "limit must be an integer")
    assert (caught.value.status, caught.value.message) == (400, "limit must be an integer")
