"""The CLI's plain-text tables: aligned, exact money text, nothing dropped from the data."""

from __future__ import annotations

from trade_tracker.faces.cli.table import SUMMARY_COLUMNS, render_table


def test_columnar_rows_become_an_aligned_table_with_the_scalars_above() -> None:
    data = {
        "count": 2,
        "product_id": None,
        "next_cursor": "abc",
        "columns": ["trade_id", "product_id", "side", "price", "settled", "order_id"],
        "rows": [[7, "BTC-USD", "buy", "42905.02000000", True, "o-1"], [12345, "ETH-USD", "sell", "5.5", False, "o-2"]],
    }
    assert render_table(data, hide=("order_id",)).splitlines() == [
        "count: 2",
        "next_cursor: abc",
        "",
        "trade_id  product_id  side           price  settled",
        "--------  ----------  ----  --------------  -------",
        "       7  BTC-USD     buy   42905.02000000  yes",
        "   12345  ETH-USD     sell             5.5  no",
    ]


def test_records_lists_are_titled_tables_and_columns_choose_what_shows() -> None:
    data = {
        "method": "fifo",
        "filters": {"product_id": "BTC-USD", "label": None},
        "products": [
            {
                "product_id": "BTC-USD",
                "period": "2024-01",
                "fees": {"USD": "1.25"},
                "fee_total": "1.25",
                "realized_pnl": "-0.5",
                "unrealized_pnl_at_ticker": None,
                "ticker_time": None,
            }
        ],
        "periods": [],
        "currencies": [{"currency": "USD", "fees": "1.25"}],
    }
    text = render_table(
        data, columns={"products": ["product_id", "period", "fee_total", "realized_pnl", "unrealized_pnl_at_ticker"]}
    )
    assert text.splitlines() == [
        "method: fifo",
        "filters: product_id=BTC-USD",
        "",
        "products:",
        "product_id  period   fee_total  realized_pnl",  # an all-blank column is left out
        "----------  -------  ---------  ------------",
        "BTC-USD     2024-01       1.25          -0.5",
        "",
        "periods: none",
        "",
        "currencies:",
        "currency  fees",
        "--------  ----",
        "USD       1.25",
    ]


def test_a_list_of_objects_and_odd_values() -> None:
    rows = [{"label": "main", "permissions": {"view": True}, "note": "two\nlines"}]
    assert render_table(rows).splitlines() == [
        "label  permissions  note",
        "-----  -----------  ---------",
        "main   view=yes     two lines",
    ]
    assert render_table([]) == "(none)"
    assert render_table({"columns": ["a"], "rows": []}) == "(no rows)"


def test_summary_columns_name_real_fields() -> None:
    from trade_tracker.analytics.models import CurrencyTotal, PeriodTotal
    from trade_tracker.faces.shapes import ProductEntryOut  # a ProductSummary and its venue

    for title, model in (("products", ProductEntryOut), ("periods", PeriodTotal), ("currencies", CurrencyTotal)):
        assert set(SUMMARY_COLUMNS[title]) <= set(model.model_fields), title
