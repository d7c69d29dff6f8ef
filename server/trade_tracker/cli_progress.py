"""The sync progress bar's estimate, in words: "about 3 min left at 10 req/s".

A bare ``00:03:12`` beside a bar does not say what it counts or what it assumes. The estimate here
says both: the time left, rounded the way a person would say it, and the request rate it assumes
(the rate measured so far: the exchange allows ``/fills`` 10 requests/s, one page of 100 fills each).

The time left is the progress's own ``seconds_left`` when the sync reports one; otherwise the time
per finished product so far times the products left (no estimate until a product has finished).
"""

from __future__ import annotations

from typing import Any

__all__ = ["estimate_text", "say_duration"]


def say_duration(seconds: float) -> str:
    """``42`` → ``"40 s"``, ``190`` → ``"3 min"``, ``5400`` → ``"1 h 30 min"``: what a person would say."""
    if seconds < 55:
        return f"{max(5, int(round(seconds / 5)) * 5)} s"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _rate(requests: int, elapsed: float) -> str | None:
    if requests <= 0 or elapsed <= 0:
        return None
    rate = requests / elapsed
    return f"{rate:.0f}" if rate >= 9.5 else f"{rate:.1f}"


def estimate_text(progress: Any, elapsed: float, requests: int) -> str | None:
    """The labelled estimate for one progress report, or None when there is nothing to estimate yet.

    ``elapsed``: seconds since the sync started; ``requests``: requests (pages) made so far.
    """
    left = getattr(progress, "seconds_left", None)
    done, total = int(progress.products_done), int(progress.products_total)
    if left is None and 0 < done < total and elapsed > 0:
        left = elapsed / done * (total - done)
    if left is None:
        return None
    rate = _rate(requests, elapsed)
    return f"about {say_duration(float(left))} left" + (f" at {rate} req/s" if rate else "")
