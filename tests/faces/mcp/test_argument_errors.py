"""Bad tool arguments come back as one plain sentence naming the argument and what it accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
from mcp import Client
from pydantic import BaseModel, Field, ValidationError

from trade_tracker.config import load_settings
from trade_tracker.faces.mcp.argument_errors import plain_sentence
from trade_tracker.faces.mcp.params import OrderStatus
from trade_tracker.faces.mcp.server import build_server

MODES = ["legacy", "auto"]
PRODUCT = "product_id must be a product id BASE-QUOTE such as BTC-USD."
#: The label rule is the CLI's own (labels.check_label), so the sentence is the same in both faces.
LABEL = "a label must be 1-64 characters of letters, digits, '.', '_' or '-' (got {!r})."
DATE = "must be an ISO date such as 2025-01-31 or a date-time such as 2025-01-31T12:00:00Z (UTC if no zone)."
STATUSES = ", ".join(get_args(OrderStatus))  # both venues' words

#: (tool, arguments, the exact sentence after "Error executing tool <tool>: ")
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("get_ticker", {}, "product_id is required."),
    ("get_ticker", {"product_id": 42}, PRODUCT),
    ("get_ticker", {"product_id": None}, PRODUCT),
    ("get_ticker", {"product_id": "BTCUSD"}, PRODUCT),
    ("get_ticker", {"product_id": "A" * 100}, "product_id must be at most 41 characters."),
    ("list_products", {"status": "sideways"}, "status must be one of: online, offline, internal, delisted."),
    (
        "list_products",
        {"quote_currency": "US D"},
        "quote_currency must be a currency code of 2 to 10 letters or digits, such as USD.",
    ),
    ("list_products", {"query": "x" * 41}, "query must be at most 40 characters."),
    ("list_fills", {"product_id": "BTC-USD", "limit": 0}, "limit must be a whole number from 1 to 100."),
    ("list_fills", {"product_id": "BTC-USD", "limit": "many"}, "limit must be a whole number from 1 to 100."),
    ("list_fills", {"product_id": "BTC-USD", "limit": 2.5}, "limit must be a whole number from 1 to 100."),
    (
        "list_fills",
        {"product_id": "BTC-USD", "after": -1},
        "after must be next_after from the previous page, for older fills.",
    ),
    ("list_fills", {"order_id": "' OR 1=1 --"}, "order_id must be an order id (a UUID)."),
    ("list_orders", {"status": ["sideways"]}, f"each item of status must be one of: {STATUSES}."),
    ("list_orders", {"status": "open"}, f"status must be a list of values from: {STATUSES}."),
    ("list_accounts", {"label": "../../etc/passwd"}, LABEL.format("../../etc/passwd")),
    ("list_accounts", {"hide_zero": "maybe"}, "hide_zero must be true or false."),
    ("sync_fills", {"product_ids": "BTC-USD"}, "product_ids must be a list, even for a single value."),
    ("sync_fills", {"product_ids": ["BTC-USD"] * 51}, "product_ids may hold at most 50 items."),
    (
        "sync_fills",
        {"product_ids": ["BTC-USD", "nope"]},
        "each item of product_ids must be a product id BASE-QUOTE such as BTC-USD.",
    ),
    ("query_trades", {"side": "long"}, "side must be one of: buy, sell."),
    ("query_trades", {"limit": 0}, "limit must be a whole number from 1 to 200."),
    ("query_trades", {"limit": None}, "limit must be a whole number from 1 to 200."),
    ("query_trades", {"since": "yesterday"}, f"since {DATE}"),
    ("query_trades", {"until": "2024-01-01'; DELETE FROM fills; --"}, f"until {DATE}"),
    ("query_trades", {"cursor": "c" * 201}, "cursor must be at most 200 characters."),
    (
        "query_trades",
        {"side": "long", "limit": 0},
        "side must be one of: buy, sell; limit must be a whole number from 1 to 200.",
    ),
    ("trade_summary", {"group_by": "year"}, "group_by must be one of: product, month, day."),
    ("trade_summary", {"method": "lifo"}, "method must be one of: fifo, average."),
    ("trade_summary", {"with_unrealized": "sure"}, "with_unrealized must be true or false."),
    ("store_credential", {}, "label is required."),
    ("store_credential", {"label": "has space"}, LABEL.format("has space")),
    ("export_trades", {"since": "soon"}, f"since {DATE}"),
    ("export_trades", {"summary": True, "group_by": "week"}, "group_by must be one of: product, month, day."),
    ("sync_fills", {"wait_seconds": 99}, "wait_seconds must be a number from 0 to 50."),
    ("sync_fills", {"wait_seconds": -1}, "wait_seconds must be a number from 0 to 50."),
    ("sync_fills", {"wait_seconds": "soon"}, "wait_seconds must be a number from 0 to 50."),
]

FORBIDDEN = ("pydantic", "type=", "https://errors.pydantic.dev", "Input should be", "input_value", "Arguments\n")


@pytest.fixture
def server(isolated_env: Path) -> Any:
    return build_server(load_settings(trade_tracker_home=isolated_env))


@pytest.mark.parametrize("mode", MODES)
async def test_bad_arguments_read_as_one_plain_sentence(server: Any, mode: str) -> None:
    async with Client(server, mode=mode) as c:
        for name, args, sentence in CASES:
            result = await c.call_tool(name, args)
            text = "".join(getattr(part, "text", "") for part in result.content)
            assert result.is_error, (name, args)
            assert text == f"Error executing tool {name}: {sentence}", (name, args)
            assert not any(word in text for word in FORBIDDEN), text
            assert "\n" not in text


async def test_the_rejected_value_is_never_echoed(server: Any) -> None:
    async with Client(server, mode="legacy") as c:
        result = await c.call_tool("get_ticker", {"product_id": "SECRET-ISH VALUE"})
    assert result.is_error and "SECRET-ISH" not in str(result.content)


async def test_a_fills_export_refuses_summary_options(server: Any) -> None:
    async with Client(server, mode="legacy") as c:
        result = await c.call_tool("export_trades", {"group_by": "month"})
    text = "".join(getattr(part, "text", "") for part in result.content)
    assert result.is_error and "group_by and method go with summary=true" in text


def test_a_custom_validator_keeps_its_own_message() -> None:
    from typing import Annotated

    from pydantic import AfterValidator

    def even(value: int) -> int:
        if value % 2:
            raise ValueError("size must be even, e.g. 2 or 4")
        return value

    class Args(BaseModel):
        size: Annotated[int, AfterValidator(even)]
        label: Annotated[str, AfterValidator(lambda v: (_ for _ in ()).throw(ValueError("unknown name")))]

    try:
        Args.model_validate({"size": 3, "label": "x"})
    except ValidationError as exc:
        assert plain_sentence(exc, Args.model_json_schema()) == "size must be even, e.g. 2 or 4; label: unknown name."


def test_plain_sentence_falls_back_to_the_description_and_caps_the_list() -> None:
    class Args(BaseModel):
        a: int = Field(ge=0)
        b: int = Field(ge=0)
        c: int = Field(ge=0)
        d: int = Field(ge=0)
        code: str = Field(pattern="^[A-Z]{3}$", description="a three-letter code")

    try:
        Args.model_validate({"a": -1, "b": -1, "c": -1, "d": -1, "code": "x"})
    except ValidationError as exc:
        sentence = plain_sentence(exc, Args.model_json_schema())
    assert sentence == (
        "a must be a whole number of at least 0; b must be a whole number of at least 0; "
        "c must be a whole number of at least 0 (and 2 more)."
    )
    try:
        Args.model_validate({"a": 0, "b": 0, "c": 0, "d": 0, "code": "x"})
    except ValidationError as exc:
        assert plain_sentence(exc, Args.model_json_schema()) == "code must be a three-letter code."
