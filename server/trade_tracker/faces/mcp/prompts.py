"""The MCP prompts: user-invoked recipes (``/monthly_review`` in VS Code or Claude) that tell the agent which
tools to call, in which order, and what to report.

- ``monthly_review(month, label?)``: fees, volume, realized PnL and the largest trades of a month, against
  the month before (trade_summary group_by month, query_trades). Offline.
- ``fee_audit(since?, product_id?)``: fees by product and by maker/taker, and what a lower fee tier would
  have saved (trade_summary, query_trades). Offline.
- ``reconcile(label?)``: live balances (list_accounts) against the stored positions
  (``trade-tracker://positions`` / trade_summary), naming each difference and its likely cause.

Each checks its arguments first and answers a bad one with a protocol error of one plain sentence
(``INVALID_PARAMS``); each reads the local store for a line on what it holds, never the exchange.
"""

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from trade_tracker.errors import TradeTrackerError
from trade_tracker.formats import check_product_id
from trade_tracker.labels import check_label
from trade_tracker.store.filters import Filters

from .resources import POSITIONS_URI, SYNC_STATUS_URI

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer  # noqa: F401

__all__ = ["fee_audit", "monthly_review", "reconcile", "register_prompts"]

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _bad(message: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=message)


def _label(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return check_label(label, allow_env=True)
    except TradeTrackerError as exc:
        raise _bad(str(exc)) from None


def _month(text: str) -> tuple[date, date]:
    """The month ``YYYY-MM`` and the month before it, as their first days."""
    found = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise _bad(f"month must be a month as YYYY-MM, e.g. 2026-11 (got {str(text)[:20]!r})")
    year, month = int(found.group(1)), int(found.group(2))
    before = date(year - 1, 12, 1) if month == 1 else date(year, month - 1, 1)
    return date(year, month, 1), before


def _stored(ctx: Context, **filters: Any) -> str:
    """One line on what the local store holds for these filters (offline), so the agent knows to sync first."""
    from .results import tracker_of

    try:
        count = tracker_of(ctx).store.count_fills(Filters.of(**filters))
    except TradeTrackerError as exc:
        raise _bad(str(exc)) from None
    if count == 0:
        return "The local store holds no fills for this yet: call sync_fills first (then sync_status if it runs on)."
    return f"The local store holds {count} fills for this; call sync_fills first if they may be out of date."


def _scope(label: str | None) -> str:
    return f'label "{label}"' if label else "every stored label (pass label to narrow it)"


def monthly_review(
    ctx: Context,
    month: Annotated[str, Field(description="the month to review, YYYY-MM (UTC), e.g. 2026-11")],
    label: Annotated[str | None, Field(description="a credential label; default: every stored label")] = None,
) -> str:
    """Review one month of trading: fees, volume, realized PnL and the largest trades, against the month before."""
    first, before = _month(month)
    label = _label(label)
    this, prev = first.strftime("%Y-%m"), before.strftime("%Y-%m")
    last = (date(first.year + (first.month == 12), first.month % 12 + 1, 1) - timedelta(days=1)).isoformat()
    label_arg = f', "label": "{label}"' if label else ""
    return f"""Review my trading in {this} for {_scope(label)}, compared with {prev}.
{_stored(ctx, since=first.isoformat(), until=last, label=label)}

Steps (all offline, from the local store):
1. trade_summary with {{"group_by": "month", "since": "{before.isoformat()}", "until": "{last}"{label_arg}}}:
   read the periods {prev} and {this} per quote currency (quote_volume, fees, realized_pnl, net_realized_pnl).
2. query_trades with {{"since": "{this}-01", "until": "{last}", "limit": 200{label_arg}}} (follow next_cursor if
   there are more) and pick the largest trades by price x size.
3. Report, per quote currency: volume, fees, realized PnL and net realized PnL for {this}, each with the change
   against {prev} (absolute and in percent); the five largest trades (time, product, side, size, price, fee);
   and one or two sentences on what stands out. Money is exact decimal text: do not round it away.
If the summary shows no fills for {this}, say so and check sync_status before concluding nothing was traded."""


def fee_audit(
    ctx: Context,
    since: Annotated[str | None, Field(description="start date YYYY-MM-DD (UTC); default: all history")] = None,
    product_id: Annotated[str | None, Field(description="one product, e.g. BTC-USD; default: all")] = None,
) -> str:
    """Audit the fees paid: by product and by maker/taker, and what a lower fee tier would have saved."""
    filters: dict[str, Any] = {}
    if product_id:
        try:
            filters["product_id"] = check_product_id(product_id)
        except TradeTrackerError as exc:
            raise _bad(str(exc)) from None
    if since:
        filters["since"] = since
    stored = _stored(ctx, **filters)  # checks since too
    args = ", ".join(f'"{k}": "{v}"' for k, v in filters.items())
    window = f"since {since}" if since else "over the whole stored history"
    product = f" of {filters['product_id']}" if product_id else ""
    return f"""Audit the trading fees I paid{product} {window}.
{stored}

Steps (offline, from the local store):
1. trade_summary with {{{args}}}: fees (fee_total) and quote_volume per product and per quote currency; the
   effective fee rate is fee_total / quote_volume.
2. query_trades with {{{args + ", " if args else ""}"limit": 200}} (follow next_cursor): split fees and volume by the
   liquidity column, M = maker and T = taker; give each side's volume, fees and effective rate.
3. What a lower tier would have saved: take the next lower maker and taker rates of the exchange's fee
   schedule (ask me for them, or for my current tier, if you do not know them; do not guess), apply them
   to the maker and taker volume, and report the difference against the fees paid, per quote currency.
4. Name the products where taker fees dominate and whether limit (maker) orders would have helped.
Money is exact decimal text; show the rates in percent with enough digits to compare tiers."""


def reconcile(
    ctx: Context,
    label: Annotated[str | None, Field(description="a credential label; default: the default credential")] = None,
) -> str:
    """Reconcile live balances (list_accounts) with the positions in the local store, naming each difference."""
    label = _label(label)
    label_arg = f'{{"label": "{label}"}}' if label else "{}"
    return f"""Reconcile my balances with what trade-tracker stored for {_scope(label)}.
{_stored(ctx, label=label)}

Steps:
1. Read the resource {SYNC_STATUS_URI} (or call sync_status {label_arg}): if a sync is running or the history is
   not complete, say the stored positions may be short and offer sync_fills first.
2. Read the resource {POSITIONS_URI} (or trade_summary {label_arg}): the stored position per product (bought minus
   sold) and its cost basis. Offline.
3. Call list_accounts {label_arg}: the live balance per currency (this one calls the exchange with the key).
4. Per currency, compare the live balance with the sum of the stored positions where it is the base currency
   (and, for quote currencies, note that trading moves them too). List every difference with its size.
5. For each difference, name the likely cause: deposits or withdrawals (transfers are not fills), coins
   bought or sold in another portfolio or with another key, staking rewards or fees in kind, fills not
   synced yet (see step 1), or trades older than the stored history. Say which you can rule out.
Money is exact decimal text; do not round differences away."""


def register_prompts(mcp: "MCPServer[Any]") -> None:
    """Add the three prompts to ``mcp``, in this order."""
    mcp.prompt(name="monthly_review", title="Monthly trading review")(monthly_review)
    mcp.prompt(name="fee_audit", title="Fee audit")(fee_audit)
    mcp.prompt(name="reconcile", title="Reconcile balances with the stored positions")(reconcile)
