"""Fill paging as the simulator serves it: newest first, opaque sealed cursors, "" at the end, default and
capped limits, sequence-time windows with mixed precisions, and filters by repeated keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from sim_fixtures import AdvancedHttp
from trade_tracker.sim.advanced import RunningAdvanced

FILLS = "orders/historical/fills"


def _instant(text: str) -> tuple[datetime, int]:
    """A fill timestamp as (whole-second datetime, nanoseconds): exact for 6 and 9 digits."""
    head, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(head), int(frac.ljust(9, "0"))


def _walk(
    http: AdvancedHttp, params: dict[str, Any] | None = None, limit: int = 250
) -> tuple[list[dict[str, Any]], int]:
    fills: list[dict[str, Any]] = []
    cursor, pages = "", 0
    while True:
        query = {**(params or {}), "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = http.get(FILLS, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "has_next" not in body
        fills += body["fills"]
        pages += 1
        cursor = body["cursor"]
        if not cursor:
            return fills, pages


def test_a_full_walk_is_the_history_newest_first(advanced_http: AdvancedHttp, sim_advanced: RunningAdvanced) -> None:
    fills, pages = _walk(advanced_http)
    history = advanced_http.admin("GET", "history")
    assert fills == history
    assert len({f["entry_id"] for f in fills}) == len(fills) == len(sim_advanced.advanced.entries)
    assert pages == -(-len(fills) // 250)
    stamps = [_instant(f["sequence_timestamp"]) for f in fills]
    assert stamps == sorted(stamps, reverse=True)


def test_both_precisions_occur_in_both_timestamps(advanced_http: AdvancedHttp) -> None:
    history = advanced_http.admin("GET", "history")
    for field in ("trade_time", "sequence_timestamp"):
        digits = {len(f[field].rstrip("Z").partition(".")[2]) for f in history}
        assert digits == {6, 9}, field


def test_limits_default_100_and_larger_ones_are_capped_silently(
    advanced_http: AdvancedHttp, sim_advanced_factory: Any
) -> None:
    assert len(advanced_http.get(FILLS).json()["fills"]) == 100
    assert len(advanced_http.get(FILLS, params={"limit": "1000"}).json()["fills"]) == 250
    small = AdvancedHttp(sim_advanced_factory(page_cap=40))
    response = small.get(FILLS, params={"limit": "250"})
    assert response.status_code == 200 and len(response.json()["fills"]) == 40
    small.close()
    bad = advanced_http.get(FILLS, params={"limit": "0"})
    assert bad.status_code == 400 and bad.json()["error"] == "INVALID_ARGUMENT"


def test_cursors_are_sealed_and_bound_to_their_filters(advanced_http: AdvancedHttp) -> None:
    cursor = advanced_http.get(FILLS, params={"limit": "10"}).json()["cursor"]
    assert cursor
    head, _, tag = cursor.partition(".")
    forged = head[:-2] + ("AA" if head[-2:] != "AA" else "BB") + "." + tag
    for bad in (forged, "0", "abc.def", cursor + "x"):
        response = advanced_http.get(FILLS, params={"limit": "10", "cursor": bad})
        assert response.status_code == 400, bad
        assert set(response.json()) == {"error", "error_details", "message"}
    other = advanced_http.get(FILLS, params={"limit": "10", "cursor": cursor, "product_ids": "ETH-USD"})
    assert other.status_code == 400
    assert advanced_http.get(FILLS, params={"limit": "50", "cursor": cursor}).status_code == 200


def _padded(stamp: str, digits: int) -> str:
    head, _, frac = stamp.rstrip("Z").partition(".")
    return f"{head}.{frac.ljust(digits, '0')}Z"


@pytest.mark.parametrize("digits", [9, 12])
def test_a_window_by_sequence_timestamp_with_any_fractional_digits(advanced_http: AdvancedHttp, digits: int) -> None:
    history = advanced_http.admin("GET", "history")
    newer, older = history[50], history[200]
    window = {
        "start_sequence_timestamp": _padded(older["sequence_timestamp"], digits),  # inclusive
        "end_sequence_timestamp": _padded(newer["sequence_timestamp"], digits),  # exclusive
    }
    fills, _ = _walk(advanced_http, window, limit=37)
    assert fills == history[51:201]
    precisions = {len(f["sequence_timestamp"].rstrip("Z").partition(".")[2]) for f in fills}
    assert precisions == {6, 9}
    bad = advanced_http.get(FILLS, params={"start_sequence_timestamp": "yesterday"})
    assert bad.status_code == 400 and "start_sequence_timestamp" in bad.json()["message"]


def test_filters_by_repeated_keys(advanced_http: AdvancedHttp) -> None:
    history = advanced_http.admin("GET", "history")
    response = advanced_http.get(
        FILLS, params=[("product_ids", "ETH-USD"), ("product_ids", "BTC-USDC"), ("limit", "250")]
    )
    fills, _ = _walk(advanced_http, {"product_ids": ["ETH-USD", "BTC-USDC"]})
    assert fills == [f for f in history if f["product_id"] in ("ETH-USD", "BTC-USDC")]
    assert response.json()["fills"] == fills[:250]
    order_id = history[10]["order_id"]
    by_order = advanced_http.get(FILLS, params={"order_ids": order_id}).json()
    assert by_order["fills"] == [f for f in history if f["order_id"] == order_id] and by_order["cursor"] == ""
    trade_ids = [history[3]["trade_id"], history[7]["trade_id"]]
    by_trade = advanced_http.get(FILLS, params=[("trade_ids", t) for t in trade_ids]).json()["fills"]
    assert by_trade == [f for f in history if f["trade_id"] in trade_ids]


def test_new_fills_do_not_disturb_a_walk_in_progress(advanced_http: AdvancedHttp) -> None:
    first = advanced_http.get(FILLS, params={"limit": "100"}).json()
    advanced_http.admin("POST", "fills", {"count": 20})
    rest, _ = _walk(advanced_http, {"cursor": first["cursor"]})
    history = advanced_http.admin("GET", "history")
    assert first["fills"] + rest == history[20:]


@pytest.mark.parametrize("key_type", ["ecdsa", "ed25519"])
def test_orders_agree_with_their_fills(sim_advanced: RunningAdvanced, key_type: str) -> None:
    from decimal import Decimal

    http = AdvancedHttp(sim_advanced, sim_advanced.advanced.key_of_type(key_type))
    history = http.admin("GET", "history")
    orders: list[dict[str, Any]] = []
    cursor = ""
    while True:
        body = http.get(
            "orders/historical/batch", params={"limit": "100", **({"cursor": cursor} if cursor else {})}
        ).json()
        orders += body["orders"]
        assert body["has_next"] == bool(body["cursor"])
        cursor = body["cursor"]
        if not cursor:
            break
    filled = [o for o in orders if o["status"] == "FILLED"]
    assert {o["status"] for o in orders} == {"FILLED", "OPEN", "CANCELLED"}
    quote_sized = 0
    for order in filled:
        fills = [f for f in history if f["order_id"] == order["order_id"] and f["trade_type"] == "FILL"]
        assert int(order["number_of_fills"]) == len(fills) > 0
        base = sum(
            (Decimal(f["size"]) / Decimal(f["price"]) if f["size_in_quote"] else Decimal(f["size"]) for f in fills),
            Decimal(0),
        )
        assert Decimal(order["filled_size"]) == base
        value = sum(
            (
                Decimal(f["price"])
                * (Decimal(f["size"]) / Decimal(f["price"]) if f["size_in_quote"] else Decimal(f["size"]))
                for f in fills
            ),
            Decimal(0),
        )
        assert abs(Decimal(order["average_filled_price"]) - value / base) < Decimal("1e-9")
        assert order["size_in_quote"] == fills[0]["size_in_quote"]
        quote_sized += order["size_in_quote"]
    assert quote_sized > 0
    only = http.get("orders/historical/batch", params=[("order_status", "OPEN"), ("product_ids", "ETH-USD")]).json()
    assert [(o["status"], o["product_id"]) for o in only["orders"]] == [("OPEN", "ETH-USD")]
    http.close()
