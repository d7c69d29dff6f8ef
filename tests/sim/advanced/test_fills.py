"""Fill entries: shape, size_in_quote consistency, a closed position, and adjustments posted later
sharing the trade_id of the fill they adjust, under both reversal sign conventions."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from trade_tracker.sim.advanced import SimAdvanced, effective_fills, parse_rfc3339_ns

FIELDS = [
    "entry_id", "trade_id", "order_id", "trade_time", "trade_type", "price", "size", "commission", "product_id",
    "sequence_timestamp", "liquidity_indicator", "size_in_quote", "user_id", "side", "retail_portfolio_id",
]  # fmt: skip
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def state() -> SimAdvanced:
    return SimAdvanced(fills=800, seed=7)


def test_every_fill_has_the_documented_shape(state: SimAdvanced) -> None:
    history = state.history()
    for fill in history:
        assert list(fill) == FIELDS
        assert re.fullmatch(r"[0-9a-f]{64}", fill["entry_id"])
        assert UUID.match(fill["trade_id"]) and UUID.match(fill["order_id"])
        assert fill["side"] in ("BUY", "SELL")
        assert fill["liquidity_indicator"] in ("MAKER", "TAKER", "UNKNOWN_LIQUIDITY_INDICATOR")
        assert parse_rfc3339_ns(fill["sequence_timestamp"]) >= parse_rfc3339_ns(fill["trade_time"])
        assert isinstance(fill["size_in_quote"], bool)
        assert all(Decimal(fill[name]).is_finite() for name in ("price", "size", "commission"))
    assert {f["trade_type"] for f in history} == {"FILL", "REVERSAL", "CORRECTION"}
    assert {f["product_id"] for f in history} == {"BTC-USD", "ETH-USD", "SOL-USD", "BTC-USDC"}
    assert len({f["entry_id"] for f in history}) == len(history)


def test_a_seed_gives_the_same_history() -> None:
    def strip(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:  # timestamps move with the start time
        return [(r["entry_id"], r["trade_id"], r["price"], r["size"], r["commission"]) for r in rows]

    assert strip(SimAdvanced(fills=300, seed=3).history()) == strip(SimAdvanced(fills=300, seed=3).history())
    assert strip(SimAdvanced(fills=300, seed=3).history()) != strip(SimAdvanced(fills=300, seed=4).history())


def test_quote_sized_fills_hold_the_quote_amount(state: SimAdvanced) -> None:
    quote = [e for e in state.entries if e.fill["size_in_quote"] and e.trade_type == "FILL"]
    assert 0.05 < len(quote) / len(state.entries) < 0.5
    for entry in quote:
        price, size = Decimal(entry.fill["price"]), Decimal(entry.fill["size"])
        assert size / price == entry.base  # exact: size = price x base
        assert size > entry.base  # really in quote currency (prices are > 1)
        rate = Decimal(entry.fill["commission"]) / size
        assert rate == Decimal("0.006")


def test_the_closed_position_ends_at_zero(state: SimAdvanced) -> None:
    held = Decimal(0)
    for entry in effective_fills(state.entries).values():
        if entry.fill["product_id"] == "SOL-USD":
            held += entry.base if entry.fill["side"] == "BUY" else -entry.base
    assert held == 0
    sol = state.accounts_page(limit=250)["accounts"]
    assert Decimal(next(a for a in sol if a["currency"] == "SOL")["available_balance"]["value"]) == 0


def test_adjustments_are_posted_later_and_share_the_trade_id(state: SimAdvanced) -> None:
    by_trade: dict[str, list[Any]] = {}
    for entry in state.entries:
        by_trade.setdefault(entry.fill["trade_id"], []).append(entry)
    adjusted = [group for group in by_trade.values() if len(group) > 1]
    assert len(adjusted) == 8  # fills // 100
    for group in adjusted:
        original = next(e for e in group if e.trade_type == "FILL")
        for other in group:
            if other is original:
                continue
            assert other.seq_ns > original.seq_ns and other.fill["trade_time"] == original.fill["trade_time"]
            assert other.fill["order_id"] == original.fill["order_id"]
            assert other.fill["entry_id"] != original.fill["entry_id"]
            if other.trade_type == "REVERSAL":
                assert (other.fill["size"], other.fill["commission"]) == (
                    original.fill["size"],
                    original.fill["commission"],
                )
            else:
                assert other.fill["commission"] != original.fill["commission"]


def test_the_reversal_sign_is_a_setting() -> None:
    sim = SimAdvanced(fills=300, reversal_sign="negative")
    reversals = [f for f in sim.history() if f["trade_type"] == "REVERSAL"]
    assert reversals and all(f["size"].startswith("-") and f["commission"].startswith("-") for f in reversals)
    sim.configure(reversal_sign="positive")
    assert all(not f["size"].startswith("-") for f in sim.history())
    with pytest.raises(ValueError, match="reversal_sign"):
        sim.configure(reversal_sign="sideways")


def test_posted_adjustments_are_the_newest_entries() -> None:
    sim = SimAdvanced(fills=300)
    target = next(e for e in sim.entries if e.trade_type == "FILL" and e.fill["product_id"] == "ETH-USD")
    made = sim.post_adjustments("CORRECTION", [target.fill["entry_id"]])
    assert sim.history()[0] == made[0]
    assert made[0]["trade_id"] == target.fill["trade_id"] and made[0]["trade_type"] == "CORRECTION"
    randoms = sim.post_adjustments("REVERSAL", count=3)
    assert len(randoms) == 3 and sim.history()[:3] == randoms[::-1]
    assert effective_fills(sim.entries)[made[0]["trade_id"]].fill["entry_id"] == made[0]["entry_id"]
    for fill in randoms:
        assert fill["trade_id"] not in effective_fills(sim.entries)


def test_added_fills_are_newer_and_go_to_their_orders() -> None:
    sim = SimAdvanced(fills=300)
    newest = sim.entries[-1].seq_ns
    added = sim.add_fills(12)
    assert len(added) == 12 and all(parse_rfc3339_ns(f["sequence_timestamp"]) > newest for f in added)
    assert "SOL-USD" not in {f["product_id"] for f in added}  # a closed position stays closed
    orders = {o["order_id"]: o for o in sim.orders_page(limit=1000)["orders"]}
    for fill in added:
        assert orders[fill["order_id"]]["status"] == "FILLED"


def test_whatever_is_posted_later_has_a_later_sequence_time() -> None:
    sim = SimAdvanced(fills=300)
    for _ in range(3):
        newest = sim.entries[-1].seq_ns
        posted = sim.post_adjustments("REVERSAL", count=2)
        assert all(parse_rfc3339_ns(f["sequence_timestamp"]) > newest for f in posted)
        newest = sim.entries[-1].seq_ns
        added = sim.add_fills(5)  # their trade times lie just before now, before the adjustments' posting
        stamps = [parse_rfc3339_ns(f["sequence_timestamp"]) for f in added]
        assert min(stamps) > newest and stamps == sorted(stamps)
        assert all(parse_rfc3339_ns(f["trade_time"]) <= s for f, s in zip(added, stamps, strict=True))
