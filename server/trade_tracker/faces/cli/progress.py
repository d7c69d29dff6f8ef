"""The CLI's sync progress bar, and its estimate in words: "about 3 min left at 10 req/s".

A bare ``00:03:12`` beside a bar does not say what it counts or what it assumes. The estimate here
says both: the time left, rounded the way a person would say it, and the request rate it assumes
(the rate measured so far: the exchange allows ``/fills`` 10 requests/s, one page of 100 fills each).

The time left is the progress's own ``seconds_left`` when the sync reports one; otherwise the time
per finished product (measured when the last one finished) times the products left, less the time
already spent on the current one (no estimate until a product has finished). Counting only finished
work keeps the estimate shrinking as the sync moves on, down to 0 s on the last product.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

__all__ = ["SyncProgressBar", "estimate_text", "say_duration"]


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


def estimate_text(progress: Any, elapsed: float, requests: int, finished: float | None = None) -> str | None:
    """The labelled estimate for one progress report, or None when there is nothing to estimate yet.

    ``elapsed``: seconds since the sync started; ``requests``: requests (pages) made so far;
    ``finished``: seconds from the start to when the last finished product finished (default ``elapsed``).
    """
    left = getattr(progress, "seconds_left", None)
    done, total = int(progress.products_done), int(progress.products_total)
    finished = elapsed if finished is None else min(finished, elapsed)
    if left is None and 0 < done < total and finished > 0:
        left = max(finished / done * (total - done) - (elapsed - finished), 0.0)
    if left is None:
        return None
    rate = _rate(requests, elapsed)
    return f"about {say_duration(float(left))} left" + (f" at {rate} req/s" if rate else "")


class SyncProgressBar:
    """Draws sync progress on stderr with ``click.progressbar`` (one step per product), on a terminal only.

    Called (async) with each ``sync.SyncProgress``; the bar counts products, the text names the current
    one's fills and a labelled estimate, "about 3 min left at 10 req/s" (``cli_progress``): the rate is
    the one measured so far (one request per page), the time left the progress's own ``seconds_left``
    when it has one, else the time per finished product times the products left, less the time spent
    on the current one.
    """

    def __init__(self, file: Any = None, clock: Callable[[], float] | None = None) -> None:
        import time

        self.file = file if file is not None else sys.stderr
        self.enabled = _isatty(self.file)
        self._bar: Any = None
        self._clock = clock or time.monotonic
        self._started: float | None = None
        self._pages: dict[str, int] = {}
        self._done = 0
        self._finished: float | None = None  # seconds from the start to the last product's end

    def describe(self, p: Any) -> str | None:
        if p is None:
            return None
        elapsed = self._clock() - (self._started if self._started is not None else self._clock())
        estimate = estimate_text(p, elapsed, sum(self._pages.values()), self._finished)
        return f"{p.product_id}: {p.fills} fills" + (f", {estimate}" if estimate else "")

    async def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        if self._started is None:
            self._started = self._clock()
        self._pages[p.product_id] = int(p.pages)
        if int(p.products_done) > self._done:
            self._done = int(p.products_done)
            self._finished = self._clock() - self._started
        if self._bar is None:
            # Narrow enough for an 80-column terminal: a wrapped bar cannot redraw itself in place.
            self._bar = click.progressbar(
                length=max(int(p.products_total), 1),
                label="sync",
                width=10,
                file=self.file,
                item_show_func=self.describe,
                update_min_steps=0,
                show_pos=True,
                show_eta=False,
            )
            self._bar.__enter__()
        self._bar.update(max(int(p.products_done) - self._bar.pos, 0), p)

    def close(self, *, completed: bool = False) -> None:
        """End the bar's line; ``completed`` first fills it to the last product."""
        if self._bar is not None:
            if completed:
                self._bar.update(max(self._bar.length - self._bar.pos, 0))
            self._bar.__exit__(None, None, None)
            self._bar = None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
