"""``faces/shapes.py``: a page of stored fills says what an Advanced Trade row is (the review found a REVERSAL
shown as a second, identical fill, and a quote-sized fill's USD size read as BTC)."""

from __future__ import annotations

from typing import Any

from trade_tracker.faces.shapes import STORED_FILL_COLUMNS, TradesOut
from trade_tracker.store.fills import FILL_COLUMNS, FillRow


def stored(**fields: Any) -> dict[str, Any]:
    base = FillRow("BTC-USD", 7, "o1", "buy", "100", "0.5", "0.1", None, "T", 1, "2025-01-01T00:00:00.000000Z",
                   None, None, None, None, "main")  # fmt: skip
    return {**dict(zip(FILL_COLUMNS, base._replace(**fields), strict=True)), "venue": fields.get("venue", "exchange")}


def test_an_exchange_page_keeps_its_columns() -> None:
    out = TradesOut.of([stored(), stored(trade_id=8)], None)
    assert out.columns == [c for c in STORED_FILL_COLUMNS if c not in ("product_id", "label", "venue")]


def test_an_advanced_page_names_adjustments_and_quote_sized_fills() -> None:
    fill = stored(venue="advanced", trade_id="t-1", fill_key="e1", trade_type="FILL", size_in_quote=1, size="50")
    reversal = stored(venue="advanced", trade_id="t-1", fill_key="e2", trade_type="REVERSAL", size_in_quote=1)
    out = TradesOut.of([fill, reversal], None)
    assert out.columns[-2:] == ["trade_type", "size_in_quote"]
    assert [row[-2:] for row in out.rows] == [["FILL", True], ["REVERSAL", True]]
