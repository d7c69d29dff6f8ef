"""The CLI's shared options and argument types: label, format, the store filters, dates, product ids.

Checked when click parses, so a typo is a usage error (exit 2) before anything is opened.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from trade_tracker.errors import (
    InvalidArgument,
)

from ...order_statuses import ORDER_STATUS_WORDS

if TYPE_CHECKING:
    pass

from .output import CliState

__all__ = [
    "DATE",
    "FORMAT_HELP",
    "LABEL_HELP",
    "ORDER_STATUSES",
    "DateText",
    "StoreFilterArgs",
    "check_label_option",
    "check_product",
    "format_option",
    "group_by_option",
    "label_option",
    "method_option",
    "store_filters",
    "venue_option",
]

#: Both venues' status words (each venue checks its own).
ORDER_STATUSES = ORDER_STATUS_WORDS
LABEL_HELP = (
    "credential label; default: an env credential if set (env: EX_API_*, env-advanced: AT_API_*), else the only "
    "stored one"
)


class DateText(click.ParamType):
    """An ISO date or date-time (UTC when no zone), checked here so a typo is a usage error."""

    name = "DATE"
    _pattern = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not self._pattern.match(text):
            self.fail(f"{text[:40]!r} is not an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z", param, ctx)
        return text


DATE = DateText()


def check_product(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Upper-case BASE-QUOTE ids (one or several) and refuse anything else as a usage error."""
    if value is None:
        return None
    from trade_tracker.errors import InvalidArgument
    from trade_tracker.formats import check_product_id  # light: no HTTP stack

    values = [value] if isinstance(value, str) else list(value)
    try:
        upper = [check_product_id(item) for item in values]
    except InvalidArgument as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    return upper[0] if isinstance(value, str) else tuple(upper)


def check_label_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--label``: the same check as the MCP tools' ``label`` (``labels.check_label``); a usage error."""
    if value is None:
        return None
    from trade_tracker.labels import check_label  # light: re and errors only

    try:
        return check_label(value, allow_env=True)
    except InvalidArgument as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _set_format(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliState).format = value


#: ``--format`` on the main group and on each list-like verb (``trade-tracker trades --format json``).
FORMAT_HELP = "table or JSON on stdout (default: a table on a terminal, JSON when piped)."


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default=None,
        expose_value=False,
        callback=_set_format,
        is_eager=False,
        help=FORMAT_HELP,
    )(fn)


def label_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--label", metavar="LABEL", callback=check_label_option, help=LABEL_HELP)(fn)


def venue_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--venue exchange|advanced`` of the public verbs (products, ticker): whose market data."""
    return click.option(
        "--venue",
        type=click.Choice(["exchange", "advanced"]),
        default="exchange",
        show_default=True,
        help="whose market data: Coinbase Exchange or Coinbase Advanced Trade",
    )(fn)


#: What ``store_filters`` hands a verb: --product-id, --since, --until and --label as given (None: not given).
StoreFilterArgs = dict[str, str | None]


def store_filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--product-id, --since, --until and --label for the verbs that read the local store, handed to the
    verb as one ``filters`` mapping: the verb builds ``store.filters.Filters`` from it inside its job."""

    @functools.wraps(fn)
    def with_filters(
        *args: Any,
        product_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        label: str | None = None,
        **kwargs: Any,
    ) -> Any:
        filters = {"product_id": product_id, "since": since, "until": until, "label": label}
        return fn(*args, filters=filters, **kwargs)

    wrapped: Callable[..., Any] = with_filters
    for option in reversed(
        [
            click.option("--product-id", callback=check_product, metavar="BASE-QUOTE", help="only this product"),
            click.option("--since", type=DATE, help="only fills at or after this date (UTC)"),
            click.option("--until", type=DATE, help="only fills up to this date (UTC)"),
            click.option(
                "--label",
                metavar="LABEL",
                callback=check_label_option,
                help="only fills synced with this credential (default: all)",
            ),
        ]
    ):
        wrapped = option(wrapped)
    return wrapped


def group_by_option(help: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--group-by product|month|day`` of ``summary`` and ``export`` (the tools' ``group_by``)."""
    return click.option(
        "--group-by", type=click.Choice(["product", "month", "day"]), default="product", show_default=True, help=help
    )


def method_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--method fifo|average`` of ``summary`` and ``export`` (the tools' ``method``)."""
    return click.option(
        "--method", type=click.Choice(["fifo", "average"]), default="fifo", show_default=True, help=help
    )
