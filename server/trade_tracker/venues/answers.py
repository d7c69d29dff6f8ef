"""The failure answers every venue words alike: a 404, a 429 that outlasted the retries, a 5xx, and any
status no venue rule names, each as the error of ``errors.py`` that says what to check.

A venue's ``answers`` module words its own 401, 403 and 400 (their causes and fixes differ by venue) and
hands every other status here, so the two venues cannot drift apart on the rest. No message holds a
secret: only the method and path, the venue's title and URL, and the API's own words.
"""

from __future__ import annotations

from trade_tracker.errors import ExchangeStatusError, ExchangeUnavailable, NotFound, RateLimited

__all__ = ["common_status_error"]


def common_status_error(
    where: str, status: int, said: str, api_message: str | None, *, title: str, base_url: str, attempts: int
) -> ExchangeStatusError:
    """A non-2xx answer to ``where`` (``"GET /path"``) that is not a venue's own 401, 403 or 400.

    ``said`` is how the message quotes the status and the API's text; ``title`` names the venue in a 5xx.
    """
    if status == 404:
        return NotFound(
            f"{where}: not found ({said}); check the product or order id (list_products shows ids)",
            status_code=status,
            api_message=api_message,
        )
    if status == 429:
        return RateLimited(
            f"{where}: still rate limited after {attempts} attempts ({said}); wait a few seconds and try again",
            status_code=status,
            api_message=api_message,
        )
    if status >= 500:
        return ExchangeUnavailable(
            f"{title} at {base_url} failed on {where} ({said}) after retrying; try again later",
            status_code=status,
            api_message=api_message,
        )
    return ExchangeStatusError(f"{where}: unexpected answer ({said})", status_code=status, api_message=api_message)
