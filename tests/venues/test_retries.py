"""The client's retry rules on their own: what is retried, how often, and how long a refused connection waits."""

from __future__ import annotations

import httpx
import pytest

from trade_tracker.venues.retries import (
    RETRY_STATUSES,
    Backoff,
    RetryableAnswer,
    RetryPolicy,
    is_connection_refused,
)


def refused() -> httpx.ConnectError:
    exc = httpx.ConnectError("All connection attempts failed")
    exc.__cause__ = OSError("All connection attempts failed")
    exc.__cause__.__context__ = ConnectionRefusedError(111, "Connect call failed")
    return exc


def answer(status: int, **headers: str) -> RetryableAnswer:
    return RetryableAnswer(httpx.Response(status, headers=headers))


def test_retried_statuses() -> None:
    assert frozenset({429, 500, 502, 503, 504}) == RETRY_STATUSES


def test_refused_is_found_through_causes_and_contexts_and_survives_cycles() -> None:
    assert is_connection_refused(refused())
    assert not is_connection_refused(httpx.ConnectError("Name or service not known"))
    a, b = httpx.ConnectError("a"), OSError("b")
    a.__cause__, b.__context__ = b, a  # a cycle, as some wrappers build
    assert not is_connection_refused(a)


def test_refused_gets_two_quick_retries_then_stops() -> None:
    backoff = Backoff(RetryPolicy())
    assert [backoff(refused()), backoff(refused()), backoff(refused())] == [0.25, 0.5, False]


def test_refused_stops_once_past_its_own_budget() -> None:
    backoff = Backoff(RetryPolicy(refused_timeout=3.0))
    backoff.started -= 2.9
    assert backoff(refused()) is False


@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_answers_retry_with_the_computed_wait(status: int) -> None:
    assert Backoff(RetryPolicy())(answer(status)) is True


def test_retry_after_is_the_wait_unless_it_exceeds_the_budget() -> None:
    assert Backoff(RetryPolicy(timeout=10))(answer(429, **{"Retry-After": "3"})) == 3.0
    assert Backoff(RetryPolicy(timeout=10))(answer(429, **{"Retry-After": "30"})) is False


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (httpx.ConnectError("x"), True),
        (httpx.ConnectTimeout("x"), True),
        (httpx.PoolTimeout("x"), True),
        (httpx.ReadTimeout("x"), False),
        (httpx.RemoteProtocolError("x"), False),
        (ValueError("x"), False),
    ],
)
def test_other_failures(exc: Exception, retried: bool) -> None:
    assert Backoff(RetryPolicy())(exc) is retried
