"""The simulated account's money: balances that follow from the fills, the ledger, done orders,
a position closed to exactly 0, and a history that ends now (issue 12 "Done when", issue 13 item 3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sim_fixtures import SignedHttp
from trade_tracker.sim import RunningSim, SimExchange

DAY_US = 86_400_000_000


def expected_balances(exchange: SimExchange) -> dict[str, Decimal]:
    """From the fills alone: base ±size, quote ∓price×size − fee, plus each quote's one deposit."""
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for fill in exchange.history():
        base, quote = fill["product_id"].split("-")
        size, fee = Decimal(fill["size"]), Decimal(fill["fee"])
        notional = Decimal(fill["price"]) * size
        sign = 1 if fill["side"] == "buy" else -1
        moved[base] += sign * size
        moved[quote] -= sign * notional + fee
    for currency, (_, amount) in exchange.money.deposits.items():
        moved[currency] += Decimal(amount).scaleb(-16)
    return moved


def whole_ledger(http: SignedHttp, account_id: str, limit: int = 211) -> list[dict[str, Any]]:
    """Every entry, paging older with after=<CB-AFTER> from the first day onwards."""
    rows: list[dict[str, Any]] = []
    target = f"/accounts/{account_id}/ledger?start_date=2000-01-01&limit={limit}"
    while True:
        response = http.get(target)
        assert response.status_code == 200, response.text
        page = response.json()
        if not page:
            assert "cb-after" not in response.headers
            return rows
        assert response.headers["cb-before"] == page[0]["id"] and response.headers["cb-after"] == page[-1]["id"]
        rows += page
        target = f"/accounts/{account_id}/ledger?start_date=2000-01-01&limit={limit}&after={page[-1]['id']}"


def test_balances_follow_exactly_from_the_fills(sim: RunningSim, sim_http: SignedHttp) -> None:
    expected = expected_balances(sim.exchange)
    accounts = {a["currency"]: a for a in sim_http.get("/accounts").json()}
    for currency, account in accounts.items():
        assert Decimal(account["balance"]) == expected.get(currency, Decimal(0)), currency
        assert Decimal(account["balance"]) >= 0 and Decimal(account["available"]) >= 0
    assert accounts["SOL"]["balance"] == "0.0000000000000000"  # SOL-USD was sold down to exactly 0
    assert Decimal(accounts["BTC"]["balance"]) > 0 and Decimal(accounts["USD"]["balance"]) > 0
    newest_sol = sim.exchange.history("SOL-USD")[0]
    assert newest_sol["side"] == "sell"  # the closing sale ends SOL's history
    sim.exchange.add_fills(20, "BTC-USD")  # balances move with new fills
    assert Decimal(sim.exchange.account(accounts["BTC"]["id"])["balance"]) == expected_balances(sim.exchange)["BTC"]
    old = sim.exchange.history("ETH-USD")[40]
    sim.exchange.set_fee("ETH-USD", old["trade_id"], "1.2345")  # and with a changed fee
    usd = sim.exchange.account(accounts["USD"]["id"])["balance"]
    assert Decimal(usd) == expected_balances(sim.exchange)["USD"]
    assert whole_ledger(sim_http, accounts["USD"]["id"], limit=1000)[0]["balance"] == usd


def test_holds_come_from_open_orders_and_never_exceed_the_balance(sim: RunningSim, sim_http: SignedHttp) -> None:
    accounts = {a["currency"]: a for a in sim_http.get("/accounts").json()}
    open_sells = [o for o in sim.exchange.open_orders if o.side == "sell" and o.status in ("open", "active")]
    assert not [o for o in open_sells if o.spec.id == "SOL-USD"]  # nothing left to sell
    for account in accounts.values():
        assert Decimal(account["hold"]) <= Decimal(account["balance"])
    assert Decimal(accounts["USD"]["hold"]) > 0


def test_ledger_pages_every_movement_with_running_balances(sim: RunningSim, sim_http: SignedHttp) -> None:
    accounts = {a["currency"]: a for a in sim_http.get("/accounts").json()}
    fills = {(f["product_id"], str(f["trade_id"])): f for f in sim.exchange.history()}
    for currency in ("USD", "BTC", "SOL"):
        account = accounts[currency]
        rows = whole_ledger(sim_http, account["id"])
        ids = [int(r["id"]) for r in rows]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
        assert rows[0]["balance"] == account["balance"]  # the newest entry's balance is the balance
        running = Decimal(0)
        for row in reversed(rows):
            assert list(row) == ["id", "created_at", "amount", "balance", "type", "details"]
            running += Decimal(row["amount"])
            assert Decimal(row["balance"]) == running, row
            if row["type"] in ("match", "fee"):
                fill = fills[(row["details"]["product_id"], row["details"]["trade_id"])]
                assert row["details"]["order_id"] == fill["order_id"] and row["created_at"] == fill["created_at"]
                if row["type"] == "fee":
                    assert Decimal(row["amount"]) == -Decimal(fill["fee"])
            else:
                assert row["type"] == "transfer" and row["details"]["transfer_type"] == "deposit"
        kinds = {r["type"] for r in rows}
        assert kinds == ({"match", "fee", "transfer"} if currency == "USD" else {"match"})
    sol = whole_ledger(sim_http, accounts["SOL"]["id"])
    assert {r["details"]["product_id"] for r in sol} == {"SOL-USD"} and sol[0]["balance"] == "0.0000000000000000"


def test_ledger_before_cursor_walks_newer(sim: RunningSim, sim_http: SignedHttp) -> None:
    account = next(a for a in sim_http.get("/accounts").json() if a["currency"] == "USD")
    everything = whole_ledger(sim_http, account["id"], limit=1000)
    newer: list[dict[str, Any]] = []
    cursor = everything[-1]["id"]
    while True:
        page = sim_http.get(f"/accounts/{account['id']}/ledger?start_date=2000-01-01&limit=97&before={cursor}").json()
        if not page:
            break
        assert len(page) <= 97
        newer = page + newer
        cursor = page[0]["id"]
    assert newer == everything[:-1]


def test_ledger_answers_only_the_past_day_without_dates(sim: RunningSim, sim_http: SignedHttp) -> None:
    account = next(a for a in sim_http.get("/accounts").json() if a["currency"] == "USD")
    default = sim_http.get(f"/accounts/{account['id']}/ledger").json()
    day_ago = datetime.now(UTC) - timedelta(days=1, seconds=5)
    assert all(datetime.fromisoformat(r["created_at"]) >= day_ago for r in default)
    everything = whole_ledger(sim_http, account["id"], limit=1000)
    assert len(everything) > len(default)
    recent = [r for r in everything if datetime.fromisoformat(r["created_at"]) >= day_ago + timedelta(seconds=10)]
    assert [r["id"] for r in recent] == [r["id"] for r in default][: len(recent)]
    sim.exchange.add_fills(5, "BTC-USD")  # new activity is inside the default window
    fresh = sim_http.get(f"/accounts/{account['id']}/ledger").json()
    assert len(fresh) == len(default) + 10  # a match and a fee per new fill
    only_end = sim_http.get(f"/accounts/{account['id']}/ledger?end_date=2100-01-01&limit=1000").json()
    assert len(only_end) == min(1000, len(everything) + 10)  # an end_date alone lifts the one-day limit
    assert sim_http.get("/accounts/00000000-0000-4000-8000-000000000000/ledger").status_code == 404


def test_done_orders_by_date_window(sim: RunningSim, sim_http: SignedHttp) -> None:
    done = sim_http.get("/orders?status=done&limit=1000").json()
    assert done and {o["status"] for o in done} == {"done"}
    assert {o["status"] for o in sim_http.get("/orders").json()} <= {"open", "pending", "active"}
    middle = sorted(o["created_at"] for o in done)[len(done) // 2]
    since = sim_http.get(f"/orders?status=done&limit=1000&start_date={middle}").json()
    assert since and all(o["created_at"] >= middle for o in since)
    assert {o["id"] for o in since} == {o["id"] for o in done if o["created_at"] >= middle}
    until = sim_http.get(f"/orders?status=done&limit=1000&end_date={middle}").json()
    assert len(until) + len(since) == len(done) + 1  # the middle order is in both inclusive windows


def test_history_ends_now_and_is_the_same_history_shifted(sim: RunningSim) -> None:
    newest = max(datetime.fromisoformat(f["created_at"]) for f in sim.exchange.history())
    age = datetime.now(UTC) - newest
    assert timedelta(minutes=4) < age < timedelta(minutes=10)  # ends about now, not at a fixed date
    this_year = [f for f in sim.exchange.history("ETH-USD") if f["created_at"][:4] == str(datetime.now(UTC).year)]
    assert this_year or datetime.now(UTC).month == 1  # "fees on ETH this year" has an answer
    later = SimExchange(fills=600, rate_limits=False, clock_offset=3 * 86_400.5)
    shifted = later.history()
    original = sim.exchange.history()
    assert [f["trade_id"] for f in shifted] == [f["trade_id"] for f in original]
    moves = {
        datetime.fromisoformat(a["created_at"]) - datetime.fromisoformat(b["created_at"])
        for a, b in zip(shifted, original, strict=True)
    }
    assert len(moves) == 1 and (move := moves.pop()).microseconds == 0
    assert abs(move.total_seconds() - 3 * 86_400.5) < 60  # the later clock, to the whole second
    strip = ("created_at",)
    assert [{k: v for k, v in f.items() if k not in strip} for f in shifted] == [
        {k: v for k, v in f.items() if k not in strip} for f in original
    ]


def test_a_fixed_history_end_is_not_moved() -> None:
    end = datetime(2025, 6, 1, tzinfo=UTC)
    exchange = SimExchange(fills=200, rate_limits=False, history_end=end)
    newest = max(datetime.fromisoformat(f["created_at"]) for f in exchange.history())
    assert end - timedelta(days=60) < newest <= end
    assert SimExchange(fills=200, rate_limits=False, history_end=end).history() == exchange.history()
