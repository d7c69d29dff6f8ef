"""Per-period totals of a grouped summary: one row per (UTC period, quote currency), across products.

"PnL per month" should be a small answer, not every product's month. These totals are sums of the
summary's own product entries (so they add up to them exactly, as exact ``Decimal``), and a running
``cumulative_realized_pnl`` per currency from the start of the window. Amounts of different quote
currencies are never added together.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

from .books import EXACT, ZERO
from .models import PeriodTotal, ProductSummary

__all__ = ["period_totals"]


def _text(value: Decimal) -> str:
    """Canonical text, as every summary amount: no exponent, no trailing zeros, ``"0"`` for zero."""
    return format(value.normalize(EXACT), "f") if value else "0"


def period_totals(entries: Iterable[ProductSummary]) -> list[PeriodTotal]:
    """Totals per (period, quote currency), oldest period first; entries without a period are skipped."""
    sums: dict[tuple[str, str], list[Decimal | int]] = {}
    with localcontext(EXACT):
        for entry in entries:
            if entry.period is None:
                continue
            row = sums.setdefault((entry.period, entry.quote_currency), [0, ZERO, ZERO, ZERO])
            row[0] += entry.buy_count + entry.sell_count
            row[1] += Decimal(entry.quote_volume)
            row[2] += Decimal(entry.fee_total)
            row[3] += Decimal(entry.realized_pnl)
        running: dict[str, Decimal] = {}
        out: list[PeriodTotal] = []
        for period, currency in sorted(sums):
            count, volume, fees, realized = sums[(period, currency)]
            running[currency] = running.get(currency, ZERO) + Decimal(realized)
            out.append(
                PeriodTotal(
                    period=period,
                    currency=currency,
                    fill_count=int(count),
                    quote_volume=_text(Decimal(volume)),
                    fees=_text(Decimal(fees)),
                    realized_pnl=_text(Decimal(realized)),
                    net_realized_pnl=_text(Decimal(realized) - Decimal(fees)),
                    cumulative_realized_pnl=_text(running[currency]),
                )
            )
    return out
